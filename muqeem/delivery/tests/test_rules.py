"""Replacement card eligibility and fees as pure tables over snapshots and schedules (no database).

Each row starts from an eligible snapshot and changes one thing, so a failing row shows exactly the one
rule it is about, and a passing row shows the boundary is on the right side.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta
from itertools import combinations

import pytest

from muqeem.core.errors import ErrorCode
from muqeem.delivery.fees import lost_card_fee, reprint_quote
from muqeem.delivery.models import DeliveryReason
from muqeem.delivery.rules import ReprintSnapshot, reprint_rules
from muqeem.fees.models import FeeCode
from muqeem.fees.schedule import Schedule, default_schedule
from muqeem.residents.models import ResidentStatus
from muqeem.workflow.rules import ResidentFacts, evaluate

TODAY = date(2026, 3, 1)
FACT_FIELDS = {f.name for f in fields(ResidentFacts)}
ELIGIBLE = ReprintSnapshot(
    facts=ResidentFacts(
        today=TODAY,
        status=ResidentStatus.ACTIVE,
        inside_kingdom=True,
        iqama_expiry=TODAY,
        passport_expiry=TODAY - timedelta(days=1),  # not a condition for a new card
        insurance_active=False,  # nor is insurance
        insurance_expiry=None,
        unpaid_fines_halalas=99_999,  # nor traffic fines
        absent_reported=False,
        fingerprint_registered=False,
        balance_halalas=53_000,
    ),
    national_address_complete=True,
    open_delivery_tracking=None,
    total_halalas=53_000,
)


def changed(snapshot, **changes):
    fact_changes = {k: v for k, v in changes.items() if k in FACT_FIELDS}
    own = {k: v for k, v in changes.items() if k not in FACT_FIELDS}
    return replace(snapshot, facts=replace(snapshot.facts, **fact_changes), **own)


def codes(snapshot):
    return [v.code for v in evaluate(reprint_rules(), snapshot)]


FAILING = {
    "status": (
        {"status": ResidentStatus.ABSENT_FROM_WORK},
        ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ),
    "outside": ({"inside_kingdom": False}, ErrorCode.RESIDENT_OUTSIDE_KINGDOM),
    "expired": ({"iqama_expiry": TODAY - timedelta(days=1)}, ErrorCode.IQAMA_EXPIRED),
    "no_expiry": ({"iqama_expiry": None}, ErrorCode.IQAMA_EXPIRED),
    "address": ({"national_address_complete": False}, ErrorCode.NATIONAL_ADDRESS_INVALID),
    "open": ({"open_delivery_tracking": "WSL8000000001"}, ErrorCode.DELIVERY_ALREADY_OPEN),
    "balance": ({"balance_halalas": 52_999}, ErrorCode.INSUFFICIENT_BALANCE),
}
RULE_ORDER = [
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ErrorCode.IQAMA_EXPIRED,
    ErrorCode.NATIONAL_ADDRESS_INVALID,
    ErrorCode.DELIVERY_ALREADY_OPEN,
    ErrorCode.INSUFFICIENT_BALANCE,
]


def test_the_eligible_snapshot_passes_on_its_boundaries():
    assert codes(ELIGIBLE) == []


@pytest.mark.parametrize(("changes", "code"), FAILING.values(), ids=FAILING.keys())
def test_each_failing_row_is_refused_by_its_rule_only(changes, code):
    assert codes(changed(ELIGIBLE, **changes)) == [code]


@pytest.mark.parametrize(
    "status", [s for s in ResidentStatus if s != ResidentStatus.ACTIVE], ids=str
)
def test_every_status_but_active_is_refused(status):
    violations = evaluate(reprint_rules(), changed(ELIGIBLE, status=status))
    assert [v.code for v in violations] == [ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE]
    assert str(violations[0].params["status"]) == str(ResidentStatus(status).label)


def test_the_open_delivery_is_named_in_the_violation():
    [violation] = evaluate(
        reprint_rules(), changed(ELIGIBLE, open_delivery_tracking="WSL8000000007")
    )
    assert violation.params == {"tracking": "WSL8000000007"}


@pytest.mark.parametrize("size", [2, 3, len(FAILING)])
def test_any_combination_is_reported_in_full_and_in_rule_order(size):
    rows = {k: v for k, v in FAILING.items() if k != "no_expiry"}
    for combo in combinations(rows.values(), min(size, len(rows))):
        merged = {k: v for changes, _ in combo for k, v in changes.items()}
        expected = [c for c in RULE_ORDER if c in {code for _, code in combo}]
        assert codes(changed(ELIGIBLE, **merged)) == expected


# --- Fees ----------------------------------------------------------------------------------------


def schedule(**values) -> Schedule:
    base = default_schedule(TODAY)
    return replace(base, values={**base.values, **values})


@pytest.mark.parametrize(
    ("earlier", "fee"), [(0, 100000), (1, 200000), (2, 300000), (3, 300000), (10, 300000)]
)
def test_lost_fee_by_number_of_earlier_losses(earlier, fee):
    assert lost_card_fee(default_schedule(TODAY), earlier_lost=earlier) == fee


def test_lost_fee_list_of_any_length_is_capped_at_its_last_value():
    s = schedule(**{"wasel.lost_card_fees": [1, 2, 3, 4, 5]})
    assert [lost_card_fee(s, earlier_lost=n) for n in range(7)] == [1, 2, 3, 4, 5, 5, 5]
    single = schedule(**{"wasel.lost_card_fees": [7]})
    assert lost_card_fee(single, earlier_lost=3) == 7


def test_quote_lines_for_lost_and_damaged():
    s = schedule(**{"wasel.delivery_fee": 2500, "wasel.damaged_card_fee": 40000})
    lost = reprint_quote(s, reason=DeliveryReason.LOST, earlier_lost=1)
    assert [(line.code, line.amount_halalas) for line in lost.lines] == [
        (FeeCode.CARD_REPLACEMENT_FEE, 200000),
        (FeeCode.WASEL_DELIVERY_FEE, 2500),
    ]
    assert lost.lines[0].basis == {"earlier_lost": 1}
    damaged = reprint_quote(s, reason=DeliveryReason.DAMAGED, earlier_lost=4)
    assert damaged.total_halalas == 42500


@pytest.mark.parametrize("reason", [DeliveryReason.NEW_ISSUANCE, DeliveryReason.PROFESSION_CHANGE])
def test_other_reasons_have_no_replacement_quote(reason):
    with pytest.raises(ValueError, match="replacement"):
        reprint_quote(default_schedule(TODAY), reason=reason, earlier_lost=0)
