import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from muqeem.audit.chain import audit_verify_run


def _anchor(value: str) -> tuple[int, str]:
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError("expected SEQ:HASH (the head printed by audit_seal)")
    return int(seq), digest


class Command(BaseCommand):
    help = (
        "Recompute the audit hash chain: prints OK with counts, or the first broken link (seq, "
        "event id, what differs) and exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            type=_anchor,
            default=None,
            metavar="SEQ:HASH",
            help="An anchor recorded earlier outside the database (e.g. from the log of audit_seal); "
            "the chain must contain exactly this link.",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify_run(expect_head=options["expect_head"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        elif result.ok:
            self.stdout.write(
                f"OK: {result.links} link(s) verified; head seq={result.head_seq} "
                f"hash={result.head_hash}; {result.unsealed} event(s) not sealed yet"
            )
        elif (link := result.broken) is not None:
            lines = [
                f"BROKEN at seq={link.seq} event={link.event_id}: {link.problem}",
                f"  {result.links} link(s) before it verified",
            ]
            if link.expected or link.found:
                lines += [f"  expected: {link.expected}", f"  found:    {link.found}"]
            self.stdout.write("\n".join(lines))
        if not result.ok:
            raise CommandError("audit chain verification failed", returncode=1)
