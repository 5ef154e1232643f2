"""Recovery after a dead worker or a dead SMS gateway (`manage.py tasks_recover`, every minute):
a task left running is run again, a bulk run gone silent is resumed, an SMS the gateway refused is
tried again later instead of being dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from muqeem.bulk.models import BatchStatus, BulkBatch
from muqeem.bulk.services import bulk_batches_recover
from muqeem.core.task_recovery import tasks_lost_requeue
from muqeem.notifications.models import SmsMessage, SmsStatus
from muqeem.notifications.services import RETRY_DELAYS, sms_deliver

pytestmark = pytest.mark.django_db


def _running(task_path: str, started_ago: timedelta, claims: int = 1) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="RUNNING",
        task_path=task_path,
        args_kwargs={"args": [], "kwargs": {"message_id": 1}},
        started_at=timezone.now() - started_ago,
        worker_ids=[f"w{i}" for i in range(claims)],
        queue_name="default",
        backend_name="default",
    )


@pytest.mark.parametrize(
    ("task_path", "ago", "claims", "expected"),
    [
        ("muqeem.notifications.tasks.sms_deliver_task", timedelta(minutes=5), 1, "READY"),
        ("muqeem.notifications.tasks.sms_deliver_task", timedelta(seconds=10), 1, "RUNNING"),
        ("muqeem.notifications.tasks.sms_deliver_task", timedelta(minutes=5), 3, "FAILED"),
        ("muqeem.bulk.tasks.bulk_batch_execute_task", timedelta(minutes=5), 1, "FAILED"),
    ],
)
def test_a_task_left_running_by_a_dead_worker_is_run_again_once_then_failed(
    settings, task_path, ago, claims, expected
):
    settings.TASKS_LOST_AFTER_SECONDS = 60
    result = _running(task_path, ago, claims)
    tasks_lost_requeue()
    result.refresh_from_db()
    assert result.status == expected


def test_a_silent_bulk_run_is_resumed_and_a_live_one_left_alone(
    settings, hr_officer, django_capture_on_commit_callbacks
):
    from tests.factories import ResidentFactory

    settings.BULK_STALE_SECONDS = 60
    import io

    from muqeem.bulk.services import bulk_batch_confirm, bulk_batch_upload

    residents = ResidentFactory.create_batch(2, establishment=hr_officer.establishment)
    data = "operation,iqama_number,months\n" + "".join(
        f"renew_iqama,{r.iqama_number},12\n" for r in residents
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch = bulk_batch_upload(
            actor=hr_officer, filename="r.csv", size=len(data), content=io.BytesIO(data.encode())
        )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED
    # Confirmed, but its run never happens (its on-commit enqueue is not run here: a dead worker).
    bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    assert bulk_batches_recover() == []
    BulkBatch.objects.filter(pk=batch.pk).update(progress_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_batches_recover() == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert batch.rows_done == 2
    call_command("tasks_recover")


def test_an_sms_the_gateway_refused_is_kept_for_a_retry_then_failed(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/sms"
    settings.SMS_HTTP_TIMEOUT_SECONDS = 1
    message = SmsMessage.objects.create(to="966500000001", body="hello")
    for attempt in range(1, len(RETRY_DELAYS) + 2):
        assert sms_deliver(message_id=message.pk) is False
        message.refresh_from_db()
        assert message.attempts == attempt
        expected = SmsStatus.QUEUED if attempt <= len(RETRY_DELAYS) else SmsStatus.FAILED
        assert message.status == expected
        assert message.last_error
    retries = DBTaskResult.objects.filter(status="READY").order_by("run_after")
    assert len(retries) == len(RETRY_DELAYS)
    assert retries[0].run_after > timezone.now() + RETRY_DELAYS[0] - timedelta(seconds=30)


def test_a_shortened_sms_retry_is_due_sooner(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/sms"
    settings.SMS_HTTP_TIMEOUT_SECONDS = 1
    settings.RETRY_DELAY_SCALE = 0.1
    message = SmsMessage.objects.create(to="966500000001", body="hello")
    before = timezone.now()
    assert sms_deliver(message_id=message.pk) is False
    retry = DBTaskResult.objects.get(status="READY")
    assert before + timedelta(seconds=5) < retry.run_after < timezone.now() + timedelta(seconds=7)


def test_an_sms_whose_delivery_was_never_enqueued_is_handed_to_the_worker_once(settings):
    from muqeem.notifications.services import sms_outbox_requeue_orphans

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.TASKS_LOST_AFTER_SECONDS = 900
    long_ago = timezone.now() - timedelta(minutes=20)
    orphan = SmsMessage.objects.create(to="966500000001", body="renewed")
    recent = SmsMessage.objects.create(to="966500000002", body="renewed")
    sent = SmsMessage.objects.create(to="966500000003", body="renewed", status=SmsStatus.SENT)
    code = SmsMessage.objects.create(to="966500000004", body="••••••", sensitive=True)
    SmsMessage.objects.filter(pk__in=[orphan.pk, sent.pk, code.pk]).update(created_at=long_ago)

    assert sms_outbox_requeue_orphans() == 1
    (task,) = DBTaskResult.objects.filter(status="READY")
    assert task.args_kwargs["kwargs"] == {"message_id": orphan.pk}
    assert recent.pk != orphan.pk
    # Its task is waiting now: the next minute's recovery does not hand it over twice.
    assert sms_outbox_requeue_orphans() == 0
    assert DBTaskResult.objects.count() == 1
