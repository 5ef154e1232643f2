"""Profession change fee, pure (DOMAIN.md: SAR 2,000; a change away from a generic title is a free
correction, allowed `profession.free_corrections` times per resident)."""

from __future__ import annotations

from muqeem.fees.models import FeeCode
from muqeem.fees.quotes import FeeLine, Quote
from muqeem.fees.schedule import Schedule


def is_free_correction(
    *, current_is_generic: bool, corrections_used: int, free_corrections: int
) -> bool:
    return current_is_generic and corrections_used < free_corrections


def profession_change_quote(
    schedule: Schedule, *, current_is_generic: bool, corrections_used: int
) -> Quote:
    """One line: the change fee, or zero with `correction: 1` in its basis so the request's stored
    fee lines say why nothing was charged."""
    if is_free_correction(
        current_is_generic=current_is_generic,
        corrections_used=corrections_used,
        free_corrections=schedule.int("profession.free_corrections"),
    ):
        line = FeeLine(FeeCode.PROFESSION_CHANGE_FEE, 0, {"correction": 1})
    else:
        line = FeeLine(FeeCode.PROFESSION_CHANGE_FEE, schedule.int("profession.change_fee"))
    return Quote(lines=(line,), schedule_fingerprint=schedule.fingerprint)


def quote_is_correction(quote: Quote) -> bool:
    return any(line.basis.get("correction") for line in quote.lines)
