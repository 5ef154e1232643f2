from __future__ import annotations

import hashlib
from datetime import date

from django.db.models import Sum

from muqeem.establishments.models import Establishment
from muqeem.fees.models import LedgerAccount, LedgerLine, ScheduleEntry
from muqeem.fees.schedule import KEYS, Schedule


def schedule_at(as_of: date) -> Schedule:
    """The schedule in force on `as_of`: for each key, its entry with the latest `effective_from` on
    or before that day; keys with no entry yet use the published default."""
    values = {k.name: k.default for k in KEYS}
    ids: list[str] = []
    for entry in ScheduleEntry.objects.filter(effective_from__lte=as_of).order_by(
        "key", "effective_from"
    ):
        values[entry.key] = entry.value
        ids.append(f"{entry.key}@{entry.pk}")
    # Only the winning entry per key matters for the fingerprint.
    winners = {item.split("@")[0]: item for item in ids}
    fingerprint = hashlib.sha256("|".join(sorted(winners.values())).encode()).hexdigest()[:16]
    return Schedule(as_of=as_of, values=values, fingerprint=fingerprint)


def establishment_ledger_balance(*, establishment: Establishment) -> int:
    """The balance recomputed from the ledger (the stored balance must always equal it)."""
    total = LedgerLine.objects.filter(
        establishment=establishment, account=LedgerAccount.ESTABLISHMENT
    ).aggregate(total=Sum("amount_halalas"))["total"]
    return int(total or 0)
