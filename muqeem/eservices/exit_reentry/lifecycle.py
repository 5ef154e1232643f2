"""A visa's dates and states as pure functions of its terms and the day: used by the services, the
border and the daily job alike, so they can never disagree about whether a visa is valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from muqeem.core.dates import add_months

from .models import DurationUnit, VisaStatus, VisaType


@dataclass(frozen=True)
class PlannedDates:
    travel_by: date
    expires_on: date | None
    # The latest day the resident could be due back, for the iqama-coverage rule.
    latest_return: date


def planned_dates(
    *,
    unit: str,
    value: int | None,
    return_before: date | None,
    issued_on: date,
    travel_window_months: int,
    iqama_expiry: date | None = None,
) -> PlannedDates:
    """Days and return-before dates count from issue. A duration in months counts from the travel
    date, and the visa must be used within the travel window; the window closes early enough that
    a stay starting on its last day still ends within the iqama, so the resident can never be due
    back after the iqama expires."""
    if unit == DurationUnit.MONTHS:
        months = int(value or 0)
        travel_by = add_months(issued_on, travel_window_months)
        if iqama_expiry is not None:
            travel_by = max(min(travel_by, add_months(iqama_expiry, -months)), issued_on)
        return PlannedDates(
            travel_by=travel_by, expires_on=None, latest_return=add_months(travel_by, months)
        )
    if unit == DurationUnit.DAYS:
        expires = issued_on + timedelta(days=int(value or 0))
    else:
        expires = return_before or issued_on
    return PlannedDates(travel_by=expires, expires_on=expires, latest_return=expires)


def expiry_on_first_departure(
    *,
    unit: str,
    value: int | None,
    extended_months: int,
    departed_on: date,
    planned_expiry: date | None,
) -> date:
    if unit == DurationUnit.MONTHS:
        return add_months(departed_on, int(value or 0) + extended_months)
    assert planned_expiry is not None  # noqa: S101 - days and return-before visas know their expiry at issue
    return planned_expiry


def is_current(
    *, status: str, visa_type: str, travel_by: date, expires_on: date | None, on: date
) -> bool:
    """Valid now: unused within its travel window, in use abroad, or a multiple visa back home and
    still unexpired."""
    if status == VisaStatus.ISSUED:
        return on <= travel_by and (expires_on is None or on <= expires_on)
    if status == VisaStatus.USED:
        return True
    if status == VisaStatus.RETURNED and visa_type == VisaType.MULTIPLE:
        return expires_on is not None and on <= expires_on
    return False


def can_depart_on(
    *, status: str, visa_type: str, travel_by: date, expires_on: date | None, on: date
) -> bool:
    if status == VisaStatus.ISSUED:
        return on <= travel_by and (expires_on is None or on <= expires_on)
    if status == VisaStatus.RETURNED and visa_type == VisaType.MULTIPLE:
        return expires_on is not None and on <= expires_on
    return False


def cancel_deadline(
    *, issued_on: date, travel_by: date, expires_on: date | None, window_days: int
) -> date:
    """Within the window after issue or before the return date, whichever comes first."""
    return_date = expires_on or travel_by
    return min(issued_on + timedelta(days=window_days), return_date)


def extension_deadline(*, expires_on: date, grace_days: int) -> date:
    return expires_on + timedelta(days=grace_days)


def extended_expiry(*, expires_on: date, months: int, on: date) -> date:
    """An extension adds months to the later of the current expiry and today, so an extension made
    after expiry still gives the resident the months paid for."""
    return add_months(max(expires_on, on), months)


def not_returned_from(*, expires_on: date, months: int) -> date:
    """The first day a resident abroad on an expired visa counts as not returned."""
    return add_months(expires_on, months) + timedelta(days=1)


def daily_transition(
    *,
    status: str,
    visa_type: str,
    travel_by: date,
    expires_on: date | None,
    on: date,
    not_returned_months: int,
) -> str | None:
    """The status the daily job moves a visa to on day `on`, or None. Depends only on the visa and the
    day, so a run repeated or delayed reaches the same result."""
    if status == VisaStatus.ISSUED and (
        on > travel_by or (expires_on is not None and on > expires_on)
    ):
        return VisaStatus.EXPIRED_UNUSED
    if (
        status == VisaStatus.USED
        and expires_on is not None
        and on >= not_returned_from(expires_on=expires_on, months=not_returned_months)
    ):
        return VisaStatus.NOT_RETURNED
    if (
        status == VisaStatus.RETURNED
        and visa_type == VisaType.MULTIPLE
        and expires_on is not None
        and on > expires_on
    ):
        return VisaStatus.EXPIRED
    return None
