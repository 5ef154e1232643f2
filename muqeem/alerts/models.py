"""Expiry alerts: each establishment's choices, what it has been told, and its in-portal notifications."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_THRESHOLDS = (90, 60, 30, 7)


def default_thresholds() -> list[int]:
    return list(DEFAULT_THRESHOLDS)


def new_feed_token() -> str:
    """256 random bits: the calendar feed's only credential (calendar apps cannot log in)."""
    return secrets.token_urlsafe(32)


class AlertKind(models.TextChoices):
    IQAMA_EXPIRY = "iqama_expiry", _("Iqama expiry")
    PASSPORT_EXPIRY = "passport_expiry", _("Passport expiry")
    # An issued exit and re-entry visa not used by its travel-before date is fined.
    VISA_UNUSED = "visa_unused", _("Exit and re-entry visa not used")


class AlertSettings(models.Model):
    """Created with the defaults the first time it is needed (`alert_settings_for`)."""

    establishment = models.OneToOneField(
        "establishments.Establishment",
        on_delete=models.CASCADE,
        related_name="alert_settings",
        verbose_name=_("establishment"),
    )
    # Days before an expiry at which to alert, largest first.
    thresholds = models.JSONField(_("alert thresholds (days)"), default=default_thresholds)
    sms_enabled = models.BooleanField(_("SMS to the registered mobile"), default=True)
    email_enabled = models.BooleanField(_("E-mail"), default=False)
    email = models.EmailField(_("E-mail address for alerts"), blank=True)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    # The last day the daily run covered: after a gap, what expired in between is still reported once.
    last_run_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return f"alert settings of establishment {self.establishment_id}"


class EmailStatus(models.TextChoices):
    NOT_REQUESTED = "not_requested", _("Not requested")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertDigest(models.Model):
    """One establishment's alerts of one daily run. `items` is a snapshot of what was reported (so the
    digest reads the same after a renewal changes the resident)."""

    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.CASCADE, related_name="alert_digests"
    )
    run_on = models.DateField(_("date"))
    items = models.JSONField(default=list)
    iqama_count = models.PositiveIntegerField(default=0)
    passport_count = models.PositiveIntegerField(default=0)
    visa_count = models.PositiveIntegerField(default=0)
    sms = models.ForeignKey(
        "notifications.SmsMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email_to = models.EmailField(blank=True)
    email_status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.NOT_REQUESTED
    )
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alert digest")
        verbose_name_plural = _("alert digests")
        indexes = [models.Index(fields=["establishment", "run_on"], name="alertdigest_est_idx")]

    def __str__(self) -> str:
        return f"digest #{self.pk} of establishment {self.establishment_id} on {self.run_on}"

    @property
    def total(self) -> int:
        return self.iqama_count + self.passport_count + self.visa_count


class AlertSent(models.Model):
    """An item reported at a threshold. The unique constraint is what makes the daily run report an
    item once per threshold; a renewal changes `expiry_date`, so the new date is alerted afresh. The
    establishment is part of the key because a transfer of services keeps the expiry date, and the new
    sponsor must still hear about it."""

    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.CASCADE, related_name="+"
    )
    digest = models.ForeignKey(AlertDigest, on_delete=models.CASCADE, related_name="sent")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    # A resident's pk (iqama and passport alerts) or a visa's pk.
    object_id = models.PositiveBigIntegerField()
    expiry_date = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    sent_on = models.DateField()

    class Meta:
        verbose_name = _("alert sent")
        verbose_name_plural = _("alerts sent")
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "kind", "object_id", "expiry_date", "threshold"],
                name="alert_sent_once_per_threshold",
            )
        ]
        indexes = [
            models.Index(fields=["establishment", "expiry_date"], name="alertsent_est_expiry_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.expiry_date} @{self.threshold}"


class NotificationKind(models.TextChoices):
    EXPIRY_DIGEST = "expiry_digest", _("Expiry alerts")


class Notification(models.Model):
    """An in-portal notification. Its text is rendered from `kind` and `params` in the reader's
    language (see `texts.notification_text`), so nothing is frozen in one language."""

    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=300, blank=True)
    digest = models.ForeignKey(
        AlertDigest, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["establishment", "read_at"], name="notification_est_read_idx"),
            models.Index(fields=["establishment", "created_at"], name="notification_est_time_idx"),
        ]

    def __str__(self) -> str:
        return f"notification #{self.pk} ({self.kind})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
