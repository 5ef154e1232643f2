"""Two officers of the current sponsor approving the same transfer at once: one move, one charge."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from muqeem.core.errors import DomainError
from muqeem.eservices.service_transfer.services import transfer_approve, transfer_request_create
from muqeem.fees.models import LedgerJournal
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_double_approval_moves_and_charges_once(hr_officer, other_officer, resident):
    colleague = UserFactory(establishment=hr_officer.establishment)
    transfer = transfer_request_create(
        actor=other_officer,
        iqama_number=resident.iqama_number,
        sponsor_moi=resident.establishment.moi_number,
        idempotency_key="k",
    ).transfer
    barrier = threading.Barrier(2)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def approve(officer) -> None:
        try:
            barrier.wait()
            result = transfer_approve(actor=officer, number=transfer.request.number)
            outcome = "replayed" if result.replayed else "approved"
        except DomainError as exc:
            outcome = str(exc.code)
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=approve, args=(o,)) for o in (hr_officer, colleague)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == Counter({"approved": 1, "replayed": 1})
    assert LedgerJournal.objects.filter(service_request=transfer.request).count() == 1
    resident.refresh_from_db()
    assert resident.transfer_count == 1
