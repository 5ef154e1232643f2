"""Two simultaneous visa issues for one resident on PostgreSQL: one visa, one charge."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from muqeem.core.errors import DomainError
from muqeem.eservices.exit_reentry.models import DurationUnit, Visa, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.fees.models import LedgerJournal

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_simultaneous_issues_give_one_visa_and_one_charge(hr_officer, resident):
    barrier = threading.Barrier(2)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(key: str) -> None:
        try:
            barrier.wait()
            visa_issue(
                actor=hr_officer,
                iqama_number=resident.iqama_number,
                terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 20),
                idempotency_key=key,
            )
            outcome = "issued"
        except DomainError as exc:
            outcome = ",".join(str(v.code) for v in exc.violations) or str(exc.code)
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=worker, args=(f"tab-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == Counter({"issued": 1, "VISA_ALREADY_VALID": 1})
    assert Visa.objects.count() == 1
    assert LedgerJournal.objects.filter(kind="charge").count() == 1
