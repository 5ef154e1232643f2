"""Concurrent renewals on PostgreSQL: row locks and idempotency keep one renewal and one debit."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from muqeem.core.errors import DomainError
from muqeem.eservices.iqama_renewal.services import iqama_renew, iqama_renewal_check
from muqeem.fees.models import LedgerJournal
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.workflow.models import ServiceRequest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CLIENTS = 10


def _race(call) -> Counter[str]:
    barrier = threading.Barrier(CLIENTS)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            result = call(i)
            outcome = "replayed" if result.replayed else "renewed"
        except DomainError as exc:
            outcome = str(exc.code)
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_ten_tabs_confirming_the_same_quote_renew_once(hr_officer, resident, establishment):
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
    )
    outcomes = _race(
        lambda i: iqama_renew(
            actor=hr_officer,
            iqama_number=resident.iqama_number,
            period_months=12,
            idempotency_key=f"tab-{i}",
            expected_version=check.resident.version,
            expected_total_halalas=check.quote.total_halalas,
        )
    )
    assert outcomes == Counter({"renewed": 1, "QUOTE_CHANGED": CLIENTS - 1})
    assert ServiceRequest.objects.count() == 1
    assert LedgerJournal.objects.filter(kind="charge").count() == 1
    establishment.refresh_from_db()
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    assert establishment.balance_halalas == 100_000 * 100 - check.quote.total_halalas


def test_ten_retries_with_one_idempotency_key_renew_once(hr_officer, resident, establishment):
    outcomes = _race(
        lambda i: iqama_renew(
            actor=hr_officer,
            iqama_number=resident.iqama_number,
            period_months=12,
            idempotency_key="same-key",
        )
    )
    assert outcomes == Counter({"renewed": 1, "replayed": CLIENTS - 1})
    assert ServiceRequest.objects.count() == 1
    assert LedgerJournal.objects.filter(kind="charge").count() == 1


def test_renewals_racing_for_the_last_riyals_never_overdraw(db):
    """Ten residents renewed at once by an establishment whose balance covers only three: the
    balance is debited last by a conditional UPDATE, so exactly three are renewed, the others are
    refused and leave nothing behind, and the balance equals the ledger, never below zero."""
    from django.db import transaction

    from muqeem.establishments.models import Establishment
    from muqeem.fees.services import ledger_post_payment
    from tests.factories import EstablishmentFactory, ResidentFactory, UserFactory

    establishment = EstablishmentFactory()
    officer = UserFactory(establishment=establishment)
    residents = ResidentFactory.create_batch(CLIENTS, establishment=establishment)
    total = iqama_renewal_check(
        actor=officer, iqama_number=residents[0].iqama_number, period_months=12
    ).quote.total_halalas
    covered, left_over = 3, total // 2
    with transaction.atomic():
        ledger_post_payment(
            actor=None,
            establishment=Establishment.objects.select_for_update().get(pk=establishment.pk),
            amount_halalas=covered * total + left_over,
            reference="exact",
            idempotency_key="exact",
        )
    outcomes = _race(
        lambda i: iqama_renew(
            actor=officer,
            iqama_number=residents[i].iqama_number,
            period_months=12,
            idempotency_key=f"r-{i}",
        )
    )
    # Refused by the debit itself, or earlier by the balance rule for a renewal that read the
    # balance after three debits had committed.
    assert outcomes["renewed"] == covered, outcomes
    assert set(outcomes) <= {"renewed", "INSUFFICIENT_BALANCE", "ELIGIBILITY_FAILED"}, outcomes
    assert ServiceRequest.objects.filter(establishment=establishment).count() == covered
    assert LedgerJournal.objects.filter(establishment=establishment, kind="charge").count() == 3
    establishment.refresh_from_db()
    assert establishment.balance_halalas == left_over
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
