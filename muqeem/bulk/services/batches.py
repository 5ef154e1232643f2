"""The life of a bulk batch: upload (store the rows, start the dry run), confirm (start the run),
resume (restart a run that stopped), and the batch's counters.

Safety of the run:
* confirming moves the batch VALIDATED → RUNNING under its row lock, so one confirmation enqueues
  one run however often the button is pressed;
* the run is enqueued as BULK_RUN_TASKS tasks that share the batch: a row is claimed
  (VALID → PROCESSING) by a conditional update before its service call (`runs.py`), so two workers
  on one batch never run the same row twice, and the batch is closed (status, counters, the summary
  SMS) under its lock by the first task to find no row left open, whichever that is;
* the idempotency key `bulk:<establishment>:<file sha256>:<row>` makes the service replay a row
  already done by an earlier upload of the same file, or by a run that died after the service
  committed: nothing is ever charged twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from muqeem.accounts.permissions import Permission
from muqeem.bulk.errors import BulkError, BulkErrorCode
from muqeem.bulk.models import BatchStatus, BulkBatch, BulkRow, RowStatus
from muqeem.bulk.rows import row_input
from muqeem.bulk.spreadsheet import MAX_FILE_BYTES, ParsedRow, read_table
from muqeem.core.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from muqeem.accounts.models import User

logger = logging.getLogger(__name__)


def stale_after() -> timedelta:
    """A run that has reported nothing for this long is presumed dead: the officer may resume it,
    and the every-minute recovery (`manage.py tasks_recover`) resumes it by itself."""
    return timedelta(seconds=settings.BULK_STALE_SECONDS)


# `ServiceRequest.idempotency_key` holds 80 characters; 48 hex digits (192 bits) of the file's
# sha256 keep the key unique per file and within the column for any establishment and row number.
KEY_HASH_LENGTH = 48


def row_idempotency_key(*, establishment_id: int, file_sha256: str, row_number: int) -> str:
    return f"{key_prefix(establishment_id, file_sha256)}{row_number}"


def key_prefix(establishment_id: int, file_sha256: str) -> str:
    return f"bulk:{establishment_id}:{file_sha256[:KEY_HASH_LENGTH]}:"


def _refuse_without_bulk(actor: User) -> int:
    """The actor's establishment id, if the actor may use bulk transactions."""
    if actor.establishment_id is None or not actor.has_service_permission(Permission.BULK):
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    return actor.establishment_id


# --- Upload -------------------------------------------------------------------------------------


def bulk_batch_upload(*, actor: User, filename: str, size: int, content: IO[bytes]) -> BulkBatch:
    """Read the file, store one row per line, and start the dry run in the background.

    A file over the size limit is refused from its size alone, before a byte of it is parsed; any
    file that cannot be read whole (type, encoding, columns, row count) is refused with nothing
    stored, so nothing can run from it."""
    establishment_id = _refuse_without_bulk(actor)
    if size > MAX_FILE_BYTES:
        raise BulkError(BulkErrorCode.BULK_FILE_TOO_LARGE, {"max_mb": MAX_FILE_BYTES // 2**20})
    data = content.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise BulkError(BulkErrorCode.BULK_FILE_TOO_LARGE, {"max_mb": MAX_FILE_BYTES // 2**20})
    table = read_table(filename=filename, data=data)
    now = timezone.now()
    with transaction.atomic(durable=True):
        batch = BulkBatch.objects.create(
            establishment_id=establishment_id,
            uploaded_by=actor,
            filename=filename[-255:],
            file_format=table.file_format,
            file_sha256=hashlib.sha256(data).hexdigest(),
            status=BatchStatus.VALIDATING,
            created_at=now,
            progress_at=now,
            rows_total=len(table.rows),
        )
        BulkRow.objects.bulk_create(_new_rows(batch, table.rows, now), batch_size=500)
        refresh_counters(batch.pk)
        _enqueue_on_commit(_validate_task_enqueue, batch.pk)
    batch.refresh_from_db()
    return batch


def _new_rows(batch: BulkBatch, rows: list[ParsedRow], now: datetime) -> Iterator[BulkRow]:
    for row in rows:
        operation, used, subject = row_input(row.values)
        yield BulkRow(
            batch=batch,
            row_number=row.row_number,
            operation=operation,
            input=used,
            subject=subject[:40],
            status=RowStatus.PENDING,
            updated_at=now,
        )


def _enqueue_on_commit(enqueue: Callable[[int], Any], batch_id: int) -> None:
    transaction.on_commit(lambda: enqueue(batch_id))


def _validate_task_enqueue(batch_id: int) -> None:
    from muqeem.bulk.tasks import bulk_batch_validate_task

    bulk_batch_validate_task.enqueue(batch_id=batch_id)


def _execute_task_enqueue(batch_id: int) -> None:
    """The run as BULK_RUN_TASKS tasks, one per worker that takes it: each starts at its own part of
    the rows and goes on round the batch, claiming row by row, so a worker that is slow or dead
    leaves its part to the others; whichever task finishes last closes the batch."""
    from muqeem.bulk.tasks import bulk_batch_execute_task

    parts = run_tasks()
    for part in range(parts):
        bulk_batch_execute_task.enqueue(batch_id=batch_id, part=part, parts=parts)


def run_tasks() -> int:
    return max(1, settings.BULK_RUN_TASKS)


# --- Counters -----------------------------------------------------------------------------------

_STATUS_FIELD = {
    RowStatus.PENDING: "rows_pending",
    RowStatus.VALID: "rows_valid",
    RowStatus.INVALID: "rows_invalid",
    RowStatus.PROCESSING: "rows_processing",
    RowStatus.DONE: "rows_done",
    RowStatus.FAILED: "rows_failed",
    RowStatus.SKIPPED: "rows_skipped",
}


def refresh_counters(batch_id: int, **extra: Any) -> None:
    """Recount the batch's rows by status (one grouped query): correct however many workers ran."""
    counts = dict(
        BulkRow.objects.filter(batch_id=batch_id)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    charged = BulkRow.objects.filter(batch_id=batch_id, status=RowStatus.DONE).aggregate(
        total=Sum("fee_charged_halalas")
    )["total"]
    BulkBatch.objects.filter(pk=batch_id).update(
        **{name: counts.get(status, 0) for status, name in _STATUS_FIELD.items()},
        fees_charged_halalas=charged or 0,
        progress_at=timezone.now(),
        **extra,
    )


def batch_fail(batch_id: int) -> None:
    logger.exception("bulk batch %s stopped", batch_id)
    error = {
        "code": str(ErrorCode.INTERNAL_ERROR),
        "messages": DomainError(ErrorCode.INTERNAL_ERROR).messages,
    }
    BulkBatch.objects.filter(
        pk=batch_id, status__in=[BatchStatus.VALIDATING, BatchStatus.RUNNING]
    ).update(status=BatchStatus.FAILED, error=error, progress_at=timezone.now())


# --- Confirm and run ----------------------------------------------------------------------------


def _locked_batch(*, actor: User, batch_id: int) -> BulkBatch:
    from muqeem.bulk.selectors import access_bulk_batch

    return access_bulk_batch(actor=actor, batch_id=batch_id, for_update=True)


def bulk_batch_confirm(*, actor: User, batch_id: int) -> BulkBatch:
    """The officer's go: VALIDATED → RUNNING under the batch's lock, then the run is enqueued."""
    _refuse_without_bulk(actor)
    with transaction.atomic(durable=True):
        batch = _locked_batch(actor=actor, batch_id=batch_id)
        valid = BulkRow.objects.filter(batch=batch, status=RowStatus.VALID).count()
        if batch.status != BatchStatus.VALIDATED or valid == 0:
            raise BulkError(
                BulkErrorCode.BULK_NOT_CONFIRMABLE, {"status": BatchStatus(batch.status).label}
            )
        now = timezone.now()
        BulkBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.RUNNING,
            confirmed_by=actor,
            confirmed_at=now,
            progress_at=now,
            rows_to_run=valid,
            rows_valid=valid,
        )
        _enqueue_on_commit(_execute_task_enqueue, batch.pk)
    batch.refresh_from_db()
    return batch


def bulk_batch_resume(*, actor: User, batch_id: int) -> BulkBatch:
    """Restart a run that stopped (an error, or a worker that died): rows claimed by the dead run
    go back to the queue; the idempotency keys make any that had in fact committed replay."""
    _refuse_without_bulk(actor)
    with transaction.atomic(durable=True):
        batch = _locked_batch(actor=actor, batch_id=batch_id)
        if not batch_can_resume(batch):
            raise BulkError(
                BulkErrorCode.BULK_NOT_CONFIRMABLE, {"status": BatchStatus(batch.status).label}
            )
        _restart(batch)
    batch.refresh_from_db()
    return batch


def _restart(batch: BulkBatch) -> None:
    """Under the batch's lock: its dry run or its run again, from where it stopped."""
    now = timezone.now()
    if batch.validated_at is None:
        BulkBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.VALIDATING, progress_at=now, error={}
        )
        _enqueue_on_commit(_validate_task_enqueue, batch.pk)
    else:
        BulkRow.objects.filter(batch=batch, status=RowStatus.PROCESSING).update(
            status=RowStatus.VALID, updated_at=now
        )
        BulkBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.RUNNING, progress_at=now, error={}
        )
        _enqueue_on_commit(_execute_task_enqueue, batch.pk)


def bulk_batches_recover() -> list[int]:
    """Resume every dry run or run that went silent (its worker died): the ids of the batches
    restarted. A batch that failed with an error is left for the officer, who sees why."""
    cutoff = timezone.now() - stale_after()
    restarted = []
    silent = BulkBatch.objects.filter(
        status__in=(BatchStatus.VALIDATING, BatchStatus.RUNNING), progress_at__lt=cutoff
    ).values_list("pk", flat=True)
    for batch_id in silent:
        with transaction.atomic(durable=True):
            batch = (
                BulkBatch.objects.select_for_update(skip_locked=True)
                .filter(pk=batch_id, progress_at__lt=cutoff)
                .first()
            )
            if batch is None or not batch.in_progress:
                continue
            _restart(batch)
            restarted.append(batch.pk)
            logger.warning("bulk batch %s went silent; resumed", batch.pk)
    return restarted


def batch_can_resume(batch: BulkBatch) -> bool:
    if batch.status == BatchStatus.FAILED:
        return True
    stale = batch.progress_at is None or batch.progress_at < timezone.now() - stale_after()
    return batch.in_progress and stale
