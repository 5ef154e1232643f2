"""Replacement card fees, pure (DOMAIN.md: lost 1,000 / 2,000 / 3,000 for the 1st / 2nd / 3rd and later
loss, damaged 500, plus the Wasel postage). Every amount comes from the schedule."""

from __future__ import annotations

from muqeem.fees.models import FeeCode
from muqeem.fees.quotes import FeeLine, Quote
from muqeem.fees.schedule import Schedule

from .models import DeliveryReason

REPRINT_REASONS = (DeliveryReason.LOST, DeliveryReason.DAMAGED)


def lost_card_fee(schedule: Schedule, *, earlier_lost: int) -> int:
    """The fee for a loss after `earlier_lost` earlier ones; past the list, its last value."""
    fees = schedule.ints("wasel.lost_card_fees")
    return fees[min(max(earlier_lost, 0), len(fees) - 1)]


def reprint_quote(schedule: Schedule, *, reason: str, earlier_lost: int) -> Quote:
    if reason == DeliveryReason.LOST:
        replacement = FeeLine(
            FeeCode.CARD_REPLACEMENT_FEE,
            lost_card_fee(schedule, earlier_lost=earlier_lost),
            {"earlier_lost": earlier_lost},
        )
    elif reason == DeliveryReason.DAMAGED:
        replacement = FeeLine(FeeCode.CARD_REPLACEMENT_FEE, schedule.int("wasel.damaged_card_fee"))
    else:
        raise ValueError(f"not a replacement reason: {reason!r}")
    postage = FeeLine(FeeCode.WASEL_DELIVERY_FEE, schedule.int("wasel.delivery_fee"))
    return Quote(lines=(replacement, postage), schedule_fingerprint=schedule.fingerprint)
