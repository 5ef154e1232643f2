"""Iqama renewal eligibility (DOMAIN.md "Iqama renewal"): pure rules over a snapshot, no database.

Each row starts from a fully eligible snapshot and changes one thing, so a failing row shows exactly the
one rule it is about and a passing row shows the rule's boundary is on the right side.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from muqeem.core.errors import ErrorCode, Violation
from muqeem.core.money import Money
from muqeem.eservices.iqama_renewal.rules import (
    RenewalSnapshot,
    new_expiry_for,
    rules,
)
from muqeem.residents.models import ResidentStatus
from muqeem.workflow.rules import ResidentFacts, evaluate

TODAY = date(2026, 3, 1)
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)

ELIGIBLE = RenewalSnapshot(
    facts=ResidentFacts(
        today=TODAY,
        status=ResidentStatus.ACTIVE,
        inside_kingdom=True,
        iqama_expiry=date(2026, 4, 1),
        passport_expiry=date(2028, 1, 1),
        insurance_active=True,
        insurance_expiry=date(2027, 1, 1),
        unpaid_fines_halalas=0,
        absent_reported=False,
        fingerprint_registered=True,
        balance_halalas=5_000_000,
    ),
    period_months=12,
    allowed_periods=(3, 6, 9, 12),
    max_horizon_months=24,  # limit: 1 March 2028
    min_passport_days=1,
    late=False,
    prior_late_renewals=0,
    max_late_renewals=2,
    total_halalas=1_035_000,
)

FACT_FIELDS = {f.name for f in fields(ResidentFacts)}

# The codes in the order `rules()` lists the rules.
RULE_ORDER = [
    ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED,
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ErrorCode.IQAMA_BEYOND_RENEWAL_HORIZON,
    ErrorCode.LATE_RENEWAL_LIMIT_REACHED,
    ErrorCode.PASSPORT_EXPIRED,
    ErrorCode.INSURANCE_INACTIVE,
    ErrorCode.UNPAID_TRAFFIC_FINES,
    ErrorCode.ABSENT_FROM_WORK_REPORTED,
    ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ErrorCode.INSUFFICIENT_BALANCE,
]


def snapshot(**changes) -> RenewalSnapshot:
    """The eligible snapshot with `changes` applied, to its facts or to the snapshot itself."""
    fact_changes = {k: v for k, v in changes.items() if k in FACT_FIELDS}
    own_changes = {k: v for k, v in changes.items() if k not in FACT_FIELDS}
    return replace(ELIGIBLE, facts=replace(ELIGIBLE.facts, **fact_changes), **own_changes)


def codes(s: RenewalSnapshot) -> list[ErrorCode]:
    return [v.code for v in evaluate(rules(), s)]


def only_violation(s: RenewalSnapshot) -> Violation:
    violations = evaluate(rules(), s)
    assert len(violations) == 1, violations
    return violations[0]


PASSING = [
    # Period
    ("period 3 months", {"period_months": 3}),
    ("period 6 months", {"period_months": 6}),
    ("period 9 months", {"period_months": 9}),
    ("period 12 months", {"period_months": 12}),
    # 24 months fit under the 24-month horizon only when counted from today.
    (
        "24 months where the schedule offers it",
        {"period_months": 24, "allowed_periods": (12, 24), "iqama_expiry": TODAY},
    ),
    # Status
    ("active", {"status": ResidentStatus.ACTIVE}),
    (
        "abroad on an exit/re-entry visa",
        {"status": ResidentStatus.OUTSIDE_KINGDOM, "inside_kingdom": False},
    ),
    # Horizon: 1 March 2027 + 12 months = 1 March 2028, exactly the limit.
    ("new expiry exactly at the horizon", {"iqama_expiry": date(2027, 3, 1)}),
    ("expired long ago, renewed from today", {"iqama_expiry": date(2025, 1, 1)}),
    ("no expiry recorded, renewed from today", {"iqama_expiry": None}),
    # Late renewals
    ("on time after many late renewals", {"late": False, "prior_late_renewals": 5}),
    ("second late renewal", {"late": True, "prior_late_renewals": 1}),
    # Passport
    ("passport valid one more day", {"passport_expiry": TOMORROW}),
    (
        "passport valid the required 90 days",
        {"min_passport_days": 90, "passport_expiry": TODAY + timedelta(days=90)},
    ),
    # Insurance
    ("insurance with no end date", {"insurance_expiry": None}),
    ("insurance ends today", {"insurance_expiry": TODAY}),
    # Traffic fines
    ("no traffic fines", {"unpaid_fines_halalas": 0}),
    ("a credit on the traffic account", {"unpaid_fines_halalas": -500}),
    # Absent report, fingerprint
    ("no absent report", {"absent_reported": False}),
    ("fingerprint registered", {"fingerprint_registered": True}),
    # Balance
    ("balance exactly covers the fees", {"balance_halalas": 1_035_000}),
]

FAILING = [
    # Period
    (
        "24 months not offered",
        {"period_months": 24, "iqama_expiry": TODAY},
        ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED,
    ),
    ("7 months", {"period_months": 7}, ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED),
    ("0 months", {"period_months": 0}, ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED),
    (
        "12 months when only 3 or 6 are offered",
        {"allowed_periods": (3, 6)},
        ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED,
    ),
    # Status: every status except active and outside_kingdom blocks.
    *[
        (f"status {status}", {"status": status}, ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE)
        for status in ResidentStatus
        if status not in (ResidentStatus.ACTIVE, ResidentStatus.OUTSIDE_KINGDOM)
    ],
    ("unknown status", {"status": "bogus"}, ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE),
    # Horizon: 2 March 2027 + 12 months = 2 March 2028, one day past the limit.
    (
        "new expiry one day past the horizon",
        {"iqama_expiry": date(2027, 3, 2)},
        ErrorCode.IQAMA_BEYOND_RENEWAL_HORIZON,
    ),
    ("a 12-month horizon", {"max_horizon_months": 12}, ErrorCode.IQAMA_BEYOND_RENEWAL_HORIZON),
    # Late renewals
    (
        "third late renewal",
        {"late": True, "prior_late_renewals": 2},
        ErrorCode.LATE_RENEWAL_LIMIT_REACHED,
    ),
    (
        "late when none are allowed online",
        {"late": True, "max_late_renewals": 0},
        ErrorCode.LATE_RENEWAL_LIMIT_REACHED,
    ),
    # Passport
    ("passport expires today", {"passport_expiry": TODAY}, ErrorCode.PASSPORT_EXPIRED),
    ("passport expired yesterday", {"passport_expiry": YESTERDAY}, ErrorCode.PASSPORT_EXPIRED),
    (
        "passport one day short of 90",
        {"min_passport_days": 90, "passport_expiry": TODAY + timedelta(days=89)},
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
    ),
    # Insurance
    ("insurance inactive", {"insurance_active": False}, ErrorCode.INSURANCE_INACTIVE),
    ("insurance ended yesterday", {"insurance_expiry": YESTERDAY}, ErrorCode.INSURANCE_INACTIVE),
    # Traffic fines
    ("one halala of traffic fines", {"unpaid_fines_halalas": 1}, ErrorCode.UNPAID_TRAFFIC_FINES),
    (
        "SAR 1,500 of traffic fines",
        {"unpaid_fines_halalas": 150_000},
        ErrorCode.UNPAID_TRAFFIC_FINES,
    ),
    # Absent report, fingerprint
    ("absent from work reported", {"absent_reported": True}, ErrorCode.ABSENT_FROM_WORK_REPORTED),
    (
        "fingerprint missing",
        {"fingerprint_registered": False},
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ),
    # Balance
    ("balance one halala short", {"balance_halalas": 1_034_999}, ErrorCode.INSUFFICIENT_BALANCE),
    ("empty balance", {"balance_halalas": 0}, ErrorCode.INSUFFICIENT_BALANCE),
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
    # The passport rule has two outcomes (expired / too short for the schedule's minimum).
    assert {code for _, _, code in FAILING} == {*RULE_ORDER, ErrorCode.PASSPORT_VALIDITY_TOO_SHORT}


def test_a_snapshot_failing_every_condition_gets_every_code_in_rule_order():
    s = snapshot(
        period_months=7,
        status=ResidentStatus.FINAL_EXIT_ISSUED,
        iqama_expiry=date(2028, 1, 1),  # + 7 months = 1 August 2028, past the horizon
        late=True,
        prior_late_renewals=2,
        passport_expiry=YESTERDAY,
        insurance_active=False,
        unpaid_fines_halalas=30_000,
        absent_reported=True,
        fingerprint_registered=False,
        balance_halalas=0,
    )
    assert codes(s) == RULE_ORDER


def test_a_snapshot_failing_some_conditions_gets_just_those_codes_in_rule_order():
    s = snapshot(fingerprint_registered=False, period_months=5, insurance_active=False)
    assert codes(s) == [
        ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED,
        ErrorCode.INSURANCE_INACTIVE,
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ]


# One independent way to break each rule, for combining freely.
BREAKERS = {
    ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED: {"allowed_periods": (3, 6, 9)},
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE: {"status": ResidentStatus.TRANSFERRED},
    ErrorCode.IQAMA_BEYOND_RENEWAL_HORIZON: {"iqama_expiry": date(2027, 6, 1)},
    ErrorCode.LATE_RENEWAL_LIMIT_REACHED: {"late": True, "prior_late_renewals": 2},
    ErrorCode.PASSPORT_EXPIRED: {"passport_expiry": date(2026, 2, 1)},
    ErrorCode.INSURANCE_INACTIVE: {"insurance_active": False},
    ErrorCode.UNPAID_TRAFFIC_FINES: {"unpaid_fines_halalas": 30_000},
    ErrorCode.ABSENT_FROM_WORK_REPORTED: {"absent_reported": True},
    ErrorCode.FINGERPRINT_NOT_REGISTERED: {"fingerprint_registered": False},
    ErrorCode.INSUFFICIENT_BALANCE: {"balance_halalas": 0},
}


@given(st.sets(st.sampled_from(RULE_ORDER)))
def test_any_combination_of_failures_is_reported_in_full_and_in_order(broken):
    changes = {}
    for code in broken:
        changes.update(BREAKERS[code])
    assert codes(snapshot(**changes)) == [code for code in RULE_ORDER if code in broken]


def test_period_violation_lists_the_allowed_periods():
    v = only_violation(snapshot(period_months=7))
    assert v.params == {"allowed": "3, 6, 9, 12"}
    with translation.override("en"):
        assert v.message == "The iqama duration must be one of: 3, 6, 9, 12 months."


def test_status_violation_names_the_status_by_its_label():
    v = only_violation(snapshot(status=ResidentStatus.TRANSFERRED))
    with translation.override("en"):
        assert v.message == "The resident's status (Transferred) does not allow this service."
    assert only_violation(snapshot(status="bogus")).params == {"status": "bogus"}


def test_horizon_violation_gives_the_new_expiry_and_the_limit():
    v = only_violation(snapshot(iqama_expiry=date(2027, 3, 2)))
    assert v.params == {"new_expiry": date(2028, 3, 2), "months": 24}


def test_late_limit_violation_gives_the_count():
    v = only_violation(snapshot(late=True, prior_late_renewals=2))
    assert v.params == {"count": 2}


def test_passport_violation_gives_the_expiry_date():
    v = only_violation(snapshot(passport_expiry=YESTERDAY))
    assert v.params == {"expiry": YESTERDAY}


def test_traffic_fine_violation_gives_the_amount():
    v = only_violation(snapshot(unpaid_fines_halalas=150_000))
    assert v.params == {"amount": Money(150_000)}


def test_balance_violation_gives_the_balance_and_the_total():
    v = only_violation(snapshot(balance_halalas=10_000))
    assert v.params == {"balance": Money(10_000), "total": Money(1_035_000)}


@pytest.mark.parametrize(
    ("current_expiry", "months", "expected"),
    [
        (date(2026, 4, 1), 12, date(2027, 4, 1)),  # still valid: extends the current expiry
        (date(2026, 4, 1), 3, date(2026, 7, 1)),
        (date(2026, 5, 31), 6, date(2026, 11, 30)),  # end of month clamps
        (TODAY, 3, date(2026, 6, 1)),  # expires today: still from the expiry
        (YESTERDAY, 3, date(2026, 6, 1)),  # already expired: from today
        (date(2025, 1, 15), 12, date(2027, 3, 1)),  # long expired: from today
        (None, 6, date(2026, 9, 1)),  # no expiry recorded: from today
    ],
)
def test_new_expiry_extends_the_current_expiry_or_starts_today_when_expired(
    current_expiry, months, expected
):
    assert new_expiry_for(today=TODAY, current_expiry=current_expiry, months=months) == expected


def test_snapshot_new_expiry_uses_its_facts_and_period():
    assert snapshot(iqama_expiry=date(2026, 4, 1), period_months=9).new_expiry == date(2027, 1, 1)
    assert snapshot(iqama_expiry=YESTERDAY, period_months=3).new_expiry == date(2026, 6, 1)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1), max_value=date(2110, 1, 1))),
    st.integers(min_value=1, max_value=24),
)
def test_new_expiry_is_always_later_than_today_and_the_current_expiry(today, current, months):
    new = new_expiry_for(today=today, current_expiry=current, months=months)
    assert new > today
    if current is not None:
        assert new > current


def test_evaluate_runs_every_rule_and_keeps_their_order():
    calls = []

    def rule(name, result):
        def check(snapshot):
            calls.append(name)
            return result

        return check

    first = Violation(ErrorCode.INSURANCE_INACTIVE)
    second = Violation(ErrorCode.FINGERPRINT_NOT_REGISTERED)
    found = evaluate([rule("a", first), rule("b", None), rule("c", second)], object())
    assert found == [first, second]
    assert calls == ["a", "b", "c"]
