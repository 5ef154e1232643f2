"""Final exit eligibility (DOMAIN.md "Final exit"): regular, during probation, and cancelling, as pure
rules over snapshots, no database.

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
from muqeem.eservices.final_exit.models import FinalExitKind, FinalExitStatus
from muqeem.eservices.final_exit.rules import (
    CancelSnapshot,
    IssueSnapshot,
    ProbationSnapshot,
    cancel_rules,
    issue_rules,
    probation_rules,
)
from muqeem.residents.models import ResidentStatus
from muqeem.workflow.rules import ResidentFacts, evaluate

TODAY = date(2026, 3, 1)
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)
FACT_FIELDS = {f.name for f in fields(ResidentFacts)}

FACTS = ResidentFacts(
    today=TODAY,
    status=ResidentStatus.ACTIVE,
    inside_kingdom=True,
    iqama_expiry=date(2026, 6, 1),
    passport_expiry=date(2028, 1, 1),
    insurance_active=True,
    insurance_expiry=date(2027, 1, 1),
    unpaid_fines_halalas=0,
    absent_reported=False,
    fingerprint_registered=True,
    balance_halalas=0,
)


def changed(snapshot, **changes):
    """`snapshot` with `changes` applied, to its facts or to the snapshot itself."""
    fact_changes = {k: v for k, v in changes.items() if k in FACT_FIELDS}
    own_changes = {k: v for k, v in changes.items() if k not in FACT_FIELDS}
    return replace(snapshot, facts=replace(snapshot.facts, **fact_changes), **own_changes)


def codes(rules, snapshot):
    return [v.code for v in evaluate(rules, snapshot)]


def only_violation(rules, snapshot) -> Violation:
    violations = evaluate(rules, snapshot)
    assert len(violations) == 1, violations
    return violations[0]


def rows(table):
    return [pytest.param(*row[1:], id=row[0]) for row in table]


def blocking_statuses(*allowed):
    return [status for status in ResidentStatus if status not in allowed]


# === Regular final exit =========================================================================

# A 30-year-old with nothing in the way; the final exit is free by default, the balance empty.
ISSUE_OK = IssueSnapshot(
    facts=FACTS,
    age=30,
    fingerprint_min_age=15,
    registered_vehicles=0,
    current_visa_number=None,
    min_passport_days=60,
    total_halalas=0,
)

ISSUE_ORDER = [
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ErrorCode.ABSENT_FROM_WORK_REPORTED,
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ErrorCode.IQAMA_EXPIRED,
    ErrorCode.PASSPORT_EXPIRED,
    ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ErrorCode.UNPAID_TRAFFIC_FINES,
    ErrorCode.VEHICLE_REGISTERED,
    ErrorCode.VISA_ALREADY_VALID,
    ErrorCode.INSUFFICIENT_BALANCE,
]

ISSUE_PASSING = [
    ("active", {"status": ResidentStatus.ACTIVE}),
    ("inside the kingdom", {"inside_kingdom": True}),
    # Iqama valid, the expiry day included.
    ("iqama expires today", {"iqama_expiry": TODAY}),
    # Passport valid at least 60 more days.
    ("passport valid exactly 60 days", {"passport_expiry": TODAY + timedelta(days=60)}),
    # Fingerprint: required only from age 15.
    ("14 without a fingerprint", {"age": 14, "fingerprint_registered": False}),
    ("a baby without a fingerprint", {"age": 0, "fingerprint_registered": False}),
    ("15 with a fingerprint", {"age": 15, "fingerprint_registered": True}),
    (
        "17 without one where the schedule says 18",
        {"age": 17, "fingerprint_min_age": 18, "fingerprint_registered": False},
    ),
    # Traffic fines, vehicles, visa
    ("a credit on the traffic account", {"unpaid_fines_halalas": -500}),
    ("no vehicles", {"registered_vehicles": 0}),
    ("no current exit/re-entry visa", {"current_visa_number": None}),
    # Unrelated facts do not matter.
    ("no insurance", {"insurance_active": False}),
    # Balance: a fee, when the schedule sets one, must be covered.
    ("balance exactly covers a fee", {"total_halalas": 20_000, "balance_halalas": 20_000}),
]

ISSUE_FAILING = [
    # Status: only active (not deceased, absent, transferred, already on final exit, ...).
    *[
        (f"status {status}", {"status": status}, ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE)
        for status in blocking_statuses(ResidentStatus.ACTIVE)
    ],
    ("absent-from-work report", {"absent_reported": True}, ErrorCode.ABSENT_FROM_WORK_REPORTED),
    ("outside the kingdom", {"inside_kingdom": False}, ErrorCode.RESIDENT_OUTSIDE_KINGDOM),
    # Iqama
    ("iqama expired yesterday", {"iqama_expiry": YESTERDAY}, ErrorCode.IQAMA_EXPIRED),
    ("no iqama expiry", {"iqama_expiry": None}, ErrorCode.IQAMA_EXPIRED),
    # Passport
    ("passport expires today", {"passport_expiry": TODAY}, ErrorCode.PASSPORT_EXPIRED),
    (
        "passport valid 59 days",
        {"passport_expiry": TODAY + timedelta(days=59)},
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
    ),
    # Fingerprint
    (
        "15 without a fingerprint",
        {"age": 15, "fingerprint_registered": False},
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ),
    (
        "30 without a fingerprint",
        {"fingerprint_registered": False},
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ),
    (
        "12 without one where the schedule says 12",
        {"age": 12, "fingerprint_min_age": 12, "fingerprint_registered": False},
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ),
    # Traffic fines
    ("one halala of traffic fines", {"unpaid_fines_halalas": 1}, ErrorCode.UNPAID_TRAFFIC_FINES),
    # Vehicles
    ("one vehicle", {"registered_vehicles": 1}, ErrorCode.VEHICLE_REGISTERED),
    ("three vehicles", {"registered_vehicles": 3}, ErrorCode.VEHICLE_REGISTERED),
    # A valid exit/re-entry visa
    ("a valid visa", {"current_visa_number": "5000000017"}, ErrorCode.VISA_ALREADY_VALID),
    # Balance
    (
        "balance one halala short of a fee",
        {"total_halalas": 20_000, "balance_halalas": 19_999},
        ErrorCode.INSUFFICIENT_BALANCE,
    ),
]


def test_the_eligible_final_exit_snapshot_passes_every_rule():
    assert evaluate(issue_rules(), ISSUE_OK) == []


@pytest.mark.parametrize("changes", rows(ISSUE_PASSING))
def test_issue_passing_row(changes):
    assert codes(issue_rules(), changed(ISSUE_OK, **changes)) == []


@pytest.mark.parametrize(("changes", "code"), rows(ISSUE_FAILING))
def test_issue_failing_row_is_refused_by_its_rule_only(changes, code):
    assert codes(issue_rules(), changed(ISSUE_OK, **changes)) == [code]


def test_every_issue_rule_has_a_failing_row():
    assert len(issue_rules()) == len(ISSUE_ORDER)
    assert {code for *_, code in ISSUE_FAILING} == {
        *ISSUE_ORDER,
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
    }


def test_a_final_exit_failing_every_condition_gets_every_code_in_rule_order():
    s = changed(
        ISSUE_OK,
        status=ResidentStatus.DECEASED,
        absent_reported=True,
        inside_kingdom=False,
        iqama_expiry=None,
        passport_expiry=YESTERDAY,
        fingerprint_registered=False,
        unpaid_fines_halalas=30_000,
        registered_vehicles=2,
        current_visa_number="5000000017",
        total_halalas=20_000,
    )
    assert codes(issue_rules(), s) == ISSUE_ORDER


ISSUE_BREAKERS = {
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE: {"status": ResidentStatus.ABSENT_FROM_WORK},
    ErrorCode.ABSENT_FROM_WORK_REPORTED: {"absent_reported": True},
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM: {"inside_kingdom": False},
    ErrorCode.IQAMA_EXPIRED: {"iqama_expiry": date(2026, 2, 1)},
    ErrorCode.PASSPORT_EXPIRED: {"passport_expiry": date(2026, 2, 1)},
    ErrorCode.FINGERPRINT_NOT_REGISTERED: {"fingerprint_registered": False},
    ErrorCode.UNPAID_TRAFFIC_FINES: {"unpaid_fines_halalas": 30_000},
    ErrorCode.VEHICLE_REGISTERED: {"registered_vehicles": 1},
    ErrorCode.VISA_ALREADY_VALID: {"current_visa_number": "5000000017"},
    ErrorCode.INSUFFICIENT_BALANCE: {"total_halalas": 1},
}


@given(st.sets(st.sampled_from(ISSUE_ORDER)))
def test_any_combination_of_final_exit_failures_is_reported_in_full_and_in_order(broken):
    changes = {}
    for code in broken:
        changes.update(ISSUE_BREAKERS[code])
    assert codes(issue_rules(), changed(ISSUE_OK, **changes)) == [
        code for code in ISSUE_ORDER if code in broken
    ]


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=30))
def test_a_missing_fingerprint_blocks_exactly_from_the_minimum_age(age, min_age):
    s = changed(ISSUE_OK, age=age, fingerprint_min_age=min_age, fingerprint_registered=False)
    blocked = ErrorCode.FINGERPRINT_NOT_REGISTERED in codes(issue_rules(), s)
    assert blocked is (age >= min_age)


def test_an_absent_from_work_report_blocks_a_final_exit():
    s = changed(ISSUE_OK, absent_reported=True)
    assert codes(issue_rules(), s) == [ErrorCode.ABSENT_FROM_WORK_REPORTED]


def test_vehicle_violation_gives_the_count():
    v = only_violation(issue_rules(), changed(ISSUE_OK, registered_vehicles=3))
    assert v.params == {"count": 3}
    with translation.override("en"):
        assert v.message == "3 vehicle(s) are registered in the resident's name."


def test_visa_violation_names_the_visa():
    v = only_violation(issue_rules(), changed(ISSUE_OK, current_visa_number="5000000017"))
    assert v.params == {"number": "5000000017"}


def test_iqama_violation_gives_the_expiry_or_today():
    v = only_violation(issue_rules(), changed(ISSUE_OK, iqama_expiry=YESTERDAY))
    assert v.params == {"expiry": YESTERDAY}
    assert only_violation(issue_rules(), changed(ISSUE_OK, iqama_expiry=None)).params == {
        "expiry": TODAY
    }


def test_passport_violation_gives_the_minimum_days():
    expiry = TODAY + timedelta(days=59)
    v = only_violation(issue_rules(), changed(ISSUE_OK, passport_expiry=expiry))
    assert v.params == {"days": 60, "expiry": expiry}


def test_balance_violation_gives_the_balance_and_the_fee():
    v = only_violation(issue_rules(), changed(ISSUE_OK, total_halalas=20_000, balance_halalas=500))
    assert v.params == {"balance": Money(500), "total": Money(20_000)}


# === Final exit during probation ================================================================

# Arrived 30 days ago on a border number; no iqama, no fingerprint yet.
PROBATION_OK = ProbationSnapshot(
    facts=replace(FACTS, iqama_expiry=None, fingerprint_registered=False),
    has_iqama=False,
    arrival_date=date(2026, 1, 30),
    probation_days=90,
    min_passport_days=60,
)

PROBATION_ORDER = [
    ErrorCode.NOT_ON_BORDER_NUMBER,
    ErrorCode.PROBATION_PERIOD_OVER,
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ErrorCode.PASSPORT_EXPIRED,
    ErrorCode.UNPAID_TRAFFIC_FINES,
]

# 1 March 2026 is 90 days after 1 December 2025 (30 + 31 + 28 + 1).
DAY_90 = date(2025, 12, 1)
DAY_91 = date(2025, 11, 30)

PROBATION_PASSING = [
    ("still on a border number", {"has_iqama": False}),
    ("arrived today", {"arrival_date": TODAY}),
    ("the 90th day after arrival", {"arrival_date": DAY_90}),
    ("a schedule allowing 120 days", {"arrival_date": DAY_91, "probation_days": 120}),
    ("active", {"status": ResidentStatus.ACTIVE}),
    ("passport valid exactly 60 days", {"passport_expiry": TODAY + timedelta(days=60)}),
    ("no traffic fines", {"unpaid_fines_halalas": 0}),
    # Not conditions of a probation final exit: fingerprint, iqama, vehicles, balance.
    ("no fingerprint", {"fingerprint_registered": False}),
    ("no balance", {"balance_halalas": 0}),
]

PROBATION_FAILING = [
    ("already has an iqama", {"has_iqama": True}, ErrorCode.NOT_ON_BORDER_NUMBER),
    ("the 91st day after arrival", {"arrival_date": DAY_91}, ErrorCode.PROBATION_PERIOD_OVER),
    ("arrival date unknown", {"arrival_date": None}, ErrorCode.PROBATION_PERIOD_OVER),
    (
        "a schedule allowing 29 days",
        {"probation_days": 29},
        ErrorCode.PROBATION_PERIOD_OVER,
    ),
    *[
        (f"status {status}", {"status": status}, ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE)
        for status in blocking_statuses(ResidentStatus.ACTIVE)
    ],
    ("outside the kingdom", {"inside_kingdom": False}, ErrorCode.RESIDENT_OUTSIDE_KINGDOM),
    ("passport expired", {"passport_expiry": YESTERDAY}, ErrorCode.PASSPORT_EXPIRED),
    (
        "passport valid 59 days",
        {"passport_expiry": TODAY + timedelta(days=59)},
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
    ),
    ("one halala of traffic fines", {"unpaid_fines_halalas": 1}, ErrorCode.UNPAID_TRAFFIC_FINES),
]


def test_the_eligible_probation_snapshot_passes_every_rule():
    assert evaluate(probation_rules(), PROBATION_OK) == []


@pytest.mark.parametrize("changes", rows(PROBATION_PASSING))
def test_probation_passing_row(changes):
    assert codes(probation_rules(), changed(PROBATION_OK, **changes)) == []


@pytest.mark.parametrize(("changes", "code"), rows(PROBATION_FAILING))
def test_probation_failing_row_is_refused_by_its_rule_only(changes, code):
    assert codes(probation_rules(), changed(PROBATION_OK, **changes)) == [code]


def test_every_probation_rule_has_a_failing_row():
    assert len(probation_rules()) == len(PROBATION_ORDER)
    assert {code for *_, code in PROBATION_FAILING} == {
        *PROBATION_ORDER,
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
    }


def test_a_probation_exit_failing_every_condition_gets_every_code_in_rule_order():
    s = changed(
        PROBATION_OK,
        has_iqama=True,
        arrival_date=date(2025, 6, 1),
        status=ResidentStatus.TRANSFERRED,
        inside_kingdom=False,
        passport_expiry=TODAY,
        unpaid_fines_halalas=30_000,
    )
    assert codes(probation_rules(), s) == PROBATION_ORDER


@pytest.mark.parametrize(
    ("arrival", "days", "deadline"),
    [
        (date(2026, 1, 30), 90, date(2026, 4, 30)),  # 1 + 28 + 31 + 30
        (DAY_90, 90, TODAY),
        (date(2026, 1, 30), 0, date(2026, 1, 30)),
        (None, 90, None),
    ],
)
def test_probation_deadline_is_the_days_after_arrival(arrival, days, deadline):
    assert changed(PROBATION_OK, arrival_date=arrival, probation_days=days).deadline == deadline


def test_probation_violation_gives_the_deadline_and_the_days():
    v = only_violation(probation_rules(), changed(PROBATION_OK, arrival_date=DAY_91))
    assert v.params == {"deadline": YESTERDAY, "days": 90}
    # Arrival unknown: the message shows today.
    v = only_violation(probation_rules(), changed(PROBATION_OK, arrival_date=None))
    assert v.params == {"deadline": TODAY, "days": 90}


# === Cancel =====================================================================================

# A regular final exit issued on 1 February: free to cancel and must leave by 2 April (+60 days).
ISSUED_ON = date(2026, 2, 1)
DAY_60 = date(2026, 4, 2)

CANCEL_OK = CancelSnapshot(
    facts=replace(FACTS, status=ResidentStatus.FINAL_EXIT_ISSUED, balance_halalas=0),
    kind=FinalExitKind.REGULAR,
    status=FinalExitStatus.ISSUED,
    status_label=FinalExitStatus.ISSUED.label,
    free_until=DAY_60,
    leave_by=DAY_60,
    total_halalas=0,
)

CANCEL_ORDER = [
    ErrorCode.FINAL_EXIT_NOT_CANCELLABLE,
    ErrorCode.FINAL_EXIT_CANCEL_WINDOW_PASSED,
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ErrorCode.IQAMA_EXPIRED,
    ErrorCode.INSUFFICIENT_BALANCE,
]

FEE = 100_000  # SAR 1,000 to cancel a final exit that expired unused

# Issued 1 December 2025: free to cancel and to leave until 30 January; it expired unused.
EXPIRED_UNUSED = {
    "status": FinalExitStatus.EXPIRED,
    "free_until": date(2026, 1, 30),
    "leave_by": date(2026, 1, 30),
    "total_halalas": FEE,
    "balance_halalas": FEE,
}


def cancel_snapshot(**changes) -> CancelSnapshot:
    """Like `changed`, except that `status` is the final exit's (with its label), not the resident's."""
    status = changes.pop("status", None)
    s = changed(CANCEL_OK, **changes)
    if status is not None:
        s = replace(s, status=status, status_label=FinalExitStatus(status).label)
    return s


CANCEL_PASSING = [
    ("issued, within 60 days", {}),
    ("the 60th day", {"free_until": TODAY, "leave_by": TODAY}),
    # Expired (by status or by date) and paid for: allowed even with an expired iqama.
    ("expired, for a fee", EXPIRED_UNUSED),
    (
        "expired, for a fee, iqama expired",
        {**EXPIRED_UNUSED, "iqama_expiry": date(2026, 2, 15)},
    ),
    ("expired, for a fee, no iqama expiry", {**EXPIRED_UNUSED, "iqama_expiry": None}),
    (
        "past the leave-by day, job not run yet",
        {
            "free_until": YESTERDAY,
            "leave_by": YESTERDAY,
            "iqama_expiry": YESTERDAY,
            "total_halalas": FEE,
            "balance_halalas": FEE,
        },
    ),
    ("iqama expires today", {"iqama_expiry": TODAY}),
    # The resident's status and other facts are not conditions here.
    ("fingerprint missing", {"fingerprint_registered": False}),
]

CANCEL_FAILING = [
    # Only a regular final exit, issued or expired unused.
    (
        "probation final exit",
        {"kind": FinalExitKind.PROBATION},
        ErrorCode.FINAL_EXIT_NOT_CANCELLABLE,
    ),
    (
        "probation final exit, expired",
        {"kind": FinalExitKind.PROBATION, **EXPIRED_UNUSED},
        ErrorCode.FINAL_EXIT_NOT_CANCELLABLE,
    ),
    (
        "already departed",
        {"status": FinalExitStatus.DEPARTED},
        ErrorCode.FINAL_EXIT_NOT_CANCELLABLE,
    ),
    (
        "already cancelled",
        {"status": FinalExitStatus.CANCELLED},
        ErrorCode.FINAL_EXIT_NOT_CANCELLABLE,
    ),
    # A free cancel after the window, while the resident may still leave.
    (
        "free window over, leave-by still ahead",
        {"free_until": YESTERDAY, "leave_by": TOMORROW},
        ErrorCode.FINAL_EXIT_CANCEL_WINDOW_PASSED,
    ),
    (
        "free window over, leaving today",
        {"free_until": YESTERDAY, "leave_by": TODAY},
        ErrorCode.FINAL_EXIT_CANCEL_WINDOW_PASSED,
    ),
    ("outside the kingdom", {"inside_kingdom": False}, ErrorCode.RESIDENT_OUTSIDE_KINGDOM),
    (
        "outside the kingdom, expired",
        {**EXPIRED_UNUSED, "inside_kingdom": False},
        ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ),
    # Iqama: needed valid while the final exit is still valid.
    ("iqama expired", {"iqama_expiry": YESTERDAY}, ErrorCode.IQAMA_EXPIRED),
    ("no iqama expiry", {"iqama_expiry": None}, ErrorCode.IQAMA_EXPIRED),
    # Balance
    (
        "expired, balance one halala short of the fee",
        {**EXPIRED_UNUSED, "balance_halalas": FEE - 1},
        ErrorCode.INSUFFICIENT_BALANCE,
    ),
]


def test_the_eligible_cancel_snapshot_passes_every_rule():
    assert evaluate(cancel_rules(), CANCEL_OK) == []


@pytest.mark.parametrize("changes", rows(CANCEL_PASSING))
def test_cancel_passing_row(changes):
    assert codes(cancel_rules(), cancel_snapshot(**changes)) == []


@pytest.mark.parametrize(("changes", "code"), rows(CANCEL_FAILING))
def test_cancel_failing_row_is_refused_by_its_rule_only(changes, code):
    assert codes(cancel_rules(), cancel_snapshot(**changes)) == [code]


def test_every_cancel_rule_has_a_failing_row():
    assert len(cancel_rules()) == len(CANCEL_ORDER)
    assert {code for *_, code in CANCEL_FAILING} == set(CANCEL_ORDER)


def test_a_cancellation_failing_every_condition_gets_every_code_in_rule_order():
    # Departed (so not expired) after the free window, from abroad, with no iqama and a fee due.
    s = cancel_snapshot(
        status=FinalExitStatus.DEPARTED,
        free_until=YESTERDAY,
        leave_by=YESTERDAY,
        inside_kingdom=False,
        iqama_expiry=None,
        total_halalas=FEE,
        balance_halalas=0,
    )
    assert codes(cancel_rules(), s) == CANCEL_ORDER


@pytest.mark.parametrize(
    ("status", "leave_by", "expired"),
    [
        (FinalExitStatus.ISSUED, TOMORROW, False),
        (FinalExitStatus.ISSUED, TODAY, False),
        (FinalExitStatus.ISSUED, YESTERDAY, True),
        (FinalExitStatus.EXPIRED, YESTERDAY, True),
        (FinalExitStatus.EXPIRED, TOMORROW, True),
        (FinalExitStatus.DEPARTED, YESTERDAY, False),
        (FinalExitStatus.CANCELLED, YESTERDAY, False),
    ],
)
def test_a_final_exit_has_expired_once_its_leave_by_day_passed_unused(status, leave_by, expired):
    assert cancel_snapshot(status=status, leave_by=leave_by).expired is expired


@given(
    st.sampled_from(list(FinalExitStatus)),
    st.integers(min_value=-90, max_value=90),
    st.integers(min_value=-90, max_value=90),
)
def test_after_the_free_window_only_an_expired_final_exit_escapes_the_window_rule(
    status, free_offset, leave_offset
):
    s = cancel_snapshot(
        status=status,
        free_until=TODAY + timedelta(days=free_offset),
        leave_by=TODAY + timedelta(days=leave_offset),
    )
    window_refused = ErrorCode.FINAL_EXIT_CANCEL_WINDOW_PASSED in codes(cancel_rules(), s)
    expired = status == FinalExitStatus.EXPIRED or (
        status == FinalExitStatus.ISSUED and leave_offset < 0
    )
    assert window_refused is (free_offset < 0 and not expired)


def test_not_cancellable_violation_names_the_status():
    v = only_violation(cancel_rules(), cancel_snapshot(status=FinalExitStatus.DEPARTED))
    assert v.params == {"status": FinalExitStatus.DEPARTED.label}
    with translation.override("en"):
        assert v.message == "This final exit visa is Used (departed) and cannot be cancelled."


def test_cancel_window_violation_gives_the_free_deadline():
    s = cancel_snapshot(free_until=YESTERDAY, leave_by=TOMORROW)
    assert only_violation(cancel_rules(), s).params == {"deadline": YESTERDAY}
