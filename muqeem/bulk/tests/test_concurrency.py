"""A batch's run delivered to several workers at once (a retried task, two `db_worker`s), and a
double confirmation, on PostgreSQL: every row runs once, every fee is charged once."""

from __future__ import annotations

import io
import threading

import pytest
from django.db import connection

from muqeem.bulk.errors import BulkError
from muqeem.bulk.models import BatchStatus, BulkBatch, BulkRow, RowStatus
from muqeem.bulk.services import (
    bulk_batch_confirm,
    bulk_batch_execute,
    bulk_batch_upload,
    bulk_batch_validate,
)
from muqeem.fees.models import JournalKind, LedgerJournal
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

from .conftest import csv_bytes, renew

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKERS = 4


def _together(call) -> list[object]:
    barrier = threading.Barrier(WORKERS)
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            result: object = call()
        except Exception as exc:
            result = exc
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_workers_run_each_row_once(hr_officer, establishment, monkeypatch):
    from muqeem.bulk.services import batches

    monkeypatch.setattr(batches, "_validate_task_enqueue", lambda batch_id: None)
    monkeypatch.setattr(batches, "_execute_task_enqueue", lambda batch_id: None)
    residents = [ResidentFactory(establishment=establishment) for _ in range(12)]
    content = csv_bytes([renew(r.iqama_number, 3) for r in residents])
    batch = bulk_batch_upload(
        actor=hr_officer, filename="f.csv", size=len(content), content=io.BytesIO(content)
    )
    bulk_batch_validate(batch_id=batch.pk)

    confirmations = _together(lambda: bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk))
    assert sum(isinstance(r, BulkBatch) for r in confirmations) == 1
    assert sum(isinstance(r, BulkError) for r in confirmations) == WORKERS - 1

    outcomes = _together(lambda: bulk_batch_execute(batch_id=batch.pk))
    assert not [r for r in outcomes if isinstance(r, Exception)]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert set(BulkRow.objects.filter(batch=batch).values_list("status", flat=True)) == {
        RowStatus.DONE
    }
    assert ServiceRequest.objects.filter(establishment=establishment).count() == 12
    charges = LedgerJournal.objects.filter(establishment=establishment, kind=JournalKind.CHARGE)
    assert charges.count() == 12


def test_two_run_tasks_share_a_batch_and_close_it_once(hr_officer, establishment, monkeypatch):
    """The confirmation's tasks on two workers at once: every resident renewed exactly once, every
    row done, the batch closed once — one summary SMS — by whichever task ended last."""
    from conftest import fund
    from muqeem.bulk.services import batches
    from muqeem.notifications.models import SmsMessage
    from muqeem.residents.models import Resident
    from tests.concurrency import race

    monkeypatch.setattr(batches, "_validate_task_enqueue", lambda batch_id: None)
    monkeypatch.setattr(batches, "_execute_task_enqueue", lambda batch_id: None)
    fund(establishment, 1_000_000, key="two-run-tasks")
    residents = [ResidentFactory(establishment=establishment) for _ in range(40)]
    versions = {r.pk: r.version for r in residents}
    content = csv_bytes([renew(r.iqama_number, 3) for r in residents])
    batch = bulk_batch_upload(
        actor=hr_officer, filename="f.csv", size=len(content), content=io.BytesIO(content)
    )
    bulk_batch_validate(batch_id=batch.pk)
    bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)

    outcomes = race(
        lambda: bulk_batch_execute(batch_id=batch.pk, part=0, parts=2),
        lambda: bulk_batch_execute(batch_id=batch.pk, part=1, parts=2),
    )
    assert outcomes == {"done": 2}
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.rows_processing) == (BatchStatus.DONE, 40, 0)
    rows = BulkRow.objects.filter(batch=batch)
    assert set(rows.values_list("status", flat=True)) == {RowStatus.DONE}
    assert set(rows.values_list("attempts", flat=True)) == {1}
    renewed = {r.pk: r.version for r in Resident.objects.filter(pk__in=versions)}
    assert renewed == {pk: version + 1 for pk, version in versions.items()}
    assert ServiceRequest.objects.filter(establishment=establishment).count() == 40
    charges = LedgerJournal.objects.filter(establishment=establishment, kind=JournalKind.CHARGE)
    assert charges.count() == 40
    summaries = SmsMessage.objects.filter(
        to=establishment.registered_mobile, body__contains=" finished: "
    )
    assert summaries.count() == 1


def test_the_batch_records_commit_asynchronously_and_nothing_around_them():
    """Claims, outcomes and counters do not wait for the WAL flush; an enclosing transaction (a
    service's change) keeps its synchronous commit."""
    from django.db import transaction

    from muqeem.bulk.services.runs import bookkeeping

    def synchronous_commit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    with bookkeeping():
        assert synchronous_commit() == "off"
    assert synchronous_commit() == "on"
    with transaction.atomic(), bookkeeping():
        assert synchronous_commit() == "on"
