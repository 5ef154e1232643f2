"""Bulk transactions: upload → dry run → confirm → run, each step a service (see `batches` for the
batch's life and its safety, `runs` for the rows through the e-services)."""

from muqeem.bulk.services.batches import (
    batch_can_resume,
    bulk_batch_confirm,
    bulk_batch_resume,
    bulk_batch_upload,
    bulk_batches_recover,
    row_idempotency_key,
)
from muqeem.bulk.services.runs import bulk_batch_execute, bulk_batch_validate

__all__ = [
    "batch_can_resume",
    "bulk_batch_confirm",
    "bulk_batch_execute",
    "bulk_batch_resume",
    "bulk_batch_upload",
    "bulk_batch_validate",
    "bulk_batches_recover",
    "row_idempotency_key",
]
