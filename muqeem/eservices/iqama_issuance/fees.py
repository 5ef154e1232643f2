"""Iqama issuance fees, pure: the same inputs and schedule always give the same quote.

A first iqama costs one period (`issuance.period_months`, 12 by default) of the same yearly fees as a
renewal (iqama fee, work permit fee, expat levy and the dependents levy), plus the late issuance fine
after the window that follows arrival, plus the Wasel postage for the card.
"""

from __future__ import annotations

from datetime import date, timedelta

from muqeem.core.money import prorate_to_riyal
from muqeem.fees.models import FeeCode
from muqeem.fees.quotes import FeeLine, Quote
from muqeem.fees.schedule import Schedule


def issuance_deadline(*, arrival_date: date, window_days: int) -> date:
    """The last day the first iqama can be issued without the late fine."""
    return arrival_date + timedelta(days=window_days)


def is_late(*, today: date, arrival_date: date | None, window_days: int) -> bool:
    """Late when today is more than `window_days` after arrival. A record without an arrival date
    (loaded before arrivals were recorded) is given the benefit of the doubt."""
    if arrival_date is None:
        return False
    return today > issuance_deadline(arrival_date=arrival_date, window_days=window_days)


def issuance_quote(
    schedule: Schedule,
    *,
    dependents: int,
    saudis_majority: bool,
    late: bool,
) -> Quote:
    months = schedule.int("issuance.period_months")
    levy_key = (
        "renewal.expat_levy_per_month_saudi_majority"
        if saudis_majority
        else "renewal.expat_levy_per_month"
    )
    lines = [
        FeeLine(
            FeeCode.IQAMA_FEE,
            prorate_to_riyal(schedule.int("renewal.iqama_fee_per_year"), months),
            {"months": months},
        ),
        FeeLine(
            FeeCode.WORK_PERMIT_FEE,
            prorate_to_riyal(schedule.int("renewal.work_permit_fee_per_year"), months),
            {"months": months},
        ),
        FeeLine(FeeCode.EXPAT_LEVY, schedule.int(levy_key) * months, {"months": months}),
    ]
    if dependents:
        lines.append(
            FeeLine(
                FeeCode.DEPENDENTS_LEVY,
                schedule.int("renewal.dependents_levy_per_month") * months * dependents,
                {"months": months, "dependents": dependents},
            )
        )
    if late:
        lines.append(
            FeeLine(
                FeeCode.IQAMA_ISSUANCE_LATE_FINE,
                schedule.int("issuance.late_fine"),
                {"window_days": schedule.int("issuance.window_days")},
            )
        )
    lines.append(FeeLine(FeeCode.WASEL_DELIVERY_FEE, schedule.int("wasel.delivery_fee")))
    return Quote(lines=tuple(lines), schedule_fingerprint=schedule.fingerprint)
