from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from muqeem.core.ids import pk_from_public_number, public_number
from muqeem.workflow.machine import RequestAction, RequestStatus, ServiceType

REQUEST_NUMBER_BASE = 1_000_000_000


class ServiceRequest(models.Model):
    """One transaction of one e-service. Each service keeps its own details in a 1:1 model."""

    service_type = models.CharField(_("service"), max_length=32, choices=ServiceType.choices)
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="requests"
    )
    resident = models.ForeignKey(
        "residents.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    status = models.CharField(_("status"), max_length=24, choices=RequestStatus.choices)
    version = models.PositiveIntegerField(default=1)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Supplied by the client (form token or Idempotency-Key header); a retry returns the same request.
    idempotency_key = models.CharField(max_length=80)
    payload_hash = models.CharField(max_length=64)
    fee_total_halalas = models.BigIntegerField(_("total fees (halalas)"), default=0)
    fee_lines = models.JSONField(default=list)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "idempotency_key"], name="request_idempotency_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["establishment", "created_at"], name="request_est_created_idx"),
            models.Index(fields=["resident", "service_type"], name="request_resident_type_idx"),
            # The authority's statistics: every establishment's requests over a period.
            models.Index(fields=["created_at"], name="request_created_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """Request number (رقم الطلب): derived from the never-reused primary key, so it costs no
        extra write and cannot collide."""
        return public_number(self.pk, REQUEST_NUMBER_BASE)

    @staticmethod
    def pk_from_number(number: str) -> int | None:
        return pk_from_public_number(number, REQUEST_NUMBER_BASE)


class RequestEvent(models.Model):
    """Append-only history of a request's transitions."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=RequestAction.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '-'} → {self.to_status}"
