import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from muqeem.reliability.reconcile import CHECKS, reconcile_run


class Command(BaseCommand):
    help = (
        "Check the database's invariants (requests, history, audit, ledger, balances, task queue, "
        "audit chain); prints each check with counts and PASS/FAIL, exits 1 on any failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--check",
            action="append",
            choices=sorted(CHECKS),
            help="Run only this check (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = reconcile_run(only=options["check"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            for check in report.checks:
                counts = ", ".join(f"{k}={v}" for k, v in check.counts.items())
                verdict = "PASS" if check.passed else "FAIL"
                self.stdout.write(f"{verdict}  {check.name:<24} {check.title} [{counts}]")
                for problem in check.problems:
                    self.stdout.write(f"      - {problem}")
            failed = sum(not c.passed for c in report.checks)
            self.stdout.write(
                f"{len(report.checks) - failed}/{len(report.checks)} checks passed"
                + ("" if report.passed else f"; {failed} FAILED")
            )
        if not report.passed:
            raise CommandError("reconciliation failed", returncode=1)
