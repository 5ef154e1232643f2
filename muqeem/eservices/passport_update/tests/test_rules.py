"""Passport information update eligibility: pure rules over a snapshot, no database.

Each row starts from an eligible snapshot and changes one thing, so a failing row shows exactly the one
rule it is about and a passing row shows the rule's boundary is on the right side.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muqeem.core.errors import ErrorCode
from muqeem.eservices.passport_update.rules import (
    NewPassport,
    PassportUpdateSnapshot,
    normalize_passport_number,
    rules,
)
from muqeem.residents.models import ResidentStatus
from muqeem.workflow.rules import ResidentFacts, evaluate

TODAY = date(2026, 3, 1)
TOMORROW = TODAY + timedelta(days=1)

ELIGIBLE = PassportUpdateSnapshot(
    facts=ResidentFacts(
        today=TODAY,
        status=ResidentStatus.ACTIVE,
        inside_kingdom=True,
        iqama_expiry=date(2026, 9, 1),
        passport_expiry=date(2026, 5, 1),
        insurance_active=True,
        insurance_expiry=None,
        unpaid_fines_halalas=0,
        absent_reported=False,
        fingerprint_registered=True,
        balance_halalas=0,  # free: the balance plays no part
    ),
    current_passport_number="P1234567",
    new=NewPassport("Z9876543", date(2026, 2, 1), date(2036, 1, 31)),
)

FACT_FIELDS = {f.name for f in fields(ResidentFacts)}
NEW_FIELDS = {f.name for f in fields(NewPassport)}

RULE_ORDER = [
    ErrorCode.PASSPORT_NUMBER_INVALID,
    ErrorCode.PASSPORT_DATES_INVALID,
    ErrorCode.PASSPORT_NUMBER_UNCHANGED,
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
]


def snapshot(**changes) -> PassportUpdateSnapshot:
    facts = {k: v for k, v in changes.items() if k in FACT_FIELDS}
    new = {k: v for k, v in changes.items() if k in NEW_FIELDS}
    own = {k: v for k, v in changes.items() if k not in FACT_FIELDS | NEW_FIELDS}
    return replace(
        ELIGIBLE,
        facts=replace(ELIGIBLE.facts, **facts),
        new=replace(ELIGIBLE.new, **new),
        **own,
    )


def codes(s: PassportUpdateSnapshot) -> list[ErrorCode]:
    return [v.code for v in evaluate(rules(), s)]


PASSING = [
    ("5 characters", {"number": "A1234"}),
    ("20 characters", {"number": "A" * 20}),
    ("digits only", {"number": "123456789"}),
    ("letters only", {"number": "ABCDEFG"}),
    ("issued a day before it expires", {"issue_date": TODAY, "expiry_date": TOMORROW}),
    ("expires tomorrow", {"expiry_date": TOMORROW}),
    ("issued in the past", {"issue_date": date(2020, 1, 1)}),
    ("a different number", {"current_passport_number": "Q0000001"}),
    ("active", {"status": ResidentStatus.ACTIVE}),
    (
        "absent from work: the record still follows the passport",
        {"status": ResidentStatus.ABSENT_FROM_WORK},
    ),
    ("the current passport has expired", {"passport_expiry": date(2025, 1, 1)}),
]

FAILING = [
    ("4 characters", {"number": "A123"}, ErrorCode.PASSPORT_NUMBER_INVALID),
    ("21 characters", {"number": "A" * 21}, ErrorCode.PASSPORT_NUMBER_INVALID),
    ("lower case not normalised", {"number": "abc12345"}, ErrorCode.PASSPORT_NUMBER_INVALID),
    ("Arabic letters", {"number": "بب12345"}, ErrorCode.PASSPORT_NUMBER_INVALID),
    ("punctuation", {"number": "AB/12345"}, ErrorCode.PASSPORT_NUMBER_INVALID),
    ("accented Latin", {"number": "ÉCOLE123"}, ErrorCode.PASSPORT_NUMBER_INVALID),
    ("empty", {"number": ""}, ErrorCode.PASSPORT_NUMBER_INVALID),
    (
        "issued the day it expires",
        {"issue_date": date(2030, 1, 1), "expiry_date": date(2030, 1, 1)},
        ErrorCode.PASSPORT_DATES_INVALID,
    ),
    (
        "issued after it expires",
        {"issue_date": date(2030, 1, 2), "expiry_date": date(2030, 1, 1)},
        ErrorCode.PASSPORT_DATES_INVALID,
    ),
    ("expires today", {"expiry_date": TODAY}, ErrorCode.PASSPORT_DATES_INVALID),
    (
        "expired yesterday",
        {"expiry_date": TODAY - timedelta(days=1)},
        ErrorCode.PASSPORT_DATES_INVALID,
    ),
    ("the same number", {"number": "P1234567"}, ErrorCode.PASSPORT_NUMBER_UNCHANGED),
    (
        "the same number stored in lower case",
        {"number": "P1234567", "current_passport_number": "p1234567"},
        ErrorCode.PASSPORT_NUMBER_UNCHANGED,
    ),
    *[
        (f"status {status}", {"status": status}, ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE)
        for status in (
            ResidentStatus.FINAL_EXIT_ISSUED,
            ResidentStatus.DEPARTED_FINAL,
            ResidentStatus.DECEASED,
        )
    ],
    ("outside the kingdom", {"inside_kingdom": False}, ErrorCode.RESIDENT_OUTSIDE_KINGDOM),
]


def test_the_eligible_snapshot_passes_every_rule():
    assert evaluate(rules(), ELIGIBLE) == []


@pytest.mark.parametrize("changes", [pytest.param(c, id=name) for name, c in PASSING])
def test_passing_row_is_eligible(changes):
    assert codes(snapshot(**changes)) == []


@pytest.mark.parametrize(
    ("changes", "code"), [pytest.param(c, code, id=name) for name, c, code in FAILING]
)
def test_failing_row_is_refused_by_its_rule_only(changes, code):
    assert codes(snapshot(**changes)) == [code]


def test_every_rule_has_a_failing_row():
    assert len(rules()) == len(RULE_ORDER)
    assert {code for _, _, code in FAILING} == set(RULE_ORDER)


BREAKERS = {
    ErrorCode.PASSPORT_NUMBER_INVALID: {"number": "AB12"},  # too short
    ErrorCode.PASSPORT_DATES_INVALID: {"expiry_date": date(2020, 1, 1)},
    ErrorCode.PASSPORT_NUMBER_UNCHANGED: {},  # the current number is set to the new one below
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE: {"status": ResidentStatus.DEPARTED_FINAL},
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM: {"inside_kingdom": False},
}


@given(st.sets(st.sampled_from(RULE_ORDER)))
def test_any_combination_of_failures_is_reported_in_full_and_in_order(broken):
    changes: dict[str, object] = {}
    for code in broken:
        changes.update(BREAKERS[code])
    if ErrorCode.PASSPORT_NUMBER_UNCHANGED in broken:
        changes["current_passport_number"] = changes.get("number", ELIGIBLE.new.number)
    assert codes(snapshot(**changes)) == [code for code in RULE_ORDER if code in broken]


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("z9876543", "Z9876543"),
        (" Z 987 6543 ", "Z9876543"),
        ("\u200fz9876543\u200e", "Z9876543"),
        ("ab١٢٣٤٥", "AB12345"),
    ],
)
def test_passport_numbers_are_upper_cased_and_cleaned(typed, normalised):
    assert normalize_passport_number(typed) == normalised
    new = NewPassport.of(number=typed, issue_date=TODAY, expiry_date=date(2030, 1, 1))
    assert new.number == normalised


def test_new_passport_survives_the_quote_token_payload():
    new = ELIGIBLE.new
    assert NewPassport.from_payload(new.as_payload()) == new
