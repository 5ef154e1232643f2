"""Helpers of scripts/backup-drill that need Django: a few real transactions on the scratch source."""

from __future__ import annotations

from django.db import transaction

from muqeem.accounts.models import User
from muqeem.core.errors import DomainError
from muqeem.eservices.iqama_renewal.services import iqama_renew
from muqeem.establishments.models import Establishment
from muqeem.fees.services import ledger_post_payment
from muqeem.residents.models import Resident


def drill_transactions(*, renewals: int = 3) -> dict[str, int]:
    """Top up each establishment and renew a few iqamas through the services, as users would, so the
    dump holds requests, charges, history and audit written by the real code paths."""
    done = {"payments": 0, "renewals": 0, "refused": 0}
    for establishment in Establishment.objects.order_by("pk"):
        with transaction.atomic():
            locked = Establishment.objects.select_for_update().get(pk=establishment.pk)
            ledger_post_payment(
                actor=None,
                establishment=locked,
                amount_halalas=5_000_000,
                reference="backup-drill",
                idempotency_key=f"backup-drill:{establishment.pk}",
            )
        done["payments"] += 1
        officer = (
            User.objects.filter(establishment=establishment, is_active=True)
            .order_by("-is_main_user", "pk")
            .first()
        )
        if officer is None:
            continue
        made = 0
        residents = Resident.objects.filter(establishment=establishment, iqama_number__isnull=False)
        for resident in residents.order_by("pk"):
            if made >= renewals or resident.iqama_number is None:
                break
            try:
                iqama_renew(
                    actor=officer,
                    iqama_number=resident.iqama_number,
                    period_months=12,
                    idempotency_key=f"backup-drill:{resident.pk}",
                )
            except DomainError:
                done["refused"] += 1
            else:
                made += 1
                done["renewals"] += 1
    return done
