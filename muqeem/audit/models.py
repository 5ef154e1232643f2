from __future__ import annotations

from enum import IntEnum, unique
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


@unique
class AuditEventType(IntEnum):
    """Stable numbers, grouped by range: 1xx access, 2xx establishments, 3xx residents,
    4xx requests, 5xx fees and payments, 6xx documents and reports. Never renumber; only add."""

    LOGIN = 101
    LOGIN_FAILED = 102
    LOGOUT = 103
    SECURITY_CODE_SENT = 110
    SECURITY_CODE_VERIFIED = 111
    SECURITY_CODE_FAILED = 112
    USER_CREATED = 120
    USER_UPDATED = 121
    ALERT_SETTINGS_CHANGED = 122
    ALERT_FEED_LINK_REPLACED = 123
    API_KEY_CREATED = 130
    API_KEY_REVOKED = 131
    ACCESS_DENIED = 140
    ESTABLISHMENT_SUSPENDED = 210
    ESTABLISHMENT_REACTIVATED = 211
    ESTABLISHMENT_VIEWED = 212
    RESIDENT_VIEWED = 301
    RESIDENT_SEARCHED = 302
    RESIDENT_ELIGIBILITY_CHECKED = 303
    IQAMA_RENEWED = 310
    VISA_ISSUED = 320
    VISA_EXTENDED = 321
    VISA_CANCELLED = 322
    VISA_USED = 323
    VISA_RETURNED = 324
    VISA_EXPIRED = 325
    RESIDENT_NOT_RETURNED = 326
    FINAL_EXIT_ISSUED = 330
    FINAL_EXIT_CANCELLED = 331
    FINAL_EXIT_DEPARTED = 332
    FINAL_EXIT_EXPIRED = 333
    BORDER_CROSSING_RECORDED = 340
    IQAMA_ISSUED = 350
    PROFESSION_CHANGED = 351
    PASSPORT_UPDATED = 352
    TRANSFER_REQUESTED = 360
    TRANSFER_APPROVED = 361
    TRANSFER_REJECTED = 362
    TRANSFER_EXPIRED = 363
    TRANSFER_CONSENTED = 364
    TRANSFER_COMPLETED = 365
    DELIVERY_ORDERED = 370
    DELIVERY_STATUS_CHANGED = 371
    RESIDENT_DATA_CORRECTED = 380
    AGENCY_RECORD_CHANGED = 390
    AGENCY_IMPORT_RUN = 391
    TRAFFIC_FINE_ISSUED = 392
    TRAFFIC_FINE_PAID = 393
    REQUEST_CREATED = 401
    REQUEST_TRANSITIONED = 402
    EXCEPTION_REQUEST_FILED = 410
    EXCEPTION_REQUEST_APPROVED = 411
    EXCEPTION_REQUEST_REJECTED = 412
    EXCEPTION_REQUEST_USED = 413
    EXCEPTION_REQUEST_WITHDRAWN = 414
    LEDGER_POSTED = 501
    PENALTY_RECORDED = 510
    PENALTY_PAID = 511
    PENALTY_WAIVED = 512
    SCHEDULE_CHANGE_SCHEDULED = 520
    BILL_CREATED = 530
    BILL_PAID = 531
    BILL_CONFIRMATION_REFUSED = 532
    BILL_CANCELLED = 533
    LEDGER_REVERSED = 540
    DOCUMENT_PRINTED = 601
    DOCUMENT_VERIFIED = 602
    REPORT_EXPORTED = 610
    AUDIT_EXPORTED = 611
    STATISTICS_VIEWED = 612


def audit_event_choices() -> list[tuple[int, str]]:
    return [(e.value, e.name) for e in AuditEventType]


class AuditEvent(models.Model):
    """Append-only: rows are written through `audit_record` and never changed or deleted."""

    occurred_at = models.DateTimeField(db_index=True)
    # A callable, so adding an event type needs no migration.
    # Indexed with occurred_at (Meta.indexes), which also serves lookups by type alone.
    event_type = models.PositiveSmallIntegerField(choices=audit_event_choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (actor_user, occurred_at) below
    )
    actor_establishment = models.ForeignKey(
        "establishments.Establishment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resident = models.ForeignKey(
        "residents.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (resident, occurred_at) below
    )
    service_request = models.ForeignKey(
        "workflow.ServiceRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extra_data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # The audit viewer filters by one of these and pages by time; statistics count refusals
        # (one event type) over a period.
        indexes = [
            models.Index(fields=["actor_establishment", "occurred_at"]),
            models.Index(fields=["event_type", "occurred_at"], name="audit_type_time_idx"),
            models.Index(fields=["actor_user", "occurred_at"], name="audit_actor_time_idx"),
            models.Index(fields=["resident", "occurred_at"], name="audit_resident_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{AuditEventType(self.event_type).name} @ {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Audit events are append-only")


GENESIS_HASH = "0" * 64


class AuditSeal(models.Model):
    """One link of the audit log's hash chain (muqeem/audit/chain.py). Written only by the sealer,
    in `seq` order, never changed: `hash` = SHA-256 over seq, `prev_hash` and the sealed event's
    canonical serialisation, so changing, removing or reordering an event breaks every later link."""

    seq = models.BigIntegerField(primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gt=0), name="audit_seal_seq_positive")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Audit seals are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Audit seals are append-only")
