"""Iqama issuance eligibility (DOMAIN.md "Iqama issuance"): pure rules over a snapshot, no database.

Each row starts from a fully eligible snapshot and changes one thing, so a failing row shows exactly the
one rule it is about and a passing row shows the rule's boundary is on the right side.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muqeem.core.errors import ErrorCode
from muqeem.core.money import Money
from muqeem.eservices.iqama_issuance.rules import IssuanceSnapshot, first_iqama_expiry, rules
from muqeem.residents.models import ResidentStatus
from muqeem.workflow.rules import ResidentFacts, evaluate

TODAY = date(2026, 3, 1)
YESTERDAY = TODAY - timedelta(days=1)

ELIGIBLE = IssuanceSnapshot(
    facts=ResidentFacts(
        today=TODAY,
        status=ResidentStatus.ACTIVE,
        inside_kingdom=True,
        iqama_expiry=None,  # a new arrival has no iqama yet
        passport_expiry=date(2028, 1, 1),
        insurance_active=True,
        insurance_expiry=date(2027, 1, 1),
        unpaid_fines_halalas=0,
        absent_reported=False,
        fingerprint_registered=True,
        balance_halalas=5_000_000,
    ),
    has_iqama=False,
    medical_exam_passed=True,
    min_passport_days=90,
    national_address_complete=True,
    total_halalas=1_038_000,
)

FACT_FIELDS = {f.name for f in fields(ResidentFacts)}

# The codes in the order `rules()` lists the rules.
RULE_ORDER = [
    ErrorCode.IQAMA_ALREADY_ISSUED,
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ErrorCode.MEDICAL_EXAM_NOT_PASSED,
    ErrorCode.INSURANCE_INACTIVE,
    ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ErrorCode.PASSPORT_EXPIRED,
    ErrorCode.UNPAID_TRAFFIC_FINES,
    ErrorCode.NATIONAL_ADDRESS_INVALID,
    ErrorCode.INSUFFICIENT_BALANCE,
]


def snapshot(**changes) -> IssuanceSnapshot:
    fact_changes = {k: v for k, v in changes.items() if k in FACT_FIELDS}
    own_changes = {k: v for k, v in changes.items() if k not in FACT_FIELDS}
    return replace(ELIGIBLE, facts=replace(ELIGIBLE.facts, **fact_changes), **own_changes)


def codes(s: IssuanceSnapshot) -> list[ErrorCode]:
    return [v.code for v in evaluate(rules(), s)]


PASSING = [
    ("no iqama yet", {"has_iqama": False}),
    ("active", {"status": ResidentStatus.ACTIVE}),
    ("inside the kingdom", {"inside_kingdom": True}),
    ("medical examination passed", {"medical_exam_passed": True}),
    ("insurance with no end date", {"insurance_expiry": None}),
    ("insurance ends today", {"insurance_expiry": TODAY}),
    ("fingerprint registered", {"fingerprint_registered": True}),
    ("passport valid exactly 90 more days", {"passport_expiry": TODAY + timedelta(days=90)}),
    (
        "a shorter minimum in the schedule",
        {"min_passport_days": 30, "passport_expiry": TODAY + timedelta(days=30)},
    ),
    ("no traffic fines", {"unpaid_fines_halalas": 0}),
    ("complete national address", {"national_address_complete": True}),
    ("balance exactly covers the fees", {"balance_halalas": 1_038_000}),
]

FAILING = [
    ("an iqama was already issued", {"has_iqama": True}, ErrorCode.IQAMA_ALREADY_ISSUED),
    # Every status but active blocks (a probation final exit means no iqama can follow).
    *[
        (f"status {status}", {"status": status}, ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE)
        for status in ResidentStatus
        if status != ResidentStatus.ACTIVE
    ],
    ("outside the kingdom", {"inside_kingdom": False}, ErrorCode.RESIDENT_OUTSIDE_KINGDOM),
    (
        "medical examination not passed",
        {"medical_exam_passed": False},
        ErrorCode.MEDICAL_EXAM_NOT_PASSED,
    ),
    ("insurance inactive", {"insurance_active": False}, ErrorCode.INSURANCE_INACTIVE),
    ("insurance ended yesterday", {"insurance_expiry": YESTERDAY}, ErrorCode.INSURANCE_INACTIVE),
    (
        "fingerprint missing",
        {"fingerprint_registered": False},
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ),
    ("passport expires today", {"passport_expiry": TODAY}, ErrorCode.PASSPORT_EXPIRED),
    (
        "passport one day short of 90",
        {"passport_expiry": TODAY + timedelta(days=89)},
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
    ),
    ("one halala of traffic fines", {"unpaid_fines_halalas": 1}, ErrorCode.UNPAID_TRAFFIC_FINES),
    (
        "national address incomplete",
        {"national_address_complete": False},
        ErrorCode.NATIONAL_ADDRESS_INVALID,
    ),
    ("balance one halala short", {"balance_halalas": 1_037_999}, ErrorCode.INSUFFICIENT_BALANCE),
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
    assert {code for _, _, code in FAILING} == {*RULE_ORDER, ErrorCode.PASSPORT_VALIDITY_TOO_SHORT}


BREAKERS = {
    ErrorCode.IQAMA_ALREADY_ISSUED: {"has_iqama": True},
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE: {"status": ResidentStatus.FINAL_EXIT_ISSUED},
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM: {"inside_kingdom": False},
    ErrorCode.MEDICAL_EXAM_NOT_PASSED: {"medical_exam_passed": False},
    ErrorCode.INSURANCE_INACTIVE: {"insurance_active": False},
    ErrorCode.FINGERPRINT_NOT_REGISTERED: {"fingerprint_registered": False},
    ErrorCode.PASSPORT_EXPIRED: {"passport_expiry": YESTERDAY},
    ErrorCode.UNPAID_TRAFFIC_FINES: {"unpaid_fines_halalas": 30_000},
    ErrorCode.NATIONAL_ADDRESS_INVALID: {"national_address_complete": False},
    ErrorCode.INSUFFICIENT_BALANCE: {"balance_halalas": 0},
}


def test_a_snapshot_failing_every_condition_gets_every_code_in_rule_order():
    changes: dict[str, object] = {}
    for breaker in BREAKERS.values():
        changes.update(breaker)
    assert codes(snapshot(**changes)) == RULE_ORDER


@given(st.sets(st.sampled_from(RULE_ORDER)))
def test_any_combination_of_failures_is_reported_in_full_and_in_order(broken):
    changes: dict[str, object] = {}
    for code in broken:
        changes.update(BREAKERS[code])
    assert codes(snapshot(**changes)) == [code for code in RULE_ORDER if code in broken]


def test_balance_violation_gives_both_amounts():
    [v] = evaluate(rules(), snapshot(balance_halalas=100))
    assert v.params == {"balance": Money(100), "total": Money(1_038_000)}


def test_passport_violation_gives_the_minimum_and_the_expiry():
    expiry = TODAY + timedelta(days=10)
    [v] = evaluate(rules(), snapshot(passport_expiry=expiry))
    assert v.params == {"days": 90, "expiry": expiry}


@pytest.mark.parametrize(
    ("issued_on", "months", "expiry"),
    [
        (date(2026, 3, 1), 12, date(2027, 3, 1)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 8, 15), 6, date(2027, 2, 15)),
    ],
)
def test_first_iqama_expiry_is_calendar_months_from_issue(issued_on, months, expiry):
    assert first_iqama_expiry(issued_on=issued_on, months=months) == expiry
