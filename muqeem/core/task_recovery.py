"""Background tasks whose worker died (killed, out of memory, machine lost) stay "running" in the
database backend for ever. `tasks_lost_requeue` finds those running longer than
TASKS_LOST_AFTER_SECONDS and runs them again: every task of the project is safe to run twice (each
checks its own state first: a sent SMS is not sent again, a delivered webhook not delivered again, a
bulk row done is not done again). A task lost three times is recorded as failed instead."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

MAX_CLAIMS = 3
# Bulk runs are resumed through their batch (`bulk_batches_recover`), which enqueues a new task.
RESUMED_BY_OWNER = ("muqeem.bulk.tasks.",)


def tasks_lost_requeue() -> dict[str, int]:
    """Requeue (or fail) the database backend's tasks that have been running too long."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(seconds=settings.TASKS_LOST_AFTER_SECONDS)
    done = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        lost = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status="RUNNING", started_at__lt=cutoff
        )
        for result in lost:
            owned = result.task_path.startswith(RESUMED_BY_OWNER)
            if owned or len(result.worker_ids) >= MAX_CLAIMS:
                result.status = "FAILED"
                result.finished_at = timezone.now()
                result.exception_class_path = "muqeem.core.task_recovery.WorkerLost"
                result.traceback = "The worker running this task stopped before it finished."
                result.save(
                    update_fields=["status", "finished_at", "exception_class_path", "traceback"]
                )
                done["failed"] += 1
            else:
                result.status = "READY"
                result.started_at = None
                result.save(update_fields=["status", "started_at"])
                done["requeued"] += 1
            logger.warning("task %s (%s) lost by its worker", result.pk, result.task_path)
    return done
