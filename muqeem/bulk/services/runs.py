"""The dry run and the run of a batch's rows, one row at a time through the same service functions
as the single pages: `*_check` for the dry run, the action itself (with the row's idempotency key)
for the run. Nothing here adds to the rules; each row records what its service answered."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.accounts.permissions import Permission
from muqeem.bulk.errors import code_violation, domain_error_dicts, violation_dict
from muqeem.bulk.models import BatchStatus, BulkBatch, BulkRow, Operation, RowStatus
from muqeem.bulk.rows import RowArguments, RowReading, mark_duplicates, read_row
from muqeem.bulk.services.batches import (
    batch_fail,
    key_prefix,
    refresh_counters,
    row_idempotency_key,
)
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.i18n import in_both_languages
from muqeem.core.updates import rows_update
from muqeem.eservices.exit_reentry.services import (
    visa_cancel,
    visa_cancel_check,
    visa_issue,
    visa_issue_check,
)
from muqeem.eservices.iqama_renewal.services import (
    RenewalCheck,
    RenewalItem,
    RenewalResult,
    iqama_renew,
    iqama_renew_many,
    iqama_renewal_check,
    iqama_renewal_check_many,
)
from muqeem.notifications.services import sms_send
from muqeem.residents.models import Resident
from muqeem.workflow.models import ServiceRequest

if TYPE_CHECKING:
    from muqeem.accounts.models import User

logger = logging.getLogger(__name__)

OPERATION_PERMISSION: dict[str, Permission] = {
    Operation.RENEW_IQAMA: Permission.IQAMA_RENEWAL,
    Operation.ISSUE_EXIT_REENTRY: Permission.EXIT_REENTRY,
    Operation.CANCEL_VISA: Permission.EXIT_REENTRY,
}
# Progress is written every this many rows (one aggregate query), not after each row.
PROGRESS_EVERY = 20
CHUNK = 200
# The run claims, renews and records this many rows at a time (see `bulk_batch_execute`).
GROUP = 100


@contextmanager
def bookkeeping() -> Iterator[None]:
    """A transaction of the batch's own records (claims, outcomes, counters, the dry run's checks
    and their read audit), which on PostgreSQL commits without waiting for the WAL flush.

    A database crash can lose the last few hundred milliseconds of such commits, and only a suffix
    of them: the state is then the batch as it stood a moment earlier, which the run already
    survives when a worker dies (a row left VALID runs again, one left PROCESSING is resumed and
    replayed by its idempotency key). Every service call commits synchronously, flushing the claim
    before it, so a renewal is never done for a row whose claim could be lost. Inside an enclosing
    transaction the setting would reach its commit too, so there the commit is left as it is."""
    with transaction.atomic():
        # Entered just now: outermost unless savepoint-wrapped (atomic blocks counted from 1).
        if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


# --- One row through the services -------------------------------------------------------------


@dataclass
class RowOutcome:
    status: str
    violations: list[dict[str, Any]] = field(default_factory=list)
    fee_quoted_halalas: int | None = None
    fee_charged_halalas: int = 0
    request_number: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def _resident_detail(resident: Resident) -> dict[str, Any]:
    return {"name_ar": resident.name_ar, "name_en": resident.name_en}


def _permission_refusal(actor: User, operation: str) -> RowOutcome | None:
    if actor.has_service_permission(OPERATION_PERMISSION[operation]):
        return None
    return RowOutcome(RowStatus.INVALID, [code_violation(ErrorCode.PERMISSION_DENIED)])


def _check_row(actor: User, args: RowArguments) -> RowOutcome:
    """The dry run of one row: the service's own check, nothing else."""
    try:
        if args.operation == Operation.RENEW_IQAMA:
            return _renewal_check_outcome(
                iqama_renewal_check(
                    actor=actor, iqama_number=args.iqama_number, period_months=args.months
                )
            )
        if args.operation == Operation.ISSUE_EXIT_REENTRY:
            assert args.terms is not None  # noqa: S101 - read_row sets terms for this operation
            issue = visa_issue_check(actor=actor, iqama_number=args.iqama_number, terms=args.terms)
            violations = issue.violations
            fee = issue.quote.total_halalas
            detail = _resident_detail(issue.resident) | {
                "travel_by": issue.dates.travel_by.isoformat()
            }
        else:
            cancel = visa_cancel_check(actor=actor, visa_number=args.visa_number)
            violations = cancel.violations
            fee = cancel.quote.total_halalas
            detail = _resident_detail(cancel.visa.resident)
    except DomainError as exc:
        return RowOutcome(RowStatus.INVALID, domain_error_dicts(exc))
    return RowOutcome(
        RowStatus.INVALID if violations else RowStatus.VALID,
        [violation_dict(v) for v in violations],
        fee_quoted_halalas=fee,
        detail=detail,
    )


def _renewal_check_outcome(check: RenewalCheck) -> RowOutcome:
    return RowOutcome(
        RowStatus.INVALID if check.violations else RowStatus.VALID,
        [violation_dict(v) for v in check.violations],
        fee_quoted_halalas=check.quote.total_halalas,
        detail=_resident_detail(check.resident) | {"new_expiry": check.new_expiry.isoformat()},
    )


def _renewal_checks(
    batch: BulkBatch, actor: User | None, group: list[tuple[BulkRow, RowReading]]
) -> dict[tuple[str, int], RenewalCheck]:
    """The dry run of the group's renewals as one set (`iqama_renewal_check_many`), in a savepoint:
    if it breaks in the database, nothing of it is kept and each row is checked alone."""
    if actor is None or not actor.has_service_permission(Permission.IQAMA_RENEWAL):
        return {}
    items = [
        (reading.arguments.iqama_number, reading.arguments.months)
        for _row, reading in group
        if reading.arguments is not None and reading.arguments.operation == Operation.RENEW_IQAMA
    ]
    if len(items) < 2:
        return {}
    try:
        with transaction.atomic():
            return iqama_renewal_check_many(actor=actor, items=items)
    except Exception:
        logger.exception("bulk batch %s: a group's checks failed", batch.pk)
        return {}


def _execute_row(actor: User, batch: BulkBatch, row: BulkRow, args: RowArguments) -> RowOutcome:
    """Run one row through its service, in the service's own transaction."""
    key = _row_key(batch, row)
    expected = row.fee_quoted_halalas
    detail = dict(row.detail)
    try:
        if args.operation == Operation.RENEW_IQAMA:
            renewal = iqama_renew(
                actor=actor,
                iqama_number=args.iqama_number,
                period_months=args.months,
                idempotency_key=key,
                expected_total_halalas=expected,
                notify=False,
            )
            request, replayed = renewal.request, renewal.replayed
            detail["new_expiry"] = renewal.renewal.new_expiry.isoformat()
        elif args.operation == Operation.ISSUE_EXIT_REENTRY:
            assert args.terms is not None  # noqa: S101 - read_row sets terms for this operation
            visa = visa_issue(
                actor=actor,
                iqama_number=args.iqama_number,
                terms=args.terms,
                idempotency_key=key,
                expected_total_halalas=expected,
            )
            request, replayed = visa.request, visa.replayed
            detail["visa_number"] = visa.visa.number
        else:
            visa = visa_cancel(actor=actor, visa_number=args.visa_number, idempotency_key=key)
            request, replayed = visa.request, visa.replayed
            detail["visa_number"] = visa.visa.number
    except DomainError as exc:
        return RowOutcome(RowStatus.FAILED, domain_error_dicts(exc), fee_quoted_halalas=expected)
    # A replay on the row's first attempt means an earlier upload of this file did it; on a later
    # attempt it is this run's own work, committed just before the worker died.
    if replayed and row.attempts <= 1:
        return RowOutcome(
            RowStatus.SKIPPED,
            fee_quoted_halalas=expected,
            request_number=request.number,
            detail=detail,
        )
    return RowOutcome(
        RowStatus.DONE,
        fee_quoted_halalas=expected,
        fee_charged_halalas=request.fee_total_halalas,
        request_number=request.number,
        detail=detail,
    )


def _actor_for(batch: BulkBatch, user_id: int | None) -> User | None:
    """The officer the services act for, as the database has them now: still active, still of this
    establishment, still allowed bulk transactions. None otherwise."""
    from muqeem.accounts.models import User

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    if (
        actor is None
        or actor.establishment_id != batch.establishment_id
        or not actor.has_service_permission(Permission.BULK)
    ):
        return None
    return actor


def _chunks(ids: list[int], size: int = CHUNK) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# --- Dry run ------------------------------------------------------------------------------------


def bulk_batch_validate(*, batch_id: int) -> BulkBatch | None:
    """Check every pending row through its service. Safe to run twice: only pending rows are
    checked, each saved only if still pending, and the counters are recounted from the rows."""
    batch = BulkBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status != BatchStatus.VALIDATING:
        return batch
    actor = _actor_for(batch, batch.uploaded_by_id)
    done_before = {
        request.idempotency_key: request
        for request in ServiceRequest.objects.filter(
            establishment_id=batch.establishment_id,
            idempotency_key__startswith=key_prefix(batch.establishment_id, batch.file_sha256),
        ).select_related("resident")
    }
    # Every row is read first (in file order) so that a repeated row is told from its first
    # occurrence even when a run resumes half-way.
    rows = list(
        BulkRow.objects.filter(batch_id=batch_id)
        .order_by("row_number")
        .only("pk", "row_number", "input", "status")
    )
    readings = [(row.row_number, read_row(row.input)) for row in rows]
    mark_duplicates(readings)
    pending = [
        (row, reading)
        for row, (_number, reading) in zip(rows, readings, strict=True)
        if row.status == RowStatus.PENDING
    ]
    try:
        # One transaction per GROUP rows (the checks' audit rows, the outcomes and the counters
        # together): the group's renewals checked as a set, any other row and any renewal the set
        # left through its service's check in its own savepoint; the checks change nothing, so
        # these commit asynchronously like any read's audit.
        for start in range(0, len(pending), GROUP):
            group = pending[start : start + GROUP]
            with bookkeeping():
                checks = _renewal_checks(batch, actor, group)
                outcomes = [
                    (row.pk, _validate_row(actor, batch, row, reading, done_before, checks=checks))
                    for row, reading in group
                ]
                _save_outcomes(outcomes, from_status=RowStatus.PENDING)
                refresh_counters(batch_id)
    except Exception:
        batch_fail(batch_id)
        raise
    return _finish_validation(batch_id)


def _validate_row(
    actor: User | None,
    batch: BulkBatch,
    row: BulkRow,
    reading: RowReading,
    done_before: dict[str, ServiceRequest],
    *,
    checks: dict[tuple[str, int], RenewalCheck],
) -> RowOutcome:
    if reading.violations or reading.arguments is None:
        return RowOutcome(RowStatus.INVALID, reading.violations)
    if actor is None:
        return RowOutcome(RowStatus.INVALID, [code_violation(ErrorCode.PERMISSION_DENIED)])
    refusal = _permission_refusal(actor, reading.arguments.operation)
    if refusal is not None:
        return refusal
    key = row_idempotency_key(
        establishment_id=batch.establishment_id,
        file_sha256=batch.file_sha256,
        row_number=row.row_number,
    )
    earlier = done_before.get(key)
    if earlier is not None:
        detail = _resident_detail(earlier.resident) if earlier.resident else {}
        return RowOutcome(RowStatus.SKIPPED, request_number=earlier.number, detail=detail)
    args = reading.arguments
    check = checks.get((args.iqama_number, args.months))
    if args.operation == Operation.RENEW_IQAMA and check is not None:
        return _renewal_check_outcome(check)
    try:
        with transaction.atomic():
            return _check_row(actor, reading.arguments)
    except Exception:
        logger.exception("bulk batch %s row %s: check failed", batch.pk, row.row_number)
        return RowOutcome(RowStatus.INVALID, [code_violation(ErrorCode.INTERNAL_ERROR)])


def _finish_validation(batch_id: int) -> BulkBatch:
    with transaction.atomic():
        batch = BulkBatch.objects.select_for_update().get(pk=batch_id)
        quoted = BulkRow.objects.filter(batch_id=batch_id, status=RowStatus.VALID).aggregate(
            total=Sum("fee_quoted_halalas")
        )["total"]
        pending = BulkRow.objects.filter(batch_id=batch_id, status=RowStatus.PENDING).exists()
        extra: dict[str, Any] = {"fees_quoted_halalas": quoted or 0}
        if batch.status == BatchStatus.VALIDATING and not pending:
            extra |= {"status": BatchStatus.VALIDATED, "validated_at": timezone.now()}
        refresh_counters(batch_id, **extra)
    batch.refresh_from_db()
    return batch


def bulk_batch_execute(*, batch_id: int, part: int = 0, parts: int = 1) -> BulkBatch | None:
    """Run every valid row, one by one, each in its service's own transaction.

    Several runs may share the batch (`part` of `parts`, one per worker): each starts at its own
    share of the rows and goes on round the batch, so the runs seldom meet on a row, and a row
    another run has taken is passed over (re-read as each chunk starts) or lost at its claim."""
    with transaction.atomic():
        batch = BulkBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != BatchStatus.RUNNING:
            return batch
        if batch.started_at is None:
            batch.started_at = timezone.now()
            BulkBatch.objects.filter(pk=batch_id).update(started_at=batch.started_at)
    actor = _actor_for(batch, batch.confirmed_by_id)
    ids = list(
        BulkRow.objects.filter(batch_id=batch_id, status=RowStatus.VALID)
        .order_by("row_number")
        .values_list("pk", flat=True)
    )
    start = len(ids) * part // parts if 0 <= part < parts else 0
    # Rows are claimed a group at a time (one transaction), the group's plain renewals done
    # together by `iqama_renew_many` (one transaction), every other row of the group through its
    # service one by one, and the group's outcomes written with the progress (one transaction).
    # A worker that dies in between leaves its rows PROCESSING; the resumed run replays them by
    # their idempotency keys (see `batches`).
    try:
        for chunk in [*_chunks(ids[start:]), *_chunks(ids[:start])]:
            for group in _chunks(chunk, GROUP):
                rows = _claim_group(group)
                if rows:
                    _save_outcomes(_run_group(actor, batch, rows))
                    with bookkeeping():
                        refresh_counters(batch_id)
    except Exception:
        batch_fail(batch_id)
        raise
    return _finish_run(batch_id)


def _claim_group(ids: list[int]) -> list[BulkRow]:
    """Take the group's rows still VALID (→ PROCESSING), passing over those another run holds or
    has taken (`SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time)."""
    with bookkeeping():
        rows = list(
            BulkRow.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=RowStatus.VALID)
            .order_by("row_number")
        )
        if rows:
            BulkRow.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=RowStatus.PROCESSING, attempts=F("attempts") + 1, updated_at=timezone.now()
            )
    for row in rows:
        row.attempts += 1
    return rows


def _run_group(
    actor: User | None, batch: BulkBatch, rows: list[BulkRow]
) -> list[tuple[int, RowOutcome]]:
    """The group's plain renewals in one set (`iqama_renew_many`); every row it leaves, and every
    other operation, through `_run_row`."""
    done: dict[str, RenewalResult] = {}
    items: list[RenewalItem] = []
    if actor is not None and actor.has_service_permission(Permission.IQAMA_RENEWAL):
        for row in rows:
            reading = read_row(row.input)
            arguments = reading.arguments
            if arguments is not None and arguments.operation == Operation.RENEW_IQAMA:
                items.append(
                    RenewalItem(
                        iqama_number=arguments.iqama_number,
                        period_months=arguments.months,
                        idempotency_key=_row_key(batch, row),
                        expected_total_halalas=row.fee_quoted_halalas,
                    )
                )
    if actor is not None and len(items) > 1:
        try:
            done = iqama_renew_many(actor=actor, items=items)
        except Exception:
            # Rolled back as a whole; each row gets its own answer below.
            logger.exception("bulk batch %s: a group of renewals failed", batch.pk)
    outcomes = []
    for row in rows:
        renewal = done.get(_row_key(batch, row))
        if renewal is None:
            outcomes.append((row.pk, _run_row(actor, batch, row)))
            continue
        outcomes.append(
            (
                row.pk,
                RowOutcome(
                    RowStatus.DONE,
                    fee_quoted_halalas=row.fee_quoted_halalas,
                    fee_charged_halalas=renewal.request.fee_total_halalas,
                    request_number=renewal.request.number,
                    detail=dict(row.detail)
                    | {"new_expiry": renewal.renewal.new_expiry.isoformat()},
                ),
            )
        )
    return outcomes


def _row_key(batch: BulkBatch, row: BulkRow) -> str:
    return row_idempotency_key(
        establishment_id=batch.establishment_id,
        file_sha256=batch.file_sha256,
        row_number=row.row_number,
    )


OUTCOME_FIELDS = (
    "status",
    "violations",
    "fee_quoted_halalas",
    "fee_charged_halalas",
    "request_number",
    "detail",
    "updated_at",
)


def _save_outcomes(
    outcomes: list[tuple[int, RowOutcome]], from_status: str = RowStatus.PROCESSING
) -> None:
    """A group's outcomes, each row only if still `from_status`, in one round of statements."""
    now = timezone.now()
    with bookkeeping():
        rows_update(
            BulkRow,
            OUTCOME_FIELDS,
            [
                (
                    row_id,
                    {
                        "status": outcome.status,
                        "violations": outcome.violations,
                        "fee_quoted_halalas": outcome.fee_quoted_halalas,
                        "fee_charged_halalas": outcome.fee_charged_halalas,
                        "request_number": outcome.request_number,
                        "detail": outcome.detail,
                        "updated_at": now,
                    },
                )
                for row_id, outcome in outcomes
            ],
            where={"status": from_status},
        )


def _run_row(actor: User | None, batch: BulkBatch, row: BulkRow) -> RowOutcome:
    reading = read_row(row.input)
    if reading.arguments is None:
        return RowOutcome(RowStatus.FAILED, reading.violations)
    if actor is None:
        return RowOutcome(RowStatus.FAILED, [code_violation(ErrorCode.PERMISSION_DENIED)])
    refusal = _permission_refusal(actor, reading.arguments.operation)
    if refusal is not None:
        refusal.status = RowStatus.FAILED
        return refusal
    try:
        return _execute_row(actor, batch, row, reading.arguments)
    except Exception:
        # The service's transaction rolled back; this row fails alone and the run goes on.
        logger.exception("bulk batch %s row %s: run failed", batch.pk, row.row_number)
        return RowOutcome(RowStatus.FAILED, [code_violation(ErrorCode.INTERNAL_ERROR)])


def _finish_run(batch_id: int) -> BulkBatch:
    with transaction.atomic():
        batch = BulkBatch.objects.select_for_update().get(pk=batch_id)
        open_rows = BulkRow.objects.filter(
            batch_id=batch_id, status__in=[RowStatus.VALID, RowStatus.PROCESSING]
        ).exists()
        extra: dict[str, Any] = {}
        if batch.status == BatchStatus.RUNNING and not open_rows:
            extra = {"status": BatchStatus.DONE, "finished_at": timezone.now()}
        refresh_counters(batch_id, **extra)
        batch.refresh_from_db()
        if extra:
            _notify_batch_done(batch)
    return batch


def _notify_batch_done(batch: BulkBatch) -> None:
    """One SMS for the whole batch instead of one per renewed iqama."""
    mobile = batch.establishment.registered_mobile
    if not mobile:
        return
    body = in_both_languages(
        lambda: _("Bulk batch {number} finished: {done} done, {failed} failed.").format(
            number=batch.pk, done=batch.rows_done, failed=batch.rows_failed
        )
    )
    sms_send(to=mobile, body=body)
