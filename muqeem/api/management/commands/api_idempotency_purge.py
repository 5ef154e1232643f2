"""Forget API idempotency keys older than the retention (at least 24 hours). Safe to run any time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from muqeem.api.services import IDEMPOTENCY_RETENTION, idempotency_records_purge


class Command(BaseCommand):
    help = "Delete remembered API responses older than --hours (never less than 24)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours", type=int, default=int(IDEMPOTENCY_RETENTION.total_seconds() // 3600)
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = idempotency_records_purge(older_than=timedelta(hours=options["hours"]))
        self.stdout.write(f"{deleted} idempotency record(s) deleted")
