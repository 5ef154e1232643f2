"""A visa's dates and states (DOMAIN.md "Exit and re-entry visa"), as pure functions of its terms and
the day.

Dates are worked out by hand with the default settings: the visa must be used within 3 months of issue
when its duration is in months and the stay counts from the travel date; a duration in days or a
"return before" date counts from issue; an unused visa can be cancelled within 90 days of issue or
before its return date, whichever is first; an expired visa can be extended for 60 days; a resident
still abroad 2 months after the visa expired is not returned.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muqeem.eservices.exit_reentry import lifecycle
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaStatus, VisaType

ISSUED = date(2026, 3, 1)
WINDOW = 3  # visa.travel_window_months
NOT_RETURNED_MONTHS = 2  # visa.not_returned_after_months

MONTHS = DurationUnit.MONTHS
DAYS = DurationUnit.DAYS
RETURN_BEFORE = DurationUnit.RETURN_BEFORE
SINGLE = VisaType.SINGLE
MULTIPLE = VisaType.MULTIPLE

ISSUED_ = VisaStatus.ISSUED
USED = VisaStatus.USED
RETURNED = VisaStatus.RETURNED
EXPIRED_UNUSED = VisaStatus.EXPIRED_UNUSED
CANCELLED = VisaStatus.CANCELLED
NOT_RETURNED = VisaStatus.NOT_RETURNED
EXPIRED = VisaStatus.EXPIRED

# Once here, a visa never moves again.
FINAL_STATUSES = [CANCELLED, EXPIRED_UNUSED, NOT_RETURNED, EXPIRED]


def planned(unit, value=None, return_before=None, *, issued_on=ISSUED, window=WINDOW):
    return lifecycle.planned_dates(
        unit=unit,
        value=value,
        return_before=return_before,
        issued_on=issued_on,
        travel_window_months=window,
    )


def transition(status, visa_type, travel_by, expires_on, on, months=NOT_RETURNED_MONTHS):
    return lifecycle.daily_transition(
        status=status,
        visa_type=visa_type,
        travel_by=travel_by,
        expires_on=expires_on,
        on=on,
        not_returned_months=months,
    )


# --- Planned dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "value", "return_before", "issued_on", "window", "travel_by", "expires_on"),
    [
        # Months: travel within 3 months of issue; the expiry is set only at departure.
        pytest.param(MONTHS, 2, None, ISSUED, 3, date(2026, 6, 1), None, id="2 months"),
        pytest.param(MONTHS, 12, None, ISSUED, 3, date(2026, 6, 1), None, id="12 months"),
        pytest.param(
            MONTHS, 1, None, date(2026, 11, 30), 3, date(2027, 2, 28), None, id="window clamps"
        ),
        pytest.param(
            MONTHS, 1, None, date(2026, 10, 31), 3, date(2027, 1, 31), None, id="over a new year"
        ),
        pytest.param(MONTHS, 2, None, ISSUED, 1, date(2026, 4, 1), None, id="1-month window"),
        # Days: from issue; the visa can be used until it expires.
        pytest.param(DAYS, 1, None, ISSUED, 3, date(2026, 3, 2), date(2026, 3, 2), id="1 day"),
        pytest.param(DAYS, 30, None, ISSUED, 3, date(2026, 3, 31), date(2026, 3, 31), id="30 days"),
        pytest.param(DAYS, 90, None, ISSUED, 3, date(2026, 5, 30), date(2026, 5, 30), id="90 days"),
        pytest.param(
            DAYS, 200, None, ISSUED, 3, date(2026, 9, 17), date(2026, 9, 17), id="200 days"
        ),
        # Return before: the date itself.
        pytest.param(
            RETURN_BEFORE,
            None,
            date(2026, 4, 15),
            ISSUED,
            3,
            date(2026, 4, 15),
            date(2026, 4, 15),
            id="return before 15 April",
        ),
        pytest.param(
            RETURN_BEFORE,
            None,
            date(2027, 1, 10),
            ISSUED,
            3,
            date(2027, 1, 10),
            date(2027, 1, 10),
            id="return date beyond the travel window",
        ),
        # No return date: a visa that ends the day it is issued (the rules refuse it).
        pytest.param(RETURN_BEFORE, None, None, ISSUED, 3, ISSUED, ISSUED, id="no return date"),
    ],
)
def test_planned_travel_and_expiry_dates(
    unit, value, return_before, issued_on, window, travel_by, expires_on
):
    dates = planned(unit, value, return_before, issued_on=issued_on, window=window)
    assert (dates.travel_by, dates.expires_on) == (travel_by, expires_on)


@pytest.mark.parametrize(
    ("unit", "value", "return_before", "latest_return"),
    [
        pytest.param(DAYS, 30, None, date(2026, 3, 31), id="30 days"),
        pytest.param(DAYS, 200, None, date(2026, 9, 17), id="200 days"),
        pytest.param(RETURN_BEFORE, None, date(2026, 4, 15), date(2026, 4, 15), id="return date"),
    ],
)
def test_latest_return_of_a_visa_counted_from_issue_is_its_expiry(
    unit, value, return_before, latest_return
):
    assert planned(unit, value, return_before).latest_return == latest_return


@pytest.mark.parametrize(
    ("value", "issued_on", "latest_return"),
    [
        # Travel on 1 June (the last day), back by 1 August; the code says 1 May.
        pytest.param(2, ISSUED, date(2026, 8, 1), id="2 months issued 1 March"),
        # Travel on 28 February 2027, back by 28 March 2027; the code says 30 December 2026.
        pytest.param(1, date(2026, 11, 30), date(2027, 3, 28), id="1 month issued 30 November"),
    ],
)
def test_latest_return_of_a_months_visa_is_the_expiry_if_used_on_the_last_travel_day(
    value, issued_on, latest_return
):
    assert planned(MONTHS, value, issued_on=issued_on).latest_return == latest_return


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 1, 1)),
    st.integers(min_value=1, max_value=24),
    st.integers(min_value=0, max_value=120),
)
def test_no_departure_in_the_travel_window_ends_after_the_latest_return(issued_on, value, day):
    dates = planned(MONTHS, value, issued_on=issued_on)
    departed_on = min(issued_on + timedelta(days=day), dates.travel_by)
    expiry = lifecycle.expiry_on_first_departure(
        unit=MONTHS,
        value=value,
        extended_months=0,
        departed_on=departed_on,
        planned_expiry=dates.expires_on,
    )
    assert expiry <= dates.latest_return


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 1, 1)),
    st.integers(min_value=1, max_value=730),
)
def test_a_days_visa_ends_its_value_in_days_after_issue(issued_on, days):
    dates = planned(DAYS, days, issued_on=issued_on)
    assert dates.travel_by == dates.expires_on == dates.latest_return
    assert (dates.expires_on - issued_on).days == days


# --- Expiry on first departure ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "value", "extended", "departed_on", "planned_expiry", "expected"),
    [
        # Months count from the departure.
        pytest.param(MONTHS, 2, 0, date(2026, 4, 10), None, date(2026, 6, 10), id="2 months"),
        pytest.param(MONTHS, 6, 0, ISSUED, None, date(2026, 9, 1), id="6 months, same day"),
        pytest.param(
            MONTHS, 2, 0, date(2026, 12, 31), None, date(2027, 2, 28), id="end of month clamps"
        ),
        pytest.param(
            MONTHS, 2, 1, date(2026, 4, 10), None, date(2026, 7, 10), id="with an extension"
        ),
        # Days and return-before visas keep the expiry known at issue.
        pytest.param(
            DAYS, 30, 0, date(2026, 3, 20), date(2026, 3, 31), date(2026, 3, 31), id="days"
        ),
        pytest.param(
            RETURN_BEFORE,
            None,
            0,
            date(2026, 3, 2),
            date(2026, 4, 15),
            date(2026, 4, 15),
            id="return before",
        ),
    ],
)
def test_expiry_set_on_first_departure(
    unit, value, extended, departed_on, planned_expiry, expected
):
    assert (
        lifecycle.expiry_on_first_departure(
            unit=unit,
            value=value,
            extended_months=extended,
            departed_on=departed_on,
            planned_expiry=planned_expiry,
        )
        == expected
    )


# --- Current / can depart -----------------------------------------------------------------------

JUNE_1 = date(2026, 6, 1)
JUNE_2 = date(2026, 6, 2)

# (case, status, type, travel_by, expires_on, on, is current, can depart)
STATE_ROWS = [
    # Unused months visa: valid through its travel window, expiry not yet known.
    ("unused, issue day", ISSUED_, SINGLE, JUNE_1, None, ISSUED, True, True),
    ("unused, last travel day", ISSUED_, SINGLE, JUNE_1, None, JUNE_1, True, True),
    ("unused, after the travel window", ISSUED_, SINGLE, JUNE_1, None, JUNE_2, False, False),
    # Unused days visa: its expiry is its last travel day.
    (
        "unused days visa, last day",
        ISSUED_,
        MULTIPLE,
        date(2026, 3, 31),
        date(2026, 3, 31),
        date(2026, 3, 31),
        True,
        True,
    ),
    (
        "unused days visa, after expiry",
        ISSUED_,
        MULTIPLE,
        date(2026, 3, 31),
        date(2026, 3, 31),
        date(2026, 4, 1),
        False,
        False,
    ),
    ("unused, expiry before travel_by", ISSUED_, SINGLE, JUNE_1, ISSUED, JUNE_1, False, False),
    # In use abroad: valid (it is the resident's way back); no second departure on it.
    ("abroad", USED, SINGLE, JUNE_1, JUNE_1, date(2026, 5, 1), True, False),
    ("abroad, multiple", USED, MULTIPLE, JUNE_1, JUNE_1, date(2026, 5, 1), True, False),
    ("abroad after expiry", USED, SINGLE, JUNE_1, JUNE_1, date(2026, 7, 1), True, False),
    # Back home: a single visa is spent; a multiple one is valid until it expires.
    ("single, returned", RETURNED, SINGLE, JUNE_1, JUNE_1, date(2026, 5, 1), False, False),
    ("multiple, returned", RETURNED, MULTIPLE, ISSUED, JUNE_1, date(2026, 5, 1), True, True),
    ("multiple, returned, last day", RETURNED, MULTIPLE, ISSUED, JUNE_1, JUNE_1, True, True),
    ("multiple, returned, expired", RETURNED, MULTIPLE, ISSUED, JUNE_1, JUNE_2, False, False),
    ("multiple, returned, no expiry", RETURNED, MULTIPLE, ISSUED, None, ISSUED, False, False),
    # Final statuses are never valid, even inside their dates.
    *[
        (f"{status} {visa_type}", status, visa_type, JUNE_1, JUNE_1, ISSUED, False, False)
        for status in FINAL_STATUSES
        for visa_type in (SINGLE, MULTIPLE)
    ],
]


@pytest.mark.parametrize(
    ("status", "visa_type", "travel_by", "expires_on", "on", "current", "departs"),
    [pytest.param(*row[1:], id=row[0]) for row in STATE_ROWS],
)
def test_is_current_and_can_depart_on(
    status, visa_type, travel_by, expires_on, on, current, departs
):
    kwargs = {
        "status": status,
        "visa_type": visa_type,
        "travel_by": travel_by,
        "expires_on": expires_on,
        "on": on,
    }
    assert lifecycle.is_current(**kwargs) is current
    assert lifecycle.can_depart_on(**kwargs) is departs


# --- Deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued_on", "travel_by", "expires_on", "window", "expected"),
    [
        # Months visa: 90 days after 1 March is 30 May, before the 1 June travel limit.
        pytest.param(ISSUED, JUNE_1, None, 90, date(2026, 5, 30), id="90 days first"),
        # 90 days after 1 January 2026 is 1 April, the same day as the travel limit.
        pytest.param(date(2026, 1, 1), date(2026, 4, 1), None, 90, date(2026, 4, 1), id="same day"),
        # 31 January 2027 + 3 months = 30 April; + 90 days = 1 May.
        pytest.param(
            date(2027, 1, 31),
            date(2027, 4, 30),
            None,
            90,
            date(2027, 4, 30),
            id="travel limit first",
        ),
        pytest.param(ISSUED, JUNE_1, None, 120, JUNE_1, id="longer window: travel limit"),
        # Days visa of 30 days: the return date comes first.
        pytest.param(
            ISSUED, date(2026, 3, 31), date(2026, 3, 31), 90, date(2026, 3, 31), id="30-day visa"
        ),
        # Return date far away: 90 days from issue.
        pytest.param(
            ISSUED, date(2026, 12, 31), date(2026, 12, 31), 90, date(2026, 5, 30), id="far return"
        ),
    ],
)
def test_cancel_deadline_is_the_earlier_of_the_window_and_the_return_date(
    issued_on, travel_by, expires_on, window, expected
):
    assert (
        lifecycle.cancel_deadline(
            issued_on=issued_on, travel_by=travel_by, expires_on=expires_on, window_days=window
        )
        == expected
    )


@pytest.mark.parametrize(
    ("expires_on", "grace", "expected"),
    [
        (date(2026, 4, 1), 60, date(2026, 5, 31)),
        (date(2026, 12, 31), 60, date(2027, 3, 1)),
        (date(2028, 1, 15), 60, date(2028, 3, 15)),  # leap year: 16 + 29 + 15
        (date(2026, 4, 1), 0, date(2026, 4, 1)),
    ],
)
def test_extension_deadline_is_grace_days_after_expiry(expires_on, grace, expected):
    assert lifecycle.extension_deadline(expires_on=expires_on, grace_days=grace) == expected


@pytest.mark.parametrize(
    ("expires_on", "months", "on", "expected"),
    [
        pytest.param(JUNE_1, 2, date(2026, 4, 10), date(2026, 8, 1), id="before expiry"),
        pytest.param(JUNE_1, 2, JUNE_1, date(2026, 8, 1), id="on the expiry day"),
        pytest.param(JUNE_1, 1, date(2026, 7, 15), date(2026, 8, 15), id="after expiry"),
        pytest.param(
            date(2027, 1, 31), 1, date(2027, 1, 10), date(2027, 2, 28), id="end of month clamps"
        ),
        pytest.param(JUNE_1, 12, date(2026, 5, 1), date(2027, 6, 1), id="a year"),
    ],
)
def test_extended_expiry_adds_months_to_the_later_of_expiry_and_today(
    expires_on, months, on, expected
):
    assert lifecycle.extended_expiry(expires_on=expires_on, months=months, on=on) == expected


@pytest.mark.parametrize(
    ("expires_on", "months", "expected"),
    [
        (date(2026, 4, 1), 2, date(2026, 6, 2)),
        (date(2026, 12, 31), 2, date(2027, 3, 1)),  # 28 February 2027 + 1 day
        (date(2026, 7, 31), 2, date(2026, 10, 1)),  # 30 September + 1 day
        (date(2026, 4, 1), 0, date(2026, 4, 2)),
    ],
)
def test_not_returned_from_the_day_after_the_months_have_passed(expires_on, months, expected):
    assert lifecycle.not_returned_from(expires_on=expires_on, months=months) == expected


# --- Daily transition ---------------------------------------------------------------------------

# (case, status, type, travel_by, expires_on, on, target)
TRANSITION_ROWS = [
    # Unused: expires the day after the travel limit or the expiry, whichever is first.
    ("unused, last travel day", ISSUED_, SINGLE, JUNE_1, None, JUNE_1, None),
    ("unused, after the travel window", ISSUED_, SINGLE, JUNE_1, None, JUNE_2, EXPIRED_UNUSED),
    (
        "unused days visa, last day",
        ISSUED_,
        MULTIPLE,
        date(2026, 3, 31),
        date(2026, 3, 31),
        date(2026, 3, 31),
        None,
    ),
    (
        "unused days visa, day after",
        ISSUED_,
        MULTIPLE,
        date(2026, 3, 31),
        date(2026, 3, 31),
        date(2026, 4, 1),
        EXPIRED_UNUSED,
    ),
    (
        "unused, expiry before travel_by",
        ISSUED_,
        SINGLE,
        JUNE_1,
        date(2026, 4, 1),
        date(2026, 4, 2),
        EXPIRED_UNUSED,
    ),
    # Abroad: not returned from 2 months and a day after expiry (expired 1 April → 2 June).
    ("abroad, before expiry", USED, SINGLE, ISSUED, date(2026, 4, 1), date(2026, 3, 20), None),
    ("abroad, just expired", USED, SINGLE, ISSUED, date(2026, 4, 1), date(2026, 4, 2), None),
    ("abroad, 2 months after", USED, SINGLE, ISSUED, date(2026, 4, 1), JUNE_1, None),
    ("abroad, a day more", USED, MULTIPLE, ISSUED, date(2026, 4, 1), JUNE_2, NOT_RETURNED),
    ("abroad, long after", USED, SINGLE, ISSUED, date(2026, 4, 1), date(2027, 1, 1), NOT_RETURNED),
    ("abroad, no expiry recorded", USED, SINGLE, ISSUED, None, date(2030, 1, 1), None),
    # Back home on a multiple visa: expires the day after its expiry.
    ("multiple back, last day", RETURNED, MULTIPLE, ISSUED, JUNE_1, JUNE_1, None),
    ("multiple back, day after", RETURNED, MULTIPLE, ISSUED, JUNE_1, JUNE_2, EXPIRED),
    ("multiple back, no expiry", RETURNED, MULTIPLE, ISSUED, None, JUNE_2, None),
    # A single visa is done once the resident is back.
    ("single back, long after", RETURNED, SINGLE, ISSUED, JUNE_1, date(2027, 1, 1), None),
    # Final statuses stay put.
    *[
        (f"{status} {visa_type}", status, visa_type, ISSUED, ISSUED, date(2030, 1, 1), None)
        for status in FINAL_STATUSES
        for visa_type in (SINGLE, MULTIPLE)
    ],
]


@pytest.mark.parametrize(
    ("status", "visa_type", "travel_by", "expires_on", "on", "target"),
    [pytest.param(*row[1:], id=row[0]) for row in TRANSITION_ROWS],
)
def test_daily_transition(status, visa_type, travel_by, expires_on, on, target):
    assert transition(status, visa_type, travel_by, expires_on, on) == target


def test_not_returned_follows_the_months_setting():
    expires = date(2026, 4, 1)
    assert transition(USED, SINGLE, ISSUED, expires, date(2026, 5, 1), months=1) is None
    assert transition(USED, SINGLE, ISSUED, expires, date(2026, 5, 2), months=1) == NOT_RETURNED


some_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
visas = st.fixed_dictionaries(
    {
        "status": st.sampled_from(list(VisaStatus)),
        "visa_type": st.sampled_from(list(VisaType)),
        "travel_by": some_dates,
        "expires_on": st.one_of(st.none(), some_dates),
        "months": st.integers(min_value=0, max_value=6),
    }
)


@given(visas, some_dates)
def test_daily_transition_is_idempotent(visa, on):
    target = transition(**visa, on=on)
    if target is not None:
        assert transition(**{**visa, "status": target}, on=on) is None


@given(visas, some_dates, st.integers(min_value=1, max_value=3000))
def test_daily_transition_is_monotone_in_time(visa, on, later):
    target = transition(**visa, on=on)
    if target is not None:
        assert transition(**visa, on=on + timedelta(days=later)) == target


@given(visas, some_dates, st.sampled_from(FINAL_STATUSES))
def test_daily_transition_never_moves_a_finished_visa(visa, on, status):
    assert transition(**{**visa, "status": status}, on=on) is None


# An unused visa of any kind, or a multiple visa back home (whose expiry was set at departure).
waiting_visas = st.one_of(
    st.fixed_dictionaries(
        {
            "status": st.just(ISSUED_),
            "visa_type": st.sampled_from(list(VisaType)),
            "travel_by": some_dates,
            "expires_on": st.one_of(st.none(), some_dates),
        }
    ),
    st.fixed_dictionaries(
        {
            "status": st.just(RETURNED),
            "visa_type": st.just(MULTIPLE),
            "travel_by": some_dates,
            "expires_on": some_dates,
        }
    ),
)


@given(waiting_visas, some_dates)
def test_an_unused_or_returned_visa_moves_exactly_when_it_stops_being_current(visa, on):
    current = lifecycle.is_current(**visa, on=on)
    assert (transition(**visa, on=on) is None) is current


@given(visas, some_dates)
def test_a_visa_one_can_depart_on_is_current(visa, on):
    kwargs = {k: v for k, v in visa.items() if k != "months"}
    if lifecycle.can_depart_on(**kwargs, on=on):
        assert lifecycle.is_current(**kwargs, on=on)


@given(some_dates, some_dates, st.integers(min_value=1, max_value=24))
def test_an_extension_always_ends_after_both_the_old_expiry_and_today(expires_on, on, months):
    new = lifecycle.extended_expiry(expires_on=expires_on, months=months, on=on)
    assert new > expires_on
    assert new > on
