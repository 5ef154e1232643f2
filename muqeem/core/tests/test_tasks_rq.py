"""The RQ task backend (TASKS_BACKEND=rq) for real: a bulk renewal's two tasks enqueued into the
local Redis through django-tasks-rq, run by an RQ worker in burst mode, their effect on the
database and their results read back from Redis.

The worker is RQ's SimpleWorker in this process (it runs each job without forking), so the job sees
the test's database; `make bench` runs the same tasks on two `rqworker` processes. Each test uses a
queue of its own in Redis database 14, so that nothing else on the server is touched or picked up.
The tests need Redis at REDIS_URL or 127.0.0.1:6379; without it they are skipped and say so, except
in CI (CI set), where they fail."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from typing import Any

import django_rq
import pytest
import redis
from django.test import override_settings
from django_tasks import TaskResultStatus
from rq.job import Job

from muqeem.bulk.models import BatchStatus, RowStatus
from muqeem.bulk.services import bulk_batch_confirm, bulk_batch_upload
from muqeem.bulk.tasks import bulk_batch_execute_task, bulk_batch_validate_task
from muqeem.core.dates import today
from muqeem.eservices.iqama_renewal.rules import new_expiry_for
from muqeem.residents.models import Resident
from tests.factories import ResidentFactory

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
REDIS_DB = 14


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, db=REDIS_DB, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.environ.get("CI") and not _redis_reachable(),
        reason=f"Redis is not reachable at {REDIS_URL} (the RQ backend's tests need it)",
    ),
]


@pytest.fixture
def rq_queue() -> Iterator[str]:
    """The RQ backend as the default task backend, on a queue of this test's own."""
    name = f"muqeem-test-{uuid.uuid4().hex[:12]}"
    connection = {"URL": REDIS_URL, "DB": REDIS_DB, "DEFAULT_TIMEOUT": 600}
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", name]}},
        RQ_QUEUES={"default": connection, name: connection},
        RQ={"JOB_CLASS": "django_tasks_rq.Job"},
    ):
        try:
            yield name
        finally:
            _forget(django_rq.get_queue(name))


def _forget(queue: Any) -> None:
    """Remove the test queue's jobs, their results and its registries from Redis (RQ keeps a
    failed job for a year)."""
    registries = [
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.started_job_registry,
        queue.deferred_job_registry,
        queue.scheduled_job_registry,
        queue.canceled_job_registry,
    ]
    ids = set(queue.job_ids)
    for registry in registries:
        ids.update(registry.get_job_ids())
    for job in Job.fetch_many(list(ids), connection=queue.connection):
        if job is not None:
            job.delete(delete_dependents=True)
    queue.delete(delete_jobs=True)
    queue.connection.delete(*[registry.key for registry in registries])


def work_burst(queue: str) -> Any:
    """An RQ worker that runs every job waiting on `queue`, then stops."""
    worker = django_rq.get_worker(queue, worker_class="rq.worker.SimpleWorker")
    worker.work(burst=True)
    return worker


def test_a_bulk_renewal_runs_on_rq_workers(
    rq_queue, hr_officer, establishment, django_capture_on_commit_callbacks
):
    residents = ResidentFactory.create_batch(2, establishment=establishment)
    before = {r.pk: r.iqama_expiry_date for r in residents}
    content = "operation,iqama_number,months\n" + "".join(
        f"renew_iqama,{r.iqama_number},6\n" for r in residents
    )
    data = content.encode()
    # The services enqueue their task when their transaction commits; here the test enqueues the
    # same task on its own queue instead (the product's queue is "default", shared on the server).
    with django_capture_on_commit_callbacks() as uploaded:
        batch = bulk_batch_upload(
            actor=hr_officer, filename="renewals.csv", size=len(data), content=io.BytesIO(data)
        )
    assert len(uploaded) == 1
    validate = bulk_batch_validate_task.using(queue_name=rq_queue).enqueue(batch_id=batch.pk)
    assert validate.backend == "default"
    assert validate.status == TaskResultStatus.READY
    assert django_rq.get_queue(rq_queue).count == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATING  # nothing runs until a worker takes it

    work_burst(rq_queue)

    validate.refresh()
    assert validate.status == TaskResultStatus.SUCCESSFUL
    assert validate.return_value == BatchStatus.VALIDATED
    assert validate.worker_ids
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED
    assert batch.rows_valid == 2

    with django_capture_on_commit_callbacks() as confirmed:
        bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    assert len(confirmed) == 1
    run = bulk_batch_execute_task.using(queue_name=rq_queue).enqueue(batch_id=batch.pk)

    work_burst(rq_queue)

    run.refresh()
    assert run.status == TaskResultStatus.SUCCESSFUL
    assert run.return_value == BatchStatus.DONE
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert (batch.rows_done, batch.rows_failed) == (2, 0)
    assert set(batch.rows.values_list("status", flat=True)) == {RowStatus.DONE}
    for resident in Resident.objects.filter(pk__in=before):
        assert resident.iqama_expiry_date == new_expiry_for(
            today=today(), current_expiry=before[resident.pk], months=6
        )
        assert resident.iqama_expiry_date > before[resident.pk]
    assert django_rq.get_queue(rq_queue).count == 0


def test_a_failing_task_is_reported_failed_by_the_rq_backend(rq_queue):
    """A task whose service raises: RQ records the failure and the backend reports it, with the
    exception's class."""
    result = bulk_batch_execute_task.using(queue_name=rq_queue).enqueue(batch_id="not-a-number")
    work_burst(rq_queue)
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors
    assert result.errors[-1].exception_class_path.endswith("ValueError")
