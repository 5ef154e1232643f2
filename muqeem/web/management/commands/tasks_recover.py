import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from muqeem.bulk.services import bulk_batches_recover
from muqeem.core.task_recovery import tasks_lost_requeue
from muqeem.notifications.services import sms_outbox_requeue_orphans


class Command(BaseCommand):
    help = (
        "Recover from a dead task worker (run every minute): resume silent bulk runs and run again "
        "the tasks left running."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report: dict[str, Any] = {"bulk_batches_resumed": bulk_batches_recover()}
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            report["tasks"] = tasks_lost_requeue()
        report["sms_requeued"] = sms_outbox_requeue_orphans()
        self.stdout.write(json.dumps(report))
