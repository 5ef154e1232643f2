"""Dates: calendar-month arithmetic, Umm al-Qura Hijri beside Gregorian, Saudi working days."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from muqeem.core.dates import (
    add_months,
    days_between,
    format_dual,
    format_gregorian,
    format_hijri,
    hijri_month_name,
    to_hijri,
    today,
    working_days_after,
)

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
month_counts = st.integers(min_value=-1200, max_value=1200)
WEEKEND = (calendar.FRIDAY, calendar.SATURDAY)


def _month_number(d: date) -> int:
    return d.year * 12 + d.month


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 3, date(2026, 11, 30)),
        (date(2026, 5, 31), 9, date(2027, 2, 28)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),  # across the year end
        (date(2026, 10, 31), 24, date(2028, 10, 31)),
        (date(2026, 1, 31), 12, date(2027, 1, 31)),
        (date(2026, 12, 31), 0, date(2026, 12, 31)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 2, 28), 1, date(2026, 3, 28)),  # the last of February is not "end of month"
    ],
)
def test_add_months_clamps_to_the_end_of_shorter_months(start, months, expected):
    assert add_months(start, months) == expected


@given(dates, month_counts)
def test_add_months_moves_exactly_that_many_calendar_months(d, m):
    assert _month_number(add_months(d, m)) - _month_number(d) == m


@given(dates, month_counts)
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(d, m):
    result = add_months(d, m)
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day <= d.day
    assert result.day == min(d.day, last_day)


@given(dates)
def test_adding_zero_months_changes_nothing(d):
    assert add_months(d, 0) == d


@given(dates, st.integers(0, 600), st.integers(0, 600))
def test_adding_months_in_two_steps_never_goes_past_one_step(d, a, b):
    # Clamping can only lose days: Jan 31 +1 +1 = Mar 28, but Jan 31 +2 = Mar 31.
    two_steps = add_months(add_months(d, a), b)
    one_step = add_months(d, a + b)
    assert two_steps <= one_step
    assert _month_number(two_steps) == _month_number(one_step)


@given(dates.filter(lambda d: d.day <= 28), st.integers(-600, 600), st.integers(-600, 600))
def test_adding_months_in_steps_is_exact_for_days_every_month_has(d, a, b):
    assert add_months(add_months(d, a), b) == add_months(d, a + b)
    assert add_months(add_months(d, a), -a) == d


@given(dates, dates, month_counts)
def test_add_months_keeps_the_order_of_dates(d1, d2, m):
    low, high = sorted((d1, d2))
    assert add_months(low, m) <= add_months(high, m)


@given(dates, st.integers(0, 1200), st.integers(1, 1200))
def test_more_months_give_a_later_date(d, m, extra):
    assert add_months(d, m) < add_months(d, m + extra)


def test_days_between_counts_calendar_days():
    assert days_between(date(2026, 2, 18), date(2026, 6, 16)) == 118
    assert days_between(date(2026, 6, 16), date(2026, 2, 18)) == -118
    assert days_between(date(2026, 2, 18), date(2026, 2, 18)) == 0


@pytest.mark.parametrize(
    ("gregorian", "hijri"),
    [
        (date(2026, 2, 18), (1447, 9, 1)),  # 1 Ramadan 1447
        (date(2026, 3, 20), (1447, 10, 1)),  # 1 Shawwal 1447 (Eid al-Fitr)
        (date(2026, 6, 16), (1448, 1, 1)),  # 1 Muharram 1448
        (date(2025, 6, 26), (1447, 1, 1)),  # 1 Muharram 1447
        (date(2025, 3, 1), (1446, 9, 1)),  # 1 Ramadan 1446
        (date(2024, 3, 11), (1445, 9, 1)),  # 1 Ramadan 1445
        (date(2024, 4, 10), (1445, 10, 1)),  # Eid al-Fitr 1445
        (date(2024, 6, 16), (1445, 12, 10)),  # Eid al-Adha 1445
        (date(2023, 7, 19), (1445, 1, 1)),  # 1 Muharram 1445
        (date(1982, 12, 2), (1403, 2, 17)),  # the hijridate documentation's example
        (date(1924, 8, 1), (1343, 1, 1)),  # first day of the published tables
        (date(2077, 11, 16), (1500, 12, 30)),  # last day of the published tables
    ],
)
def test_to_hijri_matches_known_umm_al_qura_dates(gregorian, hijri):
    assert to_hijri(gregorian) == hijri


@pytest.mark.parametrize(
    "gregorian",
    [
        date(1924, 7, 31),
        date(2077, 11, 17),
        date(1900, 1, 1),
        date(2100, 1, 1),
        date.min,
        date.max,
    ],
)
def test_dates_outside_the_umm_al_qura_tables_have_no_hijri(gregorian):
    assert to_hijri(gregorian) is None
    assert format_hijri(gregorian) is None


@given(st.dates(min_value=date(1924, 8, 1), max_value=date(2077, 11, 15)))
def test_hijri_days_advance_one_at_a_time(d):
    year, month, day = to_hijri(d)
    next_day = to_hijri(d + timedelta(days=1))
    assert next_day in {(year, month, day + 1), (year, month + 1, 1), (year + 1, 1, 1)}
    if next_day[2] == 1:
        assert day in {29, 30}


@given(st.dates())
def test_to_hijri_never_raises(d):
    result = to_hijri(d)
    assert result is None or 1343 <= result[0] <= 1500


def test_format_gregorian_and_hijri_are_zero_padded_day_month_year():
    assert format_gregorian(date(2026, 2, 1)) == "01/02/2026"
    assert format_hijri(date(2026, 2, 18)) == "01/09/1447"


@pytest.mark.parametrize(
    ("d", "arabic", "english"),
    [
        (date(2026, 2, 18), "18/02/2026م الموافق 01/09/1447هـ", "18/02/2026 (01/09/1447 AH)"),
        (date(2026, 6, 16), "16/06/2026م الموافق 01/01/1448هـ", "16/06/2026 (01/01/1448 AH)"),
        (date(2100, 1, 1), "01/01/2100م", "01/01/2100"),  # out of range: Gregorian only
        (date(1900, 3, 5), "05/03/1900م", "05/03/1900"),
    ],
)
def test_format_dual_shows_both_calendars_in_the_active_language(d, arabic, english):
    with translation.override("ar"):
        assert format_dual(d) == arabic
    with translation.override("en"):
        assert format_dual(d) == english


def test_format_dual_defaults_to_arabic_without_an_active_language():
    with translation.override(None):
        assert format_dual(date(2026, 2, 18)) == "18/02/2026م الموافق 01/09/1447هـ"


@pytest.mark.parametrize(
    ("month", "arabic", "english"),
    [(1, "محرم", "Muharram"), (9, "رمضان", "Ramadan"), (12, "ذو الحجة", "Dhu al-Hijjah")],
)
def test_hijri_month_name_in_both_languages(month, arabic, english):
    with translation.override("ar"):
        assert hijri_month_name(month) == arabic
    with translation.override("en"):
        assert hijri_month_name(month) == english


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # 18 Feb 2026 is a Wednesday.
        (date(2026, 2, 18), 1, date(2026, 2, 19)),  # Wed → Thu
        (date(2026, 2, 18), 2, date(2026, 2, 22)),  # Thu, then skip Fri + Sat → Sun
        (date(2026, 2, 19), 1, date(2026, 2, 22)),  # Thu → Sun
        (date(2026, 2, 20), 1, date(2026, 2, 22)),  # Fri → Sun
        (date(2026, 2, 21), 1, date(2026, 2, 22)),  # Sat → Sun
        (date(2026, 2, 22), 5, date(2026, 3, 1)),  # Sun → next Sun
        (date(2026, 2, 18), 10, date(2026, 3, 4)),
        (date(2026, 2, 19), 0, date(2026, 2, 19)),
        (date(2026, 2, 20), 0, date(2026, 2, 20)),  # zero days stays put, even on a Friday
    ],
)
def test_working_days_after_skips_friday_and_saturday(start, days, expected):
    assert working_days_after(start, days) == expected


@given(dates, st.integers(1, 400))
def test_working_days_after_counts_exactly_that_many_working_days(start, n):
    result = working_days_after(start, n)
    assert result.weekday() not in WEEKEND
    between = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
    assert sum(d.weekday() not in WEEKEND for d in between) == n


@given(dates.filter(lambda d: d.weekday() not in WEEKEND), st.integers(0, 80))
def test_five_working_days_from_a_working_day_is_one_calendar_week(start, weeks):
    assert working_days_after(start, 5 * weeks) == start + timedelta(weeks=weeks)


@pytest.mark.parametrize(
    ("utc_now", "riyadh_day"),
    [
        (datetime(2026, 2, 17, 20, 59, tzinfo=UTC), date(2026, 2, 17)),
        (datetime(2026, 2, 17, 21, 0, tzinfo=UTC), date(2026, 2, 18)),  # midnight in Riyadh
    ],
)
def test_today_is_the_calendar_day_in_riyadh(utc_now, riyadh_day):
    with time_machine.travel(utc_now, tick=False):
        assert today() == riyadh_day
