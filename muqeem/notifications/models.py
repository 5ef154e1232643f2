from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class SmsMessage(models.Model):
    """The SMS outbox. Messages that carry a secret (security codes) keep only a redacted body."""

    to = models.CharField(max_length=15)
    body = models.TextField()
    sensitive = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")

    def __str__(self) -> str:
        return f"SMS #{self.pk} ({self.status})"
