"""A confirmed batch runs as BULK_RUN_TASKS tasks sharing its rows, closed once by whichever ends
last; and the statements a batch costs per row stay the same whatever the batch's size."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from muqeem.bulk import tasks as bulk_tasks
from muqeem.bulk.models import BatchStatus, BulkBatch, BulkRow, RowStatus
from muqeem.bulk.services import batches as bulk_batches
from muqeem.bulk.services import (
    bulk_batch_confirm,
    bulk_batch_execute,
    bulk_batch_upload,
    bulk_batch_validate,
    bulk_batches_recover,
)
from muqeem.notifications.models import SmsMessage
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

from .conftest import csv_bytes, renew

pytestmark = pytest.mark.django_db


def _batch(actor, establishment, size: int) -> BulkBatch:
    residents = ResidentFactory.create_batch(size, establishment=establishment)
    content = csv_bytes([renew(r.iqama_number, 12) for r in residents])
    return bulk_batch_upload(
        actor=actor, filename=f"{size}.csv", size=len(content), content=io.BytesIO(content)
    )


def _summaries(establishment) -> int:
    return SmsMessage.objects.filter(
        to=establishment.registered_mobile, body__contains=" finished: "
    ).count()


@pytest.fixture
def runs(monkeypatch) -> list[tuple[int, int]]:
    """(part, parts) of every run task that ran; each still runs the real service."""
    seen: list[tuple[int, int]] = []

    def execute(*, batch_id: int, part: int = 0, parts: int = 1) -> BulkBatch | None:
        seen.append((part, parts))
        return bulk_batch_execute(batch_id=batch_id, part=part, parts=parts)

    monkeypatch.setattr(bulk_tasks, "bulk_batch_execute", execute)
    return seen


def test_confirm_enqueues_one_run_task_per_worker_and_the_batch_closes_once(
    settings, hr_officer, establishment, runs, django_capture_on_commit_callbacks
):
    settings.BULK_RUN_TASKS = 3
    with django_capture_on_commit_callbacks(execute=True):
        batch = _batch(hr_officer, establishment, 4)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    assert runs == [(0, 3), (1, 3), (2, 3)]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert (batch.rows_done, batch.rows_processing, batch.rows_valid) == (4, 0, 0)
    assert ServiceRequest.objects.filter(establishment=establishment).count() == 4
    # The summary SMS is queued once, by the task that closed the batch.
    assert _summaries(establishment) == 1
    assert len(callbacks) >= 1


def test_a_resumed_silent_run_is_enqueued_as_as_many_tasks(
    settings, hr_officer, establishment, runs, django_capture_on_commit_callbacks
):
    settings.BULK_RUN_TASKS = 2
    settings.BULK_STALE_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=True):
        batch = _batch(hr_officer, establishment, 3)
    bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)  # its tasks never run: a dead worker
    BulkBatch.objects.filter(pk=batch.pk).update(progress_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_batches_recover() == [batch.pk]
    assert runs == [(0, 2), (1, 2)]
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done) == (BatchStatus.DONE, 3)
    assert _summaries(establishment) == 1


@pytest.mark.parametrize(("part", "parts"), [(0, 2), (1, 2), (2, 3), (5, 2)])
def test_a_run_task_alone_runs_every_row_whatever_its_part(
    hr_officer, establishment, monkeypatch, part, parts
):
    monkeypatch.setattr(bulk_batches, "_validate_task_enqueue", lambda batch_id: None)
    monkeypatch.setattr(bulk_batches, "_execute_task_enqueue", lambda batch_id: None)
    batch = _batch(hr_officer, establishment, 5)
    bulk_batch_validate(batch_id=batch.pk)
    bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    bulk_batch_execute(batch_id=batch.pk, part=part, parts=parts)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done) == (BatchStatus.DONE, 5)
    assert _summaries(establishment) == 1


def test_the_second_part_starts_half_way_through_the_rows(hr_officer, establishment, monkeypatch):
    """Two runs begin at opposite ends of their shares, so they do not queue for the same rows."""
    monkeypatch.setattr(bulk_batches, "_validate_task_enqueue", lambda batch_id: None)
    monkeypatch.setattr(bulk_batches, "_execute_task_enqueue", lambda batch_id: None)
    batch = _batch(hr_officer, establishment, 6)
    bulk_batch_validate(batch_id=batch.pk)
    bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    bulk_batch_execute(batch_id=batch.pk, part=1, parts=2)
    done = list(
        BulkRow.objects.filter(batch=batch, status=RowStatus.DONE)
        .order_by("request_number")
        .values_list("row_number", flat=True)
    )
    # Request numbers grow with creation: rows 5–7 (the second half) were renewed first.
    assert done == [5, 6, 7, 2, 3, 4]


# --- Statements per row -------------------------------------------------------------------------


def _statements(hr_officer, establishment, monkeypatch, size: int) -> tuple[int, int]:
    """Statements of the dry run and of the run of a batch of `size` renewals."""
    from conftest import fund

    fund(establishment, 15_000 * size, key=f"bulk-statements-{size}")
    monkeypatch.setattr(bulk_batches, "_validate_task_enqueue", lambda batch_id: None)
    monkeypatch.setattr(bulk_batches, "_execute_task_enqueue", lambda batch_id: None)
    batch = _batch(hr_officer, establishment, size)
    with CaptureQueriesContext(connection) as dry_run:
        bulk_batch_validate(batch_id=batch.pk)
    bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    with CaptureQueriesContext(connection) as run:
        bulk_batch_execute(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done) == (BatchStatus.DONE, size)
    return len(dry_run), len(run)


def test_statements_per_group_do_not_grow_with_the_batch(hr_officer, establishment, monkeypatch):
    """The run and the dry run work a group of rows at a time with set statements: each group costs
    the same statements however large the batch (nothing read or written per batch size, no query
    per row), under a ceiling a little above today's cost."""
    from muqeem.bulk.services import runs

    # Groups of 10 within chunks of 20, so that the batches below are 2, 4 and 6 whole groups.
    monkeypatch.setattr(runs, "GROUP", 10)
    monkeypatch.setattr(runs, "CHUNK", 20)
    small = _statements(hr_officer, establishment, monkeypatch, 20)
    medium = _statements(hr_officer, establishment, monkeypatch, 40)
    large = _statements(hr_officer, establishment, monkeypatch, 60)
    for step in (0, 1):
        assert large[step] - medium[step] == medium[step] - small[step]
    dry_run_per_group, run_per_group = ((medium[s] - small[s]) / 2 for s in (0, 1))
    # Today, counting the savepoints the test's own transaction turns each transaction into: the
    # run's group (claim, the set renewal, the outcomes, the progress) 29 statements, the dry run's
    # (the set check, its audit rows, the outcomes, the progress) 14 — for 10 rows as
    # for 100. One statement more per row would add 10 here.
    assert run_per_group <= 32
    assert dry_run_per_group <= 16


def test_a_check_that_fails_in_the_database_fails_its_row_alone(
    hr_officer, establishment, monkeypatch
):
    """The dry run checks a group's renewals as a set and commits the group's rows together; a set
    that breaks in the database is rolled back to its savepoint and its rows are checked one by one,
    and a check that breaks there too is rolled back to its own savepoint, so the rows around it
    keep their outcomes and their audit rows."""
    from muqeem.audit.models import AuditEvent, AuditEventType
    from muqeem.bulk.services import runs

    real_check = runs.iqama_renewal_check
    real_check_many = runs.iqama_renewal_check_many
    broken = ResidentFactory(establishment=establishment)

    def break_on_the_broken_resident(numbers) -> None:
        if broken.iqama_number in numbers:
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table")

    def check(*, actor, iqama_number: str, period_months: int):
        break_on_the_broken_resident([iqama_number])
        return real_check(actor=actor, iqama_number=iqama_number, period_months=period_months)

    def check_many(*, actor, items):
        checks = real_check_many(actor=actor, items=items)
        break_on_the_broken_resident([number for number, _months in items])
        return checks

    monkeypatch.setattr(runs, "iqama_renewal_check", check)
    monkeypatch.setattr(runs, "iqama_renewal_check_many", check_many)
    monkeypatch.setattr(bulk_batches, "_validate_task_enqueue", lambda batch_id: None)
    good = ResidentFactory.create_batch(2, establishment=establishment)
    content = csv_bytes(
        [renew(good[0].iqama_number), renew(broken.iqama_number), renew(good[1].iqama_number)]
    )
    batch = bulk_batch_upload(
        actor=hr_officer, filename="b.csv", size=len(content), content=io.BytesIO(content)
    )
    bulk_batch_validate(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_valid, batch.rows_invalid) == (BatchStatus.VALIDATED, 2, 1)
    assert BulkRow.objects.get(batch=batch, row_number=3).codes == ["INTERNAL_ERROR"]
    checked = AuditEvent.objects.filter(event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED)
    assert set(checked.values_list("resident_id", flat=True)) == {r.pk for r in good}
