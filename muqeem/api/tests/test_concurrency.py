"""An HR system that fires the same POST several times at once (a retry storm) renews once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from muqeem.api.tests.conftest import client_for
from muqeem.fees.models import LedgerJournal
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.workflow.models import ServiceRequest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CLIENTS = 8


def test_the_same_idempotency_key_at_once_executes_once(api, resident, establishment):
    barrier = threading.Barrier(CLIENTS)
    outcomes: Counter[str] = Counter()
    bodies: list[bytes] = []
    lock = threading.Lock()

    def worker() -> None:
        client = client_for(api.secret)
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/iqama-renewals/",
                {"iqama_number": resident.iqama_number, "period_months": 12},
                format="json",
                HTTP_IDEMPOTENCY_KEY="storm",
            )
            if response.status_code == 201:
                outcome = "replayed" if response.get("Idempotent-Replayed") else "renewed"
                with lock:
                    bodies.append(response.content)
            else:
                outcome = f"{response.status_code} {response.json()['code']}"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes["renewed"] == 1, outcomes
    assert set(outcomes) <= {"renewed", "replayed", "409 IDEMPOTENCY_KEY_IN_USE"}, outcomes
    assert len(set(bodies)) == 1
    assert ServiceRequest.objects.filter(establishment=establishment).count() == 1
    assert LedgerJournal.objects.filter(establishment=establishment, kind="charge").count() == 1
    establishment.refresh_from_db()
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
