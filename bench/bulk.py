"""One bulk renewal through the background worker: upload a CSV of the bulk pool's residents as the
big establishment's main user, wait for the worker's dry run, confirm, wait for the worker's run.
Prints one JSON line: rows, seconds of the dry run and of the run, and the outcome counts.

Run by bench/run.py while gunicorn and the task workers are up (the workers do all the work): the
database backend's `db_worker`, or with TASKS_BACKEND=rq two `rqworker` processes. `--run-tasks 2`
enqueues the run once more after the confirmation, so that two workers take its rows between them
(the service claims each row once; a worker that loses a claim moves on to the next row)."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

import django

django.setup()

from muqeem.accounts.models import User  # noqa: E402
from muqeem.bulk.models import BatchStatus, BulkBatch  # noqa: E402
from muqeem.bulk.services import bulk_batch_confirm, bulk_batch_upload  # noqa: E402
from muqeem.bulk.tasks import bulk_batch_execute_task  # noqa: E402


def wait_for(batch_id: int, statuses: set[str], deadline: float) -> BulkBatch:
    """The batch once it reaches one of `statuses`, or as it stands at the deadline."""
    while True:
        batch = BulkBatch.objects.get(pk=batch_id)
        if batch.status in statuses or time.monotonic() >= deadline:
            return batch
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--run", type=int, default=0, help="which run (a fresh file each)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=900,
        help="seconds to wait in all; past it the rates so far are reported with a projection",
    )
    parser.add_argument(
        "--run-tasks",
        type=int,
        default=1,
        help="run tasks for the batch: the confirmation's own, and this many minus one more",
    )
    args = parser.parse_args()
    state = json.loads(args.state.read_text())
    numbers = Path(state["pools"]["bulk_renewal"]).read_text().split()
    officer = User.objects.get(pk=state["officer_id"])
    # Each run renews every pooled resident once more by three months (the pool's expiries leave
    # room for several runs under the renewal horizon); the run number makes the file new.
    lines = ["operation,iqama_number,months"]
    lines += [f"renew_iqama,{n},3" for n in numbers]
    data = ("\n".join(lines) + "\n" + "\n" * args.run).encode()
    started = time.perf_counter()
    deadline = time.monotonic() + args.timeout
    batch = bulk_batch_upload(
        actor=officer,
        filename=f"bench-renewals-{args.run}.csv",
        size=len(data),
        content=io.BytesIO(data),
    )
    rows = batch.rows_total
    batch = wait_for(batch.pk, {BatchStatus.VALIDATED, BatchStatus.FAILED}, deadline)
    validated = time.perf_counter()
    result: dict[str, object] = {
        "batch": batch.pk,
        "rows": rows,
        "complete": False,
        "backend": os.environ.get("TASKS_BACKEND", "db"),
        "run_tasks": args.run_tasks,
    }
    if batch.status != BatchStatus.VALIDATED:
        checked = batch.rows_checked
        rate = checked / (validated - started) if checked else 0.0
        result |= {
            "status": batch.status,
            "validate_s": round(validated - started, 2),
            "validate_projected_s": round(rows / rate, 1) if rate else None,
            "checked": checked,
            "run_s": None,
            "done": 0,
            "failed": 0,
            "invalid": batch.rows_invalid,
        }
        print(json.dumps(result))
        return
    confirmed = time.perf_counter()
    bulk_batch_confirm(actor=officer, batch_id=batch.pk)
    for _extra in range(args.run_tasks - 1):
        bulk_batch_execute_task.enqueue(batch_id=batch.pk)
    batch = wait_for(batch.pk, {BatchStatus.DONE, BatchStatus.FAILED}, deadline)
    finished = time.perf_counter()
    processed = batch.rows_done + batch.rows_failed + batch.rows_skipped
    rate = processed / (finished - confirmed) if processed else 0.0
    result |= {
        "status": batch.status,
        "complete": batch.status == BatchStatus.DONE,
        "validate_s": round(validated - started, 2),
        "run_s": round(finished - confirmed, 2),
        "run_projected_s": round(batch.rows_to_run / rate, 1) if rate else None,
        "done": batch.rows_done,
        "failed": batch.rows_failed,
        "invalid": batch.rows_invalid,
        "skipped": batch.rows_skipped,
        "fees_charged_halalas": batch.fees_charged_halalas,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
