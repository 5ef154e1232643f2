"""Exit and re-entry visa eligibility (DOMAIN.md "Exit and re-entry visa"): issue, extend and cancel,
as pure rules over snapshots, no database.

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
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaStatus
from muqeem.eservices.exit_reentry.rules import (
    CancelSnapshot,
    ExtendSnapshot,
    IssueSnapshot,
    cancel_rules,
    extend_rules,
    issue_rules,
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
    iqama_expiry=date(2026, 12, 31),
    passport_expiry=date(2028, 1, 1),
    insurance_active=True,
    insurance_expiry=date(2027, 1, 1),
    unpaid_fines_halalas=0,
    absent_reported=False,
    fingerprint_registered=True,
    balance_halalas=5_000_000,
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


# === Issue ======================================================================================

# A single visa for 2 months (SAR 200), the iqama valid to the end of the year.
ISSUE_OK = IssueSnapshot(
    facts=FACTS,
    unit=DurationUnit.MONTHS,
    value=2,
    return_before=None,
    months=2,
    max_months=24,
    min_passport_days=90,
    latest_return=date(2026, 8, 1),
    current_visa_number=None,
    unpaid_visa_fines_halalas=0,
    total_halalas=20_000,
)

ISSUE_ORDER = [
    ErrorCode.VISA_DURATION_INVALID,
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ErrorCode.PASSPORT_EXPIRED,
    ErrorCode.IQAMA_DOES_NOT_COVER_VISA,
    ErrorCode.UNPAID_TRAFFIC_FINES,
    ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ErrorCode.VISA_ALREADY_VALID,
    ErrorCode.UNPAID_VISA_FINE,
    ErrorCode.INSUFFICIENT_BALANCE,
]

DAYS = DurationUnit.DAYS
RETURN_BEFORE = DurationUnit.RETURN_BEFORE

ISSUE_PASSING = [
    # Duration
    ("1 month", {"value": 1, "months": 1}),
    ("24 months, the longest", {"value": 24, "months": 24}),
    ("1 day", {"unit": DAYS, "value": 1, "months": 1}),
    ("720 days = 24 months", {"unit": DAYS, "value": 720, "months": 24}),
    (
        "return tomorrow",
        {"unit": RETURN_BEFORE, "value": None, "return_before": TOMORROW, "months": 1},
    ),
    (
        "return in 60 days",
        {"unit": RETURN_BEFORE, "value": None, "return_before": date(2026, 4, 30), "months": 2},
    ),
    ("a schedule allowing 36 months", {"value": 36, "months": 36, "max_months": 36}),
    # Status: only presence decides, through the inside-the-kingdom rule.
    ("active", {"status": ResidentStatus.ACTIVE}),
    ("status still outside_kingdom, back inside", {"status": ResidentStatus.OUTSIDE_KINGDOM}),
    # Passport: at least 90 more days.
    ("passport valid exactly 90 days", {"passport_expiry": TODAY + timedelta(days=90)}),
    (
        "a schedule asking 30 days",
        {"min_passport_days": 30, "passport_expiry": TODAY + timedelta(days=30)},
    ),
    # Iqama: covers the latest return.
    ("iqama expires on the return date", {"iqama_expiry": date(2026, 8, 1)}),
    # Traffic fines, fingerprint
    ("a credit on the traffic account", {"unpaid_fines_halalas": -500}),
    ("fingerprint registered", {"fingerprint_registered": True}),
    # Unrelated facts do not matter.
    ("no insurance", {"insurance_active": False}),
    # Current visa, unused-visa fine
    ("no current visa", {"current_visa_number": None}),
    ("no unpaid visa fine", {"unpaid_visa_fines_halalas": 0}),
    # Balance
    ("balance exactly covers the fee", {"balance_halalas": 20_000}),
]

ISSUE_FAILING = [
    # Duration
    ("0 months", {"value": 0, "months": 0}, ErrorCode.VISA_DURATION_INVALID),
    ("no months given", {"value": None, "months": 0}, ErrorCode.VISA_DURATION_INVALID),
    ("25 months", {"value": 25, "months": 25}, ErrorCode.VISA_DURATION_INVALID),
    ("721 days", {"unit": DAYS, "value": 721, "months": 25}, ErrorCode.VISA_DURATION_INVALID),
    ("0 days", {"unit": DAYS, "value": 0, "months": 0}, ErrorCode.VISA_DURATION_INVALID),
    # Even were the months filled in, a day count below 1 or a past date is refused.
    (
        "0 days charged as a month",
        {"unit": DAYS, "value": 0, "months": 1},
        ErrorCode.VISA_DURATION_INVALID,
    ),
    (
        "return today",
        {"unit": RETURN_BEFORE, "value": None, "return_before": TODAY, "months": 0},
        ErrorCode.VISA_DURATION_INVALID,
    ),
    (
        "return today charged as a month",
        {"unit": RETURN_BEFORE, "value": None, "return_before": TODAY, "months": 1},
        ErrorCode.VISA_DURATION_INVALID,
    ),
    (
        "return yesterday",
        {"unit": RETURN_BEFORE, "value": None, "return_before": YESTERDAY, "months": 1},
        ErrorCode.VISA_DURATION_INVALID,
    ),
    (
        "no return date",
        {"unit": RETURN_BEFORE, "value": None, "return_before": None, "months": 1},
        ErrorCode.VISA_DURATION_INVALID,
    ),
    ("a schedule allowing 1 month", {"max_months": 1}, ErrorCode.VISA_DURATION_INVALID),
    # Status: every status but active and outside_kingdom.
    *[
        (f"status {status}", {"status": status}, ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE)
        for status in ResidentStatus
        if status not in (ResidentStatus.ACTIVE, ResidentStatus.OUTSIDE_KINGDOM)
    ],
    ("unknown status", {"status": "bogus"}, ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE),
    # Inside the kingdom
    (
        "abroad on a visa",
        {"status": ResidentStatus.OUTSIDE_KINGDOM, "inside_kingdom": False},
        ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ),
    # Passport
    ("passport expires today", {"passport_expiry": TODAY}, ErrorCode.PASSPORT_EXPIRED),
    ("passport expired", {"passport_expiry": YESTERDAY}, ErrorCode.PASSPORT_EXPIRED),
    (
        "passport valid 89 days",
        {"passport_expiry": TODAY + timedelta(days=89)},
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
    ),
    # Iqama
    (
        "iqama expires the day before the return",
        {"iqama_expiry": date(2026, 7, 31)},
        ErrorCode.IQAMA_DOES_NOT_COVER_VISA,
    ),
    ("iqama already expired", {"iqama_expiry": YESTERDAY}, ErrorCode.IQAMA_DOES_NOT_COVER_VISA),
    ("no iqama expiry", {"iqama_expiry": None}, ErrorCode.IQAMA_DOES_NOT_COVER_VISA),
    # Traffic fines, fingerprint
    ("one halala of traffic fines", {"unpaid_fines_halalas": 1}, ErrorCode.UNPAID_TRAFFIC_FINES),
    (
        "fingerprint missing",
        {"fingerprint_registered": False},
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ),
    # Current visa
    (
        "a valid visa already",
        {"current_visa_number": "5000000017"},
        ErrorCode.VISA_ALREADY_VALID,
    ),
    # Unused-visa fine
    (
        "unpaid fine for an unused visa",
        {"unpaid_visa_fines_halalas": 100_000},
        ErrorCode.UNPAID_VISA_FINE,
    ),
    ("one halala of visa fine", {"unpaid_visa_fines_halalas": 1}, ErrorCode.UNPAID_VISA_FINE),
    # Balance
    ("balance one halala short", {"balance_halalas": 19_999}, ErrorCode.INSUFFICIENT_BALANCE),
    ("empty balance", {"balance_halalas": 0}, ErrorCode.INSUFFICIENT_BALANCE),
]


def test_the_eligible_issue_snapshot_passes_every_rule():
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


def test_an_issue_failing_every_condition_gets_every_code_in_rule_order():
    s = changed(
        ISSUE_OK,
        value=0,
        months=0,
        status=ResidentStatus.EXITED_NOT_RETURNED,
        inside_kingdom=False,
        passport_expiry=YESTERDAY,
        iqama_expiry=None,
        unpaid_fines_halalas=30_000,
        fingerprint_registered=False,
        current_visa_number="5000000017",
        unpaid_visa_fines_halalas=100_000,
        balance_halalas=0,
    )
    assert codes(issue_rules(), s) == ISSUE_ORDER


ISSUE_BREAKERS = {
    ErrorCode.VISA_DURATION_INVALID: {"value": 30, "months": 30},
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE: {"status": ResidentStatus.TRANSFERRED},
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM: {"inside_kingdom": False},
    ErrorCode.PASSPORT_EXPIRED: {"passport_expiry": date(2026, 2, 1)},
    ErrorCode.IQAMA_DOES_NOT_COVER_VISA: {"iqama_expiry": date(2026, 6, 1)},
    ErrorCode.UNPAID_TRAFFIC_FINES: {"unpaid_fines_halalas": 30_000},
    ErrorCode.FINGERPRINT_NOT_REGISTERED: {"fingerprint_registered": False},
    ErrorCode.VISA_ALREADY_VALID: {"current_visa_number": "5000000017"},
    ErrorCode.UNPAID_VISA_FINE: {"unpaid_visa_fines_halalas": 100_000},
    ErrorCode.INSUFFICIENT_BALANCE: {"balance_halalas": 0},
}


@given(st.sets(st.sampled_from(ISSUE_ORDER)))
def test_any_combination_of_issue_failures_is_reported_in_full_and_in_order(broken):
    changes = {}
    for code in broken:
        changes.update(ISSUE_BREAKERS[code])
    assert codes(issue_rules(), changed(ISSUE_OK, **changes)) == [
        code for code in ISSUE_ORDER if code in broken
    ]


def test_duration_violation_gives_the_longest_duration():
    v = only_violation(issue_rules(), changed(ISSUE_OK, value=25, months=25))
    assert v.params == {"months": 24}
    with translation.override("en"):
        assert v.message == (
            "The visa duration must be from 1 day up to 24 months, and a return date must be "
            "in the future."
        )


def test_iqama_violation_gives_the_iqama_expiry_and_the_return_date():
    v = only_violation(issue_rules(), changed(ISSUE_OK, iqama_expiry=date(2026, 7, 31)))
    assert v.params == {"iqama_expiry": date(2026, 7, 31), "return_date": date(2026, 8, 1)}
    # With no expiry recorded the message shows today rather than nothing.
    v = only_violation(issue_rules(), changed(ISSUE_OK, iqama_expiry=None))
    assert v.params == {"iqama_expiry": TODAY, "return_date": date(2026, 8, 1)}


def test_passport_violation_gives_the_minimum_days():
    expiry = TODAY + timedelta(days=89)
    v = only_violation(issue_rules(), changed(ISSUE_OK, passport_expiry=expiry))
    assert v.params == {"days": 90, "expiry": expiry}


def test_current_visa_violation_names_the_visa():
    v = only_violation(issue_rules(), changed(ISSUE_OK, current_visa_number="5000000017"))
    assert v.params == {"number": "5000000017"}


def test_unpaid_visa_fine_violation_gives_the_amount():
    v = only_violation(issue_rules(), changed(ISSUE_OK, unpaid_visa_fines_halalas=100_000))
    assert v.params == {"amount": Money(100_000)}


def test_status_violation_names_the_status_by_its_label():
    v = only_violation(issue_rules(), changed(ISSUE_OK, status=ResidentStatus.FINAL_EXIT_ISSUED))
    with translation.override("en"):
        assert v.message == "The resident's status (Final exit issued) does not allow this service."


# === Extend =====================================================================================

# Abroad on a single visa that expires on 20 March; 2 more months to 20 May (SAR 200).
EXTEND_OK = ExtendSnapshot(
    facts=replace(FACTS, status=ResidentStatus.OUTSIDE_KINGDOM, inside_kingdom=False),
    visa_status=VisaStatus.USED,
    expires_on=date(2026, 3, 20),
    deadline=date(2026, 5, 19),  # 20 March + 60 days
    months=2,
    max_months=24,
    new_expiry=date(2026, 5, 20),
    total_halalas=20_000,
)

EXTEND_ORDER = [
    ErrorCode.VISA_NOT_OUTSIDE,
    ErrorCode.VISA_EXTENSION_WINDOW_PASSED,
    ErrorCode.VISA_DURATION_INVALID,
    ErrorCode.IQAMA_DOES_NOT_COVER_VISA,
    ErrorCode.INSUFFICIENT_BALANCE,
]

EXTEND_PASSING = [
    # Abroad on the visa
    ("abroad on the visa", {"visa_status": VisaStatus.USED, "inside_kingdom": False}),
    # Window: 60 days after expiry, the last day included.
    (
        "expired 59 days ago",
        {
            "expires_on": date(2026, 1, 1),
            "deadline": date(2026, 3, 2),
            "new_expiry": date(2026, 5, 1),
        },
    ),
    ("the last day of the window", {"deadline": TODAY}),
    ("no deadline known", {"deadline": None}),
    # Months
    ("1 month", {"months": 1, "new_expiry": date(2026, 4, 20), "total_halalas": 10_000}),
    (
        "24 months",
        {
            "months": 24,
            "new_expiry": date(2028, 3, 20),
            "iqama_expiry": date(2028, 3, 20),
            "total_halalas": 240_000,
        },
    ),
    # Iqama
    ("iqama expires on the new expiry", {"iqama_expiry": date(2026, 5, 20)}),
    ("no new expiry to cover", {"new_expiry": None, "iqama_expiry": None}),
    # Unrelated facts: the resident's status and fingerprint are not conditions here.
    ("status not updated yet", {"status": ResidentStatus.ACTIVE}),
    ("fingerprint missing", {"fingerprint_registered": False}),
    # Balance
    ("balance exactly covers the fee", {"balance_halalas": 20_000}),
]

EXTEND_FAILING = [
    # Abroad on the visa: any other visa status, or the resident inside.
    *[
        (f"visa {status}", {"visa_status": status}, ErrorCode.VISA_NOT_OUTSIDE)
        for status in VisaStatus
        if status != VisaStatus.USED
    ],
    ("resident back inside", {"inside_kingdom": True}, ErrorCode.VISA_NOT_OUTSIDE),
    # Window
    ("window closed yesterday", {"deadline": YESTERDAY}, ErrorCode.VISA_EXTENSION_WINDOW_PASSED),
    (
        "expired 61 days ago",
        {
            "expires_on": date(2025, 12, 30),
            "deadline": date(2026, 2, 28),
            "new_expiry": date(2026, 5, 1),
        },
        ErrorCode.VISA_EXTENSION_WINDOW_PASSED,
    ),
    # Months
    ("0 months", {"months": 0, "total_halalas": 0}, ErrorCode.VISA_DURATION_INVALID),
    ("25 months", {"months": 25}, ErrorCode.VISA_DURATION_INVALID),
    ("a schedule allowing 1 month", {"max_months": 1}, ErrorCode.VISA_DURATION_INVALID),
    # Iqama
    (
        "iqama expires the day before",
        {"iqama_expiry": date(2026, 5, 19)},
        ErrorCode.IQAMA_DOES_NOT_COVER_VISA,
    ),
    ("no iqama expiry", {"iqama_expiry": None}, ErrorCode.IQAMA_DOES_NOT_COVER_VISA),
    # Balance
    ("balance one halala short", {"balance_halalas": 19_999}, ErrorCode.INSUFFICIENT_BALANCE),
]


def test_the_eligible_extend_snapshot_passes_every_rule():
    assert evaluate(extend_rules(), EXTEND_OK) == []


@pytest.mark.parametrize("changes", rows(EXTEND_PASSING))
def test_extend_passing_row(changes):
    assert codes(extend_rules(), changed(EXTEND_OK, **changes)) == []


@pytest.mark.parametrize(("changes", "code"), rows(EXTEND_FAILING))
def test_extend_failing_row_is_refused_by_its_rule_only(changes, code):
    assert codes(extend_rules(), changed(EXTEND_OK, **changes)) == [code]


def test_every_extend_rule_has_a_failing_row():
    assert len(extend_rules()) == len(EXTEND_ORDER)
    assert {code for *_, code in EXTEND_FAILING} == set(EXTEND_ORDER)


def test_an_extension_failing_every_condition_gets_every_code_in_rule_order():
    s = changed(
        EXTEND_OK,
        visa_status=VisaStatus.RETURNED,
        inside_kingdom=True,
        deadline=YESTERDAY,
        months=30,
        iqama_expiry=None,
        balance_halalas=0,
    )
    assert codes(extend_rules(), s) == EXTEND_ORDER


EXTEND_BREAKERS = {
    ErrorCode.VISA_NOT_OUTSIDE: {"visa_status": VisaStatus.NOT_RETURNED},
    ErrorCode.VISA_EXTENSION_WINDOW_PASSED: {"deadline": date(2026, 2, 1)},
    ErrorCode.VISA_DURATION_INVALID: {"max_months": 1},
    ErrorCode.IQAMA_DOES_NOT_COVER_VISA: {"iqama_expiry": date(2026, 4, 1)},
    ErrorCode.INSUFFICIENT_BALANCE: {"balance_halalas": 0},
}


@given(st.sets(st.sampled_from(EXTEND_ORDER)))
def test_any_combination_of_extension_failures_is_reported_in_full_and_in_order(broken):
    changes = {}
    for code in broken:
        changes.update(EXTEND_BREAKERS[code])
    assert codes(extend_rules(), changed(EXTEND_OK, **changes)) == [
        code for code in EXTEND_ORDER if code in broken
    ]


def test_extension_window_violation_gives_the_deadline():
    v = only_violation(extend_rules(), changed(EXTEND_OK, deadline=YESTERDAY))
    assert v.params == {"deadline": YESTERDAY}


def test_extension_iqama_violation_gives_the_new_expiry():
    v = only_violation(extend_rules(), changed(EXTEND_OK, iqama_expiry=date(2026, 5, 1)))
    assert v.params == {"iqama_expiry": date(2026, 5, 1), "return_date": date(2026, 5, 20)}


# === Cancel =====================================================================================

# An unused visa that may be cancelled until 10 days from now.
CANCEL_OK = CancelSnapshot(
    today=TODAY,
    visa_status=VisaStatus.ISSUED,
    visa_status_label=VisaStatus.ISSUED.label,
    deadline=TODAY + timedelta(days=10),
)

CANCEL_ORDER = [ErrorCode.VISA_NOT_CANCELLABLE, ErrorCode.VISA_CANCEL_WINDOW_PASSED]


def cancel_snapshot(**changes) -> CancelSnapshot:
    if "visa_status" in changes:
        changes.setdefault("visa_status_label", VisaStatus(changes["visa_status"]).label)
    return replace(CANCEL_OK, **changes)


CANCEL_PASSING = [
    ("unused", {}),
    ("the last day of the window", {"deadline": TODAY}),
    ("issued today, deadline in 90 days", {"deadline": TODAY + timedelta(days=90)}),
]

CANCEL_FAILING = [
    # Only an unused visa: every other status is refused.
    *[
        (f"visa {status}", {"visa_status": status}, ErrorCode.VISA_NOT_CANCELLABLE)
        for status in VisaStatus
        if status != VisaStatus.ISSUED
    ],
    ("window closed yesterday", {"deadline": YESTERDAY}, ErrorCode.VISA_CANCEL_WINDOW_PASSED),
    (
        "window closed long ago",
        {"deadline": TODAY - timedelta(days=100)},
        ErrorCode.VISA_CANCEL_WINDOW_PASSED,
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


def test_a_used_visa_past_its_window_gets_one_reason_only():
    # The window matters only for an unused visa: "not unused" already says it all.
    s = cancel_snapshot(visa_status=VisaStatus.USED, deadline=YESTERDAY)
    assert codes(cancel_rules(), s) == [ErrorCode.VISA_NOT_CANCELLABLE]


@given(
    st.sampled_from(list(VisaStatus)),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
)
def test_a_cancellation_is_refused_for_at_most_one_reason_in_rule_order(status, deadline):
    found = codes(cancel_rules(), cancel_snapshot(visa_status=status, deadline=deadline))
    expected = (
        []
        if status == VisaStatus.ISSUED and deadline >= TODAY
        else [ErrorCode.VISA_CANCEL_WINDOW_PASSED]
        if status == VisaStatus.ISSUED
        else [ErrorCode.VISA_NOT_CANCELLABLE]
    )
    assert found == expected


def test_not_cancellable_violation_names_the_visa_status():
    v = only_violation(cancel_rules(), cancel_snapshot(visa_status=VisaStatus.USED))
    assert v.params == {"status": VisaStatus.USED.label}
    with translation.override("en"):
        assert v.message == (
            "Only an unused visa can be cancelled; this visa is Used (outside the kingdom)."
        )


def test_cancel_window_violation_gives_the_deadline():
    v = only_violation(cancel_rules(), cancel_snapshot(deadline=YESTERDAY))
    assert v.params == {"deadline": YESTERDAY}
