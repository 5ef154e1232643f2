"""Facts fed in by other government agencies: traffic fines, and the log of every fact they changed.

The facts themselves stay on the resident (`residents.Resident`), where the eligibility rules read
them; this app is how they change. Every change writes one `AgencyRecord` (append-only) saying what
the value was, what it became, and who said so (a staff member or an agency's credential)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrafficFineStatus(models.TextChoices):
    ISSUED = "issued", _("Unpaid")
    PAID = "paid", _("Paid")


class TrafficFine(models.Model):
    """A traffic violation recorded against a resident; unpaid fines block transactions."""

    number = models.CharField(_("fine number"), max_length=30, unique=True)
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="traffic_fines"
    )
    amount_halalas = models.BigIntegerField(_("amount (halalas)"))
    violation = models.CharField(_("violation"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=TrafficFineStatus.choices,
        default=TrafficFineStatus.ISSUED,
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credential = models.ForeignKey(
        "integrations.IntegrationCredential",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_credential = models.ForeignKey(
        "integrations.IntegrationCredential",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("traffic fine")
        verbose_name_plural = _("traffic fines")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["resident", "status"], name="fine_resident_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_halalas__gt=0), name="traffic_fine_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_paid(self) -> bool:
        return self.status == TrafficFineStatus.PAID


class AgencyRecordKind(models.TextChoices):
    INSURANCE = "insurance", _("Medical insurance")
    TRAFFIC_FINE_ISSUED = "traffic_fine_issued", _("Traffic fine issued")
    TRAFFIC_FINE_PAID = "traffic_fine_paid", _("Traffic fine paid")
    FINGERPRINT = "fingerprint", _("Fingerprint")
    VEHICLES = "vehicles", _("Registered vehicles")
    ABSENCE_REPORTED = "absence_reported", _("Absence from work reported")
    ABSENCE_WITHDRAWN = "absence_withdrawn", _("Absence report withdrawn")


class AgencyRecord(models.Model):
    """One change of one agency fact (append-only: never updated, never deleted)."""

    kind = models.CharField(_("kind"), max_length=24, choices=AgencyRecordKind.choices)
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="agency_records"
    )
    old = models.JSONField(default=dict)
    new = models.JSONField(default=dict)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credential = models.ForeignKey(
        "integrations.IntegrationCredential",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    traffic_fine = models.ForeignKey(
        TrafficFine, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    agency_import = models.ForeignKey(
        "agency.AgencyImport",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    # The agency's own reference for the message: a retried message is recorded once.
    external_reference = models.CharField(max_length=120, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("agency record")
        verbose_name_plural = _("agency records")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["resident", "occurred_at"], name="agency_rec_res_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for resident {self.resident_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Agency records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Agency records are append-only.")


class ImportKind(models.TextChoices):
    INSURANCE = "insurance", _("Medical insurance")
    TRAFFIC_FINES = "traffic_fines", _("Traffic fines")
    TRAFFIC_PAYMENTS = "traffic_payments", _("Traffic fine payments")
    FINGERPRINT = "fingerprint", _("Fingerprints")
    VEHICLES = "vehicles", _("Registered vehicles")
    ABSENCE = "absence", _("Absence from work reports")


class ImportStatus(models.TextChoices):
    DRY_RUN = "dry_run", _("Checked, not applied")
    APPLIED = "applied", _("Applied")


class AgencyImport(models.Model):
    """An uploaded CSV file of one kind: checked first (dry run), applied on confirmation."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.TextField()
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.DRY_RUN
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    change_count = models.PositiveIntegerField(_("changes"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The last check: per-row errors and the changes the file would make.
    errors = models.JSONField(default=list)
    changes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credential = models.ForeignKey(
        "integrations.IntegrationCredential",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("agency data import")
        verbose_name_plural = _("agency data imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk}"

    @property
    def is_applied(self) -> bool:
        return self.status == ImportStatus.APPLIED
