from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Right
from django.utils import timezone

from muqeem.notifications.models import SmsMessage, SmsStatus
from muqeem.notifications.sms import SmsError, get_backend

logger = logging.getLogger(__name__)
REDACTED = "••••••"
# A message the gateway refused or did not answer is tried again after these waits (the gateway is
# down or slow), then recorded as failed. A security code is not retried: the officer asks again.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
)


def sms_send(*, to: str, body: str, secret: str | None = None) -> SmsMessage:
    """Queue an SMS; it leaves after the surrounding transaction commits (never for a rollback).

    A message carrying `secret` (a security code) is delivered in-process right after commit, because
    the officer is waiting for it; the outbox keeps only a redacted copy. Other messages go through
    the background worker.
    """
    stored_body = body.replace(secret, REDACTED) if secret else body
    message = SmsMessage.objects.create(to=to, body=stored_body, sensitive=secret is not None)
    if secret is not None:
        transaction.on_commit(lambda: sms_deliver(message_id=message.pk, body=body))
    else:
        from muqeem.notifications.tasks import sms_deliver_task

        transaction.on_commit(lambda: sms_deliver_task.enqueue(message_id=message.pk))
    return message


def sms_deliver(*, message_id: int, body: str | None = None) -> bool:
    """Hand one queued message to the gateway. Idempotent: a sent message is not sent again."""
    message = SmsMessage.objects.filter(pk=message_id).first()
    if message is None or message.status == SmsStatus.SENT:
        return False
    SmsMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1)
    try:
        get_backend().send(
            to=message.to, body=body if body is not None else message.body, message_id=message.pk
        )
    except SmsError as exc:
        attempts = message.attempts + 1
        retry = not message.sensitive and attempts <= len(RETRY_DELAYS)
        logger.warning("sms %s failed (attempt %s): %s", message_id, attempts, exc)
        SmsMessage.objects.filter(pk=message_id).update(
            status=SmsStatus.QUEUED if retry else SmsStatus.FAILED, last_error=str(exc)[:200]
        )
        if retry:
            delay = RETRY_DELAYS[attempts - 1] * settings.RETRY_DELAY_SCALE
            _schedule_retry(message_id, timezone.now() + delay)
        return False
    SmsMessage.objects.filter(pk=message_id).update(status=SmsStatus.SENT, sent_at=timezone.now())
    return True


def _schedule_retry(message_id: int, run_after: datetime) -> None:
    """Ask the worker to try again at `run_after` (the database and RQ backends can defer)."""
    from muqeem.notifications.tasks import sms_deliver_task

    if sms_deliver_task.get_backend().supports_defer:
        sms_deliver_task.using(run_after=run_after).enqueue(message_id=message_id)
    else:
        SmsMessage.objects.filter(pk=message_id).update(status=SmsStatus.FAILED)


def sms_outbox_redact(*, now: datetime | None = None) -> int:
    """Retention (ASVS 8.3.8): the body and most of the number of a message sent or failed more
    than `SMS_RETENTION_DAYS` ago are erased; the row stays, so counts and statuses still add up.
    Idempotent; returns how many messages were redacted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SMS_RETENTION_DAYS)
    old = SmsMessage.objects.filter(
        created_at__lt=cutoff, status__in=[SmsStatus.SENT, SmsStatus.FAILED]
    ).exclude(body=REDACTED)
    return old.update(body=REDACTED, to=Concat(Value("•••"), Right("to", 3)), last_error="")


def sms_outbox_requeue_orphans(*, now: datetime | None = None) -> int:
    """A message committed with its change whose delivery task was never enqueued (the connection
    was cut between the COMMIT and the enqueue that follows it) would wait for ever. Run every
    minute by `tasks_recover`: a queued message never tried, older than `TASKS_LOST_AFTER_SECONDS`
    and with no delivery task waiting or running, is handed to the worker again. Delivery is
    idempotent (a sent message is not sent again). Returns how many were handed over."""
    from muqeem.notifications.tasks import sms_deliver_task

    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TASKS_LOST_AFTER_SECONDS)
    candidates = list(
        SmsMessage.objects.filter(
            status=SmsStatus.QUEUED, attempts=0, sensitive=False, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    if candidates and settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        pending = DBTaskResult.objects.filter(
            status__in=["READY", "RUNNING"], task_path=sms_deliver_task.module_path
        ).values_list("args_kwargs", flat=True)
        waiting = {(a.get("kwargs") or {}).get("message_id") for a in pending}
        candidates = [pk for pk in candidates if pk not in waiting]
    for pk in candidates:
        sms_deliver_task.enqueue(message_id=pk)
    return len(candidates)
