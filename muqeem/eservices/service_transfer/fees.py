"""Transfer of services fee (DOMAIN.md): paid by the new sponsor — SAR 2,000 for the resident's
first transfer, 4,000 for the second, 6,000 for the third and later."""

from __future__ import annotations

from muqeem.fees.models import FeeCode
from muqeem.fees.quotes import FeeLine, Quote
from muqeem.fees.schedule import Schedule


def transfer_quote(schedule: Schedule, *, prior_transfers: int) -> Quote:
    fees = schedule.ints("transfer.fees")
    amount = fees[min(prior_transfers, len(fees) - 1)]
    line = FeeLine(FeeCode.SERVICE_TRANSFER_FEE, amount, {"transfer": prior_transfers + 1})
    return Quote(lines=(line,), schedule_fingerprint=schedule.fingerprint)
