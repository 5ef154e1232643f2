import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from muqeem.core.dates import today
from muqeem.web.jobs import daily_jobs_run


class Command(BaseCommand):
    help = "Run the daily job (expire visas and final exits, record unused-visa fines, mark not returned)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", type=date.fromisoformat, default=None, help="Run as of this day (YYYY-MM-DD)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = daily_jobs_run(on=options["date"] or today())
        self.stdout.write(json.dumps(report))
