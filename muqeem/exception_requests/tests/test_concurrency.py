"""Two transactions try to use one approval at the same moment on PostgreSQL: exactly one does."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from muqeem.core.errors import DomainError
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.eservices.exit_reentry.services import visa_cancel
from muqeem.exception_requests.models import ExceptionRequest, ExceptionStatus

from .conftest import approved, old_unused_visa

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_late_cancellations_race_for_one_approval(hr_officer, supervisor, resident):
    visas = [old_unused_visa(hr_officer, resident) for _ in range(2)]
    exception = approved(hr_officer, supervisor, resident, code="VISA_CANCEL_WINDOW_PASSED")
    barrier = threading.Barrier(2)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(visa: Visa) -> None:
        try:
            barrier.wait()
            visa_cancel(actor=hr_officer, visa_number=visa.number, idempotency_key=visa.number)
            outcome = "cancelled"
        except DomainError as exc:
            outcome = ",".join(str(v.code) for v in exc.violations) or str(exc.code)
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=worker, args=(v,)) for v in visas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == Counter({"cancelled": 1, "VISA_CANCEL_WINDOW_PASSED": 1})
    assert Visa.objects.filter(status=VisaStatus.CANCELLED).count() == 1
    exception = ExceptionRequest.objects.get(pk=exception.pk)
    assert exception.status == ExceptionStatus.USED
    assert exception.used_by_request_id is not None
