"""Thin tasks: they take a batch id and call a service. Both services are safe to run twice for one
batch, or at once on several workers (status guards on the batch and on every row); a run is
enqueued as several tasks (`part` of `parts`), each starting at its own share of the rows."""

from django_tasks import task

from muqeem.bulk.services import bulk_batch_execute, bulk_batch_validate


@task()
def bulk_batch_validate_task(*, batch_id: int) -> str | None:
    batch = bulk_batch_validate(batch_id=batch_id)
    return None if batch is None else batch.status


@task()
def bulk_batch_execute_task(*, batch_id: int, part: int = 0, parts: int = 1) -> str | None:
    batch = bulk_batch_execute(batch_id=batch_id, part=part, parts=parts)
    return None if batch is None else batch.status
