"""The SMS outbox's retention (ASVS 8.3.8): old messages lose their body and most of their number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from muqeem.notifications.models import SmsMessage, SmsStatus
from muqeem.notifications.services import REDACTED, sms_outbox_redact

pytestmark = pytest.mark.django_db


def _message(*, days_old: int, status: str) -> SmsMessage:
    message = SmsMessage.objects.create(
        to="966501234567", body="Iqama 2123456788 renewed", status=status
    )
    SmsMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(days=days_old)
    )
    return message


def test_old_sent_and_failed_messages_are_erased_once_and_the_rest_kept(settings):
    settings.SMS_RETENTION_DAYS = 90
    old_sent = _message(days_old=91, status=SmsStatus.SENT)
    old_failed = _message(days_old=200, status=SmsStatus.FAILED)
    recent = _message(days_old=89, status=SmsStatus.SENT)
    old_queued = _message(days_old=91, status=SmsStatus.QUEUED)  # still to be sent

    assert sms_outbox_redact() == 2
    for message in (old_sent, old_failed):
        message.refresh_from_db()
        assert message.body == REDACTED
        assert message.to == "•••567"
        assert "2123456788" not in message.body
    for message in (recent, old_queued):
        message.refresh_from_db()
        assert message.body == "Iqama 2123456788 renewed" and message.to == "966501234567"
    assert sms_outbox_redact() == 0  # idempotent
    assert SmsMessage.objects.count() == 4  # rows kept: counts and statuses still add up
