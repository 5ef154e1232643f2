"""Profession change eligibility (DOMAIN.md "Profession change"): pure rules over a snapshot, no database.

Each row starts from an eligible snapshot and changes one thing: a passing row sits on the allowed side
of a rule's boundary, a failing row shows the one code that rule returns.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta

import pytest
from django.utils import translation

from muqeem.core.errors import ErrorCode
from muqeem.eservices.profession_change.rules import ProfessionChangeSnapshot, rules
from muqeem.residents.models import ResidentStatus
from muqeem.workflow.rules import ResidentFacts, evaluate

TODAY = date(2026, 3, 1)

ELIGIBLE = ProfessionChangeSnapshot(
    facts=ResidentFacts(
        today=TODAY,
        status=ResidentStatus.ACTIVE,
        inside_kingdom=True,
        iqama_expiry=date(2026, 9, 1),
        passport_expiry=date(2028, 1, 1),
        insurance_active=True,
        insurance_expiry=date(2027, 1, 1),
        unpaid_fines_halalas=0,
        absent_reported=False,
        fingerprint_registered=True,
        balance_halalas=500_000,
    ),
    current_profession_code="741101",
    new_profession_code="832201",
    new_profession_listed=True,
    pending_transfer=False,
    total_halalas=200_000,
)

FACT_FIELDS = {f.name for f in fields(ResidentFacts)}

# The codes in the order `rules()` lists the rules.
RULE_ORDER = [
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ErrorCode.IQAMA_EXPIRED,
    ErrorCode.PROFESSION_NOT_FOUND,
    ErrorCode.PROFESSION_UNCHANGED,
    ErrorCode.TRANSFER_PENDING,
    ErrorCode.INSUFFICIENT_BALANCE,
]


def snapshot(**changes) -> ProfessionChangeSnapshot:
    fact_changes = {k: v for k, v in changes.items() if k in FACT_FIELDS}
    own_changes = {k: v for k, v in changes.items() if k not in FACT_FIELDS}
    return replace(ELIGIBLE, facts=replace(ELIGIBLE.facts, **fact_changes), **own_changes)


def codes(s: ProfessionChangeSnapshot) -> list[ErrorCode]:
    return [v.code for v in evaluate(rules(), s)]


def test_the_eligible_snapshot_passes_every_rule():
    assert codes(ELIGIBLE) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # status: active (and outside_kingdom, refused by the location rule instead) pass
        ({"status": ResidentStatus.ACTIVE}, []),
        ({"status": ResidentStatus.OUTSIDE_KINGDOM}, []),
        ({"status": ResidentStatus.FINAL_EXIT_ISSUED}, [ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE]),
        ({"status": ResidentStatus.ABSENT_FROM_WORK}, [ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE]),
        ({"status": ResidentStatus.TRANSFERRED}, [ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE]),
        # inside the kingdom
        ({"inside_kingdom": True}, []),
        ({"inside_kingdom": False}, [ErrorCode.RESIDENT_OUTSIDE_KINGDOM]),
        # iqama valid: the expiry day itself still counts
        ({"iqama_expiry": TODAY}, []),
        ({"iqama_expiry": TODAY - timedelta(days=1)}, [ErrorCode.IQAMA_EXPIRED]),
        ({"iqama_expiry": None}, [ErrorCode.IQAMA_EXPIRED]),
        # the new profession is in the list (and active)
        ({"new_profession_listed": True}, []),
        ({"new_profession_listed": False}, [ErrorCode.PROFESSION_NOT_FOUND]),
        # the new profession differs from the current one
        ({"new_profession_code": "100001"}, []),
        ({"new_profession_code": "741101"}, [ErrorCode.PROFESSION_UNCHANGED]),
        # no pending transfer of services
        ({"pending_transfer": False}, []),
        ({"pending_transfer": True}, [ErrorCode.TRANSFER_PENDING]),
        # the balance covers the fee, to the halala; a free correction needs no balance
        ({"balance_halalas": 200_000}, []),
        ({"balance_halalas": 199_999}, [ErrorCode.INSUFFICIENT_BALANCE]),
        ({"balance_halalas": 0, "total_halalas": 0}, []),
    ],
)
def test_one_rule_per_row(changes, expected):
    assert codes(snapshot(**changes)) == expected


def test_every_blocker_is_listed_at_once_in_rule_order():
    everything_wrong = snapshot(
        status=ResidentStatus.DECEASED,
        inside_kingdom=False,
        iqama_expiry=TODAY - timedelta(days=30),
        new_profession_listed=False,
        new_profession_code="741101",
        pending_transfer=True,
        balance_halalas=0,
    )
    assert codes(everything_wrong) == RULE_ORDER


def test_violations_carry_their_parameters_and_both_languages():
    violations = evaluate(
        rules(),
        snapshot(status=ResidentStatus.DECEASED, balance_halalas=100, pending_transfer=True),
    )
    by_code = {v.code: v for v in violations}
    assert str(by_code[ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE].params["status"]) == str(
        ResidentStatus.DECEASED.label
    )
    assert by_code[ErrorCode.INSUFFICIENT_BALANCE].params["total"].halalas == 200_000
    with translation.override("en"):
        for v in violations:
            messages = v.messages
            assert messages["en"] and messages["ar"]
