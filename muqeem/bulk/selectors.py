"""Reads of bulk batches, always scoped to the actor's establishment: another establishment's batch
is indistinguishable from one that does not exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from muqeem.bulk.models import BulkBatch, BulkRow, RowStatus
from muqeem.core.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from muqeem.accounts.models import User

RECENT_BATCHES = 20
# The filters of the rows table, in the order of the tabs.
ROW_FILTERS: dict[str, tuple[str, ...]] = {
    "all": (),
    "invalid": (RowStatus.INVALID,),
    "valid": (RowStatus.VALID, RowStatus.PROCESSING),
    "done": (RowStatus.DONE,),
    "failed": (RowStatus.FAILED,),
    "skipped": (RowStatus.SKIPPED,),
}


def batch_qs_for(*, actor: User) -> QuerySet[BulkBatch]:
    if actor.establishment_id is None:
        return BulkBatch.objects.none()
    return BulkBatch.objects.filter(establishment_id=actor.establishment_id)


def access_bulk_batch(*, actor: User, batch_id: int, for_update: bool = False) -> BulkBatch:
    qs = batch_qs_for(actor=actor).select_related("uploaded_by", "confirmed_by")
    if for_update:
        # Only the batch row: PostgreSQL cannot lock the nullable side of the confirmer's join.
        qs = qs.select_for_update(of=("self",))
    batch = qs.filter(pk=batch_id).first()
    if batch is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return batch


def bulk_batch_list_recent(*, actor: User) -> list[BulkBatch]:
    return list(
        batch_qs_for(actor=actor)
        .select_related("uploaded_by")
        .order_by("-created_at", "-pk")[:RECENT_BATCHES]
    )


def bulk_batch_earlier_uploads(*, batch: BulkBatch) -> list[BulkBatch]:
    """Earlier batches of the same establishment from the very same file (same sha256)."""
    return list(
        BulkBatch.objects.filter(
            establishment_id=batch.establishment_id,
            file_sha256=batch.file_sha256,
            pk__lt=batch.pk,
        ).order_by("-pk")[:5]
    )


def bulk_rows_for(*, batch: BulkBatch, row_filter: str) -> QuerySet[BulkRow]:
    statuses = ROW_FILTERS.get(row_filter, ())
    qs = BulkRow.objects.filter(batch=batch)
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("row_number")
