"""Exit and re-entry visa fees (DOMAIN.md "Exit and re-entry visa"), from the default schedule.

Expected amounts are worked out by hand from DOMAIN.md: a single visa costs SAR 200 for up to 2 months
and 100 for each month beyond; a multiple visa SAR 500 for up to 3 months and 200 for each month
beyond. A duration in days is charged by 30-day months, part of a month counting as a whole one, and
a "return before" date is charged by the days from issue the same way. An extension costs the
extra-month fee for each month, times the abroad multiplier (1 by default; sources conflict).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muqeem.eservices.exit_reentry.fees import months_for, visa_extension_quote, visa_issue_quote
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.fees.models import FeeCode
from muqeem.fees.schedule import default_schedule

SCHEDULE = default_schedule(date(2026, 3, 1))
SAR = 100  # halalas
ISSUED = date(2026, 3, 1)

SINGLE = VisaType.SINGLE
MULTIPLE = VisaType.MULTIPLE
MONTHS = DurationUnit.MONTHS
DAYS = DurationUnit.DAYS
RETURN_BEFORE = DurationUnit.RETURN_BEFORE


def with_values(**values):
    """The default schedule with some keys changed (`visa_single_base_fee` → `visa.single_base_fee`)."""
    changed = dict(SCHEDULE.values)
    for name, value in values.items():
        key = name.replace("_", ".", 1)
        assert key in changed, key
        changed[key] = value
    return replace(SCHEDULE, values=changed)


def months(unit, value=None, return_before=None, *, issued_on=ISSUED, days_per_month=30):
    return months_for(
        unit=unit,
        value=value,
        return_before=return_before,
        issued_on=issued_on,
        days_per_month=days_per_month,
    )


def issue_riyals(visa_type, n, schedule=SCHEDULE):
    return visa_issue_quote(schedule, visa_type=visa_type, months=n).total_halalas // SAR


def extension_riyals(visa_type, n, schedule=SCHEDULE):
    return visa_extension_quote(schedule, visa_type=visa_type, months=n).total_halalas // SAR


# --- months_for ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "value", "return_before", "expected"),
    [
        # A duration in months is charged as given.
        pytest.param(MONTHS, 1, None, 1, id="1 month"),
        pytest.param(MONTHS, 6, None, 6, id="6 months"),
        pytest.param(MONTHS, 24, None, 24, id="24 months"),
        pytest.param(MONTHS, 0, None, 0, id="0 months"),
        pytest.param(MONTHS, None, None, 0, id="months missing"),
        pytest.param(MONTHS, 3, date(2027, 1, 1), 3, id="months ignore a return date"),
        # Days: each started 30-day month is a month.
        pytest.param(DAYS, 1, None, 1, id="1 day"),
        pytest.param(DAYS, 29, None, 1, id="29 days"),
        pytest.param(DAYS, 30, None, 1, id="30 days"),
        pytest.param(DAYS, 31, None, 2, id="31 days"),
        pytest.param(DAYS, 60, None, 2, id="60 days"),
        pytest.param(DAYS, 61, None, 3, id="61 days"),
        pytest.param(DAYS, 90, None, 3, id="90 days"),
        pytest.param(DAYS, 91, None, 4, id="91 days"),
        pytest.param(DAYS, 365, None, 13, id="365 days"),  # 12 × 30 = 360 < 365
        pytest.param(DAYS, 720, None, 24, id="720 days"),
        pytest.param(DAYS, 721, None, 25, id="721 days"),
        pytest.param(DAYS, 0, None, 0, id="0 days"),
        pytest.param(DAYS, None, None, 0, id="days missing"),
        pytest.param(DAYS, 10, date(2027, 1, 1), 1, id="days ignore a return date"),
        # Return before, counted in days from the issue day (1 March 2026).
        pytest.param(RETURN_BEFORE, None, date(2026, 3, 2), 1, id="return the next day"),
        pytest.param(RETURN_BEFORE, None, date(2026, 3, 31), 1, id="return before 31 March"),
        pytest.param(RETURN_BEFORE, None, date(2026, 4, 1), 2, id="return before 1 April"),
        pytest.param(RETURN_BEFORE, None, date(2026, 4, 30), 2, id="return before 30 April"),
        pytest.param(RETURN_BEFORE, None, date(2026, 5, 1), 3, id="return before 1 May"),
        pytest.param(RETURN_BEFORE, None, date(2027, 3, 1), 13, id="return in a year"),
        pytest.param(RETURN_BEFORE, None, ISSUED, 0, id="return the issue day"),
        pytest.param(RETURN_BEFORE, None, date(2026, 2, 1), 0, id="return date in the past"),
        pytest.param(RETURN_BEFORE, None, None, 0, id="return date missing"),
        pytest.param(RETURN_BEFORE, 5, date(2026, 3, 31), 1, id="return date ignores a value"),
    ],
)
def test_months_charged(unit, value, return_before, expected):
    assert months(unit, value, return_before) == expected


@pytest.mark.parametrize(
    ("unit", "value", "return_before", "expected"),
    [
        pytest.param(DAYS, 28, None, 1, id="28 days"),
        pytest.param(DAYS, 29, None, 2, id="29 days"),
        pytest.param(DAYS, 30, None, 2, id="30 days"),
        pytest.param(RETURN_BEFORE, None, date(2026, 3, 29), 1, id="return before 29 March"),
        pytest.param(RETURN_BEFORE, None, date(2026, 3, 30), 2, id="return before 30 March"),
    ],
)
def test_months_charged_follow_the_days_per_month_setting(unit, value, return_before, expected):
    assert months(unit, value, return_before, days_per_month=28) == expected


@given(st.integers(min_value=1, max_value=3000), st.integers(min_value=1, max_value=31))
def test_days_are_charged_by_the_fewest_whole_months_that_hold_them(days, per_month):
    n = months(DAYS, days, days_per_month=per_month)
    assert (n - 1) * per_month < days <= n * per_month


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=-100, max_value=3000),
)
def test_a_return_date_is_charged_like_the_same_number_of_days(issued_on, days):
    by_date = months(RETURN_BEFORE, None, issued_on + timedelta(days=days), issued_on=issued_on)
    assert by_date == months(DAYS, max(days, 0), issued_on=issued_on)


# --- Issue fee ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visa_type", "n", "riyals"),
    [
        # Single: 200 up to 2 months, + 100 a month beyond.
        pytest.param(SINGLE, 1, 200, id="single 1 month"),
        pytest.param(SINGLE, 2, 200, id="single 2 months"),
        pytest.param(SINGLE, 3, 300, id="single 3 months"),
        pytest.param(SINGLE, 4, 400, id="single 4 months"),
        pytest.param(SINGLE, 6, 600, id="single 6 months"),
        pytest.param(SINGLE, 12, 1200, id="single 12 months"),  # 200 + 10 × 100
        pytest.param(SINGLE, 24, 2400, id="single 24 months"),  # 200 + 22 × 100
        # Multiple: 500 up to 3 months, + 200 a month beyond.
        pytest.param(MULTIPLE, 1, 500, id="multiple 1 month"),
        pytest.param(MULTIPLE, 2, 500, id="multiple 2 months"),
        pytest.param(MULTIPLE, 3, 500, id="multiple 3 months"),
        pytest.param(MULTIPLE, 4, 700, id="multiple 4 months"),
        pytest.param(MULTIPLE, 6, 1100, id="multiple 6 months"),  # 500 + 3 × 200
        pytest.param(MULTIPLE, 12, 2300, id="multiple 12 months"),  # 500 + 9 × 200
        pytest.param(MULTIPLE, 24, 4700, id="multiple 24 months"),  # 500 + 21 × 200
    ],
)
def test_issue_fee_matches_hand_computed_amounts(visa_type, n, riyals):
    assert issue_riyals(visa_type, n) == riyals


@pytest.mark.parametrize(
    ("unit", "value", "return_before", "single", "multiple"),
    [
        pytest.param(DAYS, 30, None, 200, 500, id="30 days"),
        pytest.param(DAYS, 61, None, 300, 500, id="61 days = 3 months"),
        pytest.param(DAYS, 100, None, 400, 700, id="100 days = 4 months"),
        pytest.param(RETURN_BEFORE, None, date(2026, 4, 30), 200, 500, id="back by 30 April"),
        pytest.param(RETURN_BEFORE, None, date(2026, 5, 1), 300, 500, id="back by 1 May"),
        pytest.param(RETURN_BEFORE, None, date(2026, 9, 1), 700, 1300, id="back by 1 Sept"),
    ],
)
def test_issue_fee_for_a_duration_in_days_or_a_return_date(
    unit, value, return_before, single, multiple
):
    # 1 September is 184 days after 1 March: 7 months charged (6 × 30 = 180 < 184), so
    # single 200 + 5 × 100 and multiple 500 + 4 × 200.
    n = months(unit, value, return_before)
    assert issue_riyals(SINGLE, n) == single
    assert issue_riyals(MULTIPLE, n) == multiple


def test_issue_quote_is_one_line_saying_how_it_was_computed():
    q = visa_issue_quote(SCHEDULE, visa_type=SINGLE, months=5)
    assert len(q.lines) == 1
    line = q.lines[0]
    assert line.code == FeeCode.EXIT_REENTRY_VISA_FEE
    assert line.amount_halalas == 500 * SAR
    assert line.basis == {"months": 5, "extra_months": 3}
    assert q.total_halalas == 500 * SAR


@pytest.mark.parametrize(
    ("visa_type", "n", "extra"),
    [(SINGLE, 1, 0), (SINGLE, 2, 0), (SINGLE, 3, 1), (MULTIPLE, 3, 0), (MULTIPLE, 10, 7)],
)
def test_issue_quote_counts_only_the_months_beyond_the_base_period(visa_type, n, extra):
    basis = visa_issue_quote(SCHEDULE, visa_type=visa_type, months=n).lines[0].basis
    assert basis == {"months": n, "extra_months": extra}


def test_issue_quote_carries_the_schedule_fingerprint():
    q = visa_issue_quote(SCHEDULE, visa_type=SINGLE, months=1)
    assert q.schedule_fingerprint == "defaults"
    changed = replace(SCHEDULE, fingerprint="2026-07-01#4")
    assert visa_issue_quote(changed, visa_type=MULTIPLE, months=1).schedule_fingerprint == (
        "2026-07-01#4"
    )


def test_issue_fee_follows_the_schedule_values():
    schedule = with_values(
        visa_single_base_fee=30000,
        visa_single_base_months=1,
        visa_single_extra_month_fee=15000,
        visa_multiple_base_fee=60000,
        visa_multiple_base_months=6,
        visa_multiple_extra_month_fee=25000,
    )
    assert issue_riyals(SINGLE, 1, schedule) == 300
    assert issue_riyals(SINGLE, 4, schedule) == 300 + 3 * 150
    assert issue_riyals(MULTIPLE, 6, schedule) == 600
    assert issue_riyals(MULTIPLE, 8, schedule) == 600 + 2 * 250


# --- Extension fee ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visa_type", "n", "riyals"),
    [
        pytest.param(SINGLE, 1, 100, id="single 1 month"),
        pytest.param(SINGLE, 2, 200, id="single 2 months"),
        pytest.param(SINGLE, 6, 600, id="single 6 months"),
        pytest.param(MULTIPLE, 1, 200, id="multiple 1 month"),
        pytest.param(MULTIPLE, 3, 600, id="multiple 3 months"),
        pytest.param(MULTIPLE, 12, 2400, id="multiple 12 months"),
        pytest.param(SINGLE, 0, 0, id="nothing for no months"),
    ],
)
def test_extension_fee_is_the_extra_month_fee_per_month(visa_type, n, riyals):
    assert extension_riyals(visa_type, n) == riyals


@pytest.mark.parametrize(
    ("visa_type", "n", "riyals"),
    [
        pytest.param(SINGLE, 1, 200, id="single 1 month doubled"),
        pytest.param(SINGLE, 3, 600, id="single 3 months doubled"),
        pytest.param(MULTIPLE, 2, 800, id="multiple 2 months doubled"),
    ],
)
def test_extension_fee_doubled_abroad_when_the_schedule_says_so(visa_type, n, riyals):
    schedule = with_values(visa_extension_abroad_multiplier=2)
    assert extension_riyals(visa_type, n, schedule) == riyals


def test_extension_quote_is_one_line_saying_how_it_was_computed():
    q = visa_extension_quote(SCHEDULE, visa_type=MULTIPLE, months=2)
    assert [(line.code, line.amount_halalas, line.basis) for line in q.lines] == [
        (FeeCode.VISA_EXTENSION_FEE, 400 * SAR, {"months": 2, "multiplier": 1})
    ]
    assert q.schedule_fingerprint == "defaults"


# --- Properties ---------------------------------------------------------------------------------

visa_types = st.sampled_from([SINGLE, MULTIPLE])
some_months = st.integers(min_value=1, max_value=48)


@given(visa_types, some_months)
def test_issue_fee_is_a_positive_whole_number_of_riyals(visa_type, n):
    q = visa_issue_quote(SCHEDULE, visa_type=visa_type, months=n)
    assert q.total_halalas > 0
    assert q.total_halalas % SAR == 0
    assert q.total_halalas == sum(line.amount_halalas for line in q.lines)


@given(some_months)
def test_each_month_beyond_the_base_adds_the_extra_month_fee(n):
    assert issue_riyals(SINGLE, n + 1) - issue_riyals(SINGLE, n) == (100 if n >= 2 else 0)
    assert issue_riyals(MULTIPLE, n + 1) - issue_riyals(MULTIPLE, n) == (200 if n >= 3 else 0)


@given(some_months)
def test_a_multiple_visa_always_costs_more_than_a_single_one(n):
    assert issue_riyals(MULTIPLE, n) > issue_riyals(SINGLE, n)


@given(visa_types, st.integers(min_value=3, max_value=24), st.integers(min_value=1, max_value=24))
def test_extending_past_the_base_period_costs_what_the_months_would_have_cost_at_issue(
    visa_type, n, extra
):
    # From 3 months on both visa types are past their base period.
    assert extension_riyals(visa_type, extra) == (
        issue_riyals(visa_type, n + extra) - issue_riyals(visa_type, n)
    )


@given(visa_types, st.integers(min_value=0, max_value=48), st.integers(min_value=1, max_value=5))
def test_the_abroad_multiplier_scales_the_extension_fee(visa_type, n, multiplier):
    schedule = with_values(visa_extension_abroad_multiplier=multiplier)
    assert extension_riyals(visa_type, n, schedule) == multiplier * extension_riyals(visa_type, n)
