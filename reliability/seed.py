"""The Django side of `make reliability` (reliability/run.py): seed its database through the real
services and factories, and answer the run's questions about what the database holds.

    python reliability/seed.py seed --state var/reliability/state.json --scale 1
    python reliability/seed.py check --state var/reliability/state.json --numbers acknowledged.json
    python reliability/seed.py bulk --state ... --establishment 0 --kill-after-rows 30

Runs with DJANGO_SETTINGS_MODULE and DATABASE_URL set by the caller (the reliability database)."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.reliability")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from muqeem.api.services import api_key_create, grantable_permissions  # noqa: E402
from muqeem.bulk.models import BatchStatus, BulkBatch, BulkRow  # noqa: E402
from muqeem.bulk.services import bulk_batch_confirm, bulk_batch_upload  # noqa: E402
from muqeem.core.errors import DomainError  # noqa: E402
from muqeem.establishments.models import Establishment  # noqa: E402
from muqeem.fees.services import ledger_post_payment  # noqa: E402
from muqeem.integrations.models import IntegrationCredential, IntegrationKind  # noqa: E402
from muqeem.payments.services import bill_create  # noqa: E402
from muqeem.reliability.reconcile import reconcile_run  # noqa: E402
from muqeem.webhooks.services import webhook_endpoint_create  # noqa: E402
from muqeem.workflow.models import ServiceRequest  # noqa: E402
from tests.factories import (  # noqa: E402
    TEST_PASSWORD,
    EstablishmentFactory,
    ResidentFactory,
    UserFactory,
)

BANK_KEY = "mqi_reliability_bank_key_not_a_secret"
ESTABLISHMENTS = 6


def _pool(establishment: Establishment, count: int, **fields: Any) -> list[str]:
    residents = ResidentFactory.create_batch(count, establishment=establishment, **fields)
    return [r.iqama_number for r in residents]


def _visa_pool(establishment: Establishment, count: int) -> list[str]:
    """Residents a two-month visa can be issued to: the iqama must outlast the stay abroad (the
    factory's resident, whose iqama expires in 60 days, is refused by that rule)."""
    return _pool(establishment, count, iqama_expiry_date=timezone.localdate() + timedelta(days=300))


def seed(args: argparse.Namespace) -> None:
    scale = args.scale
    soak_share = -(-args.soak_writes // ESTABLISHMENTS)
    state: dict[str, Any] = {"establishments": [], "bank_key": BANK_KEY}
    IntegrationCredential.objects.create(
        name="Reliability bank",
        kind=IntegrationKind.BANK,
        key_prefix=BANK_KEY[:8],
        key_hash=hashlib.sha256(BANK_KEY.encode()).hexdigest(),
    )
    for index in range(ESTABLISHMENTS):
        establishment = EstablishmentFactory(moi_number=f"70000000{index:02d}")
        main = UserFactory(
            username=f"reliability.main{index}", establishment=establishment, is_main_user=True
        )
        with transaction.atomic():
            locked = Establishment.objects.select_for_update().get(pk=establishment.pk)
            ledger_post_payment(
                actor=None,
                establishment=locked,
                amount_halalas=2_000_000_000,
                reference="reliability-seed",
                idempotency_key=f"reliability-seed:{index}",
            )
        _key, raw = api_key_create(
            actor=main,
            name="Reliability HR system",
            permissions=[p.value for p in grantable_permissions(actor=main)],
        )
        webhook_url = f"http://127.0.0.1:{args.webhook_port}/hook/{index}"
        webhook_endpoint_create(actor=main, url=webhook_url, event_types=["request.completed"])
        bills = {
            bill_create(
                actor=main, amount_halalas=100_000 + i, idempotency_key=f"reliability-bill:{i}"
            ).bill.number: 100_000 + i
            for i in range(10 * scale)
        }
        state["establishments"].append(
            {
                "id": establishment.pk,
                "moi": establishment.moi_number,
                "username": main.username,
                "password": TEST_PASSWORD,
                "api_key": raw,
                "renewal": _pool(establishment, 60 * scale),
                "visa": _visa_pool(establishment, 30 * scale),
                "transfer_out": _pool(establishment, 10 * scale),
                "bulk": _pool(establishment, 120 * scale),
                "read": _pool(establishment, 10),
                # The soak's writes draw from their own residents, so that a long soak never runs
                # out of work and turns into reads only.
                "soak_renewal": _pool(establishment, soak_share),
                "soak_visa": _visa_pool(establishment, soak_share),
                "bills": list(bills),
                "bill_amounts": bills,
            }
        )
    args.state.parent.mkdir(parents=True, exist_ok=True)
    args.state.write_text(json.dumps(state, indent=2))
    print(f"seeded {ESTABLISHMENTS} establishments", flush=True)


def check(args: argparse.Namespace) -> None:
    """What the clients saw acknowledged against what the database holds, and the reconciliation of
    the whole database; prints one JSON object.

    - missing: an acknowledged request number that does not exist, or not under the key it was
      acknowledged for;
    - doubled: one Idempotency-Key that made more than one request;
    - unacknowledged: a request made through the API whose key no client saw acknowledged (work done
      while the client was told it was refused, or never told)."""
    acks: dict[str, str] = json.loads(args.numbers.read_text()) if args.numbers else {}
    made: dict[str, list[str]] = {}
    for pk, key in ServiceRequest.objects.filter(idempotency_key__startswith="api:").values_list(
        "pk", "idempotency_key"
    ):
        made.setdefault(key.split(":", 2)[2], []).append(ServiceRequest(pk=pk).number)
    missing = sorted(f"{k}={n}" for k, n in acks.items() if made.get(k) != [n])
    doubled = sorted(k for k, numbers in made.items() if len(numbers) > 1)
    unacknowledged = sorted(k for k in made if k not in acks)
    report = reconcile_run()
    print(
        json.dumps(
            {
                "acknowledged": len(acks),
                "missing": missing[:10],
                "doubled": doubled[:10],
                "unacknowledged": unacknowledged[:10],
                "requests": ServiceRequest.objects.count(),
                "reconcile_ok": report.passed,
                "reconcile": [
                    {"name": c.name, "ok": c.passed, "problems": c.problems[:3]}
                    for c in report.checks
                ],
            }
        )
    )


def bulk(args: argparse.Namespace) -> None:
    """Upload the establishment's bulk pool as a renewal file with every row twice (the second copy
    must be refused as a duplicate), confirm it from two callers at once, and print the batch id."""
    from muqeem.accounts.models import User

    state = json.loads(args.state.read_text())
    shop = state["establishments"][args.establishment]
    officer = User.objects.get(username=shop["username"])
    numbers = shop["bulk"][: args.rows] if args.rows else shop["bulk"]
    lines = ["operation,iqama_number,months"]
    lines += [f"renew_iqama,{n},{args.months}" for n in numbers]
    lines += [f"renew_iqama,{n},{args.months}" for n in numbers[:5]]
    data = ("\n".join(lines) + "\n").encode()
    batch = bulk_batch_upload(
        actor=officer,
        filename=f"reliability-{args.establishment}-{time.time_ns()}.csv",
        size=len(data),
        content=io.BytesIO(data),
    )
    deadline = time.monotonic() + args.timeout
    while batch.status not in (BatchStatus.VALIDATED, BatchStatus.FAILED):
        if time.monotonic() > deadline:
            raise SystemExit(f"batch {batch.pk} not validated in time ({batch.status})")
        time.sleep(0.2)
        batch.refresh_from_db()
    confirmations = 0
    for _ in range(2):
        try:
            bulk_batch_confirm(actor=officer, batch_id=batch.pk)
            confirmations += 1
        except DomainError:
            pass
    print(json.dumps({"batch": batch.pk, "rows": batch.rows_total, "confirmed": confirmations}))


def bulk_status(args: argparse.Namespace) -> None:
    batch = BulkBatch.objects.get(pk=args.batch)
    rows = dict(BulkRow.objects.filter(batch=batch).values_list("status").annotate(n=Count("pk")))
    print(
        json.dumps(
            {
                "status": batch.status,
                "done": batch.rows_done,
                "failed": batch.rows_failed,
                "invalid": batch.rows_invalid,
                "skipped": batch.rows_skipped,
                "rows": rows,
                "progress_age_s": (
                    (timezone.now() - batch.progress_at).total_seconds()
                    if batch.progress_at
                    else None
                ),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--webhook-port", type=int, required=True)
    p.add_argument(
        "--soak-writes",
        type=int,
        default=0,
        help="renewals (and as many visas) the soak needs in all",
    )
    p = sub.add_parser("check")
    p.add_argument("--numbers", type=Path)
    p = sub.add_parser("bulk")
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--establishment", type=int, default=0)
    p.add_argument("--rows", type=int, default=0)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--timeout", type=float, default=300)
    p = sub.add_parser("bulk-status")
    p.add_argument("--batch", type=int, required=True)
    args = parser.parse_args()
    {"seed": seed, "check": check, "bulk": bulk, "bulk-status": bulk_status}[args.command](args)


if __name__ == "__main__":
    main()
