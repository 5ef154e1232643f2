"""Iqama renewal fees, pure: the same inputs and schedule always give the same quote."""

from __future__ import annotations

from datetime import date, timedelta

from muqeem.core.money import prorate_to_riyal
from muqeem.fees.models import FeeCode
from muqeem.fees.quotes import FeeLine, Quote
from muqeem.fees.schedule import Schedule


def is_late(*, today: date, expiry: date, grace_days: int) -> bool:
    """Late from the `grace_days`-th day after expiry (the directorate counts from 3 days after)."""
    return today >= expiry + timedelta(days=grace_days)


def late_fine_halalas(schedule: Schedule, *, prior_late_renewals: int) -> int | None:
    """The fine for one more late renewal, or None when it can no longer be done online."""
    fines = schedule.ints("renewal.late_fines")
    if prior_late_renewals >= len(fines):
        return None
    return fines[prior_late_renewals]


def renewal_quote(
    schedule: Schedule,
    *,
    months: int,
    dependents: int,
    saudis_majority: bool,
    abroad: bool,
    domestic_worker: bool,
    late: bool,
    prior_late_renewals: int,
) -> Quote:
    iqama_fee = prorate_to_riyal(schedule.int("renewal.iqama_fee_per_year"), months)
    multiplier = (
        schedule.int("renewal.abroad_fee_multiplier") if (abroad and domestic_worker) else 1
    )
    levy_key = (
        "renewal.expat_levy_per_month_saudi_majority"
        if saudis_majority
        else "renewal.expat_levy_per_month"
    )
    lines = [
        FeeLine(
            FeeCode.IQAMA_FEE, iqama_fee * multiplier, {"months": months, "multiplier": multiplier}
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
        fine = late_fine_halalas(schedule, prior_late_renewals=prior_late_renewals)
        if fine:
            lines.append(
                FeeLine(FeeCode.LATE_RENEWAL_FINE, fine, {"occurrence": prior_late_renewals + 1})
            )
    return Quote(lines=tuple(lines), schedule_fingerprint=schedule.fingerprint)
