"""Exit and re-entry visa fees, pure (DOMAIN.md: single 200 up to 2 months + 100 per extra month;
multiple 500 up to 3 months + 200 per extra month)."""

from __future__ import annotations

import math
from datetime import date

from muqeem.fees.models import FeeCode
from muqeem.fees.quotes import FeeLine, Quote
from muqeem.fees.schedule import Schedule

from .models import DurationUnit, VisaType


def months_for(
    *,
    unit: str,
    value: int | None,
    return_before: date | None,
    issued_on: date,
    days_per_month: int,
) -> int:
    """The months a visa is charged for; part of a month counts as a whole month."""
    if unit == DurationUnit.MONTHS:
        return int(value or 0)
    if unit == DurationUnit.DAYS:
        return math.ceil(int(value or 0) / days_per_month)
    if return_before is None:
        return 0
    return math.ceil(max((return_before - issued_on).days, 0) / days_per_month)


def _prefix(visa_type: str) -> str:
    return "visa.single" if visa_type == VisaType.SINGLE else "visa.multiple"


def visa_issue_quote(schedule: Schedule, *, visa_type: str, months: int) -> Quote:
    p = _prefix(visa_type)
    extra_months = max(months - schedule.int(f"{p}_base_months"), 0)
    amount = schedule.int(f"{p}_base_fee") + extra_months * schedule.int(f"{p}_extra_month_fee")
    line = FeeLine(
        FeeCode.EXIT_REENTRY_VISA_FEE, amount, {"months": months, "extra_months": extra_months}
    )
    return Quote(lines=(line,), schedule_fingerprint=schedule.fingerprint)


def visa_extension_quote(schedule: Schedule, *, visa_type: str, months: int) -> Quote:
    multiplier = schedule.int("visa.extension_abroad_multiplier")
    amount = months * schedule.int(f"{_prefix(visa_type)}_extra_month_fee") * multiplier
    line = FeeLine(FeeCode.VISA_EXTENSION_FEE, amount, {"months": months, "multiplier": multiplier})
    return Quote(lines=(line,), schedule_fingerprint=schedule.fingerprint)
