import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from muqeem.audit.chain import SETTLE_SECONDS, audit_seal_run


class Command(BaseCommand):
    help = (
        "Link the audit events not sealed yet into the audit hash chain (idempotent; safe to run "
        "while the portal is busy and from several places at once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--settle-seconds",
            type=int,
            default=SETTLE_SECONDS,
            help="Leave events younger than this for the next run (default %(default)s).",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="Scan the whole log, not only the last hour's ids (the daily job does).",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_seal_run(settle_seconds=options["settle_seconds"], full=options["full"])
        if options["json"]:
            self.stdout.write(json.dumps(asdict(result)))
            return
        self.stdout.write(
            f"sealed {result.sealed} event(s); chain head seq={result.head_seq} "
            f"hash={result.head_hash}; {result.pending} event(s) waiting"
        )
