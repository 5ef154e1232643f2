"""Webhook endpoints of establishments and the outbox of deliveries to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEventType(models.TextChoices):
    REQUEST_COMPLETED = "request.completed", _("Request completed")
    REQUEST_REJECTED = "request.rejected", _("Request rejected")
    VISA_USED = "visa.used", _("Visa used (resident departed)")
    VISA_RETURNED = "visa.returned", _("Visa returned (resident arrived)")
    VISA_EXPIRED = "visa.expired", _("Visa expired")
    RESIDENT_NOT_RETURNED = "resident.not_returned", _("Resident did not return")
    TRANSFER_REQUESTED = "transfer.requested", _("Transfer of services requested")
    TRANSFER_APPROVED = "transfer.approved", _("Transfer of services approved")
    DELIVERY_STATUS_CHANGED = "delivery.status_changed", _("Delivery status changed")
    IQAMA_EXPIRING = "iqama.expiring", _("Iqamas and passports expiring (daily digest)")


class WebhookEndpoint(models.Model):
    """A URL of an establishment's HR system that receives signed events.

    The secret is kept as is (it is needed to sign every delivery) and shown once, at creation."""

    establishment = models.ForeignKey(
        "establishments.Establishment",
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
        verbose_name=_("establishment"),
    )
    url = models.URLField(_("URL"), max_length=500)
    # Values of `WebhookEventType`.
    event_types = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["establishment", "is_active"], name="webhook_est_idx")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent after the emitting transaction commits, retried with
    exponential backoff until it succeeds or runs out of attempts."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The same for every delivery (and redelivery) of one event, so receivers can deduplicate.
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEventType.choices)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx"),
            models.Index(fields=["endpoint", "created_at"], name="webhook_endpoint_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
