"""Exception requests (طلبات الاستثناء): an establishment asks the passports directorate to waive a
refusal that only the directorate can waive; a supervisor approves or rejects it; an approval lets
one transaction through once (`waivers.py`)."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from muqeem.core.ids import pk_from_public_number, public_number
from muqeem.workflow.machine import ServiceType

from .waivers import waiver_for

EXCEPTION_NUMBER_BASE = 3_000_000_000


class ExceptionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("exception request", "Under review")
    APPROVED = "approved", pgettext_lazy("exception request", "Approved")
    REJECTED = "rejected", pgettext_lazy("exception request", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("exception request", "Withdrawn")
    USED = "used", pgettext_lazy("exception request", "Used")
    EXPIRED = "expired", pgettext_lazy("exception request", "Expired")


# At most one of these per establishment, resident and service.
OPEN_STATUSES = (ExceptionStatus.PENDING, ExceptionStatus.APPROVED)


class ExceptionRequest(models.Model):
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="exception_requests"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="exception_requests"
    )
    service_type = models.CharField(_("service"), max_length=32, choices=ServiceType.choices)
    # The ErrorCodes this request waives (see waivers.WAIVERS).
    codes = models.JSONField(_("waived refusals"), default=list)
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExceptionStatus.choices,
        default=ExceptionStatus.PENDING,
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(_("decision reason"), max_length=2000, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by_request = models.ForeignKey(
        "workflow.ServiceRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A fine waiver: the fines it waived, [{"penalty": id, "amount_halalas": n}].
    waived_penalties = models.JSONField(default=list, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("exception request")
        verbose_name_plural = _("exception requests")
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "resident", "service_type"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="exception_request_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "filed_at"], name="exc_req_status_filed_idx"),
            models.Index(fields=["establishment", "filed_at"], name="exc_req_est_filed_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return public_number(self.pk, EXCEPTION_NUMBER_BASE)

    @staticmethod
    def pk_from_number(number: str) -> int | None:
        return pk_from_public_number(number, EXCEPTION_NUMBER_BASE)

    def effective_status(self, on: date) -> str:
        """An approval past its validity counts as expired even before anything records it."""
        if (
            self.status == ExceptionStatus.APPROVED
            and self.valid_until is not None
            and self.valid_until < on
        ):
            return ExceptionStatus.EXPIRED
        return self.status

    @property
    def waived(self) -> list[dict[str, str]]:
        """Each waived refusal: its code and what waiving it means."""
        out = []
        for code in self.codes:
            w = waiver_for(code)
            out.append({"code": code, "waives": str(w.waives) if w else code})
        return out


def attachment_path(instance: ExceptionAttachment, filename: str) -> str:
    """A random name under the app's folder: the officer's file name is kept only as data."""
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        instance.content_type, "bin"
    )
    return f"exception_requests/{uuid.uuid4().hex}.{ext}"


class ExceptionAttachment(models.Model):
    exception_request = models.ForeignKey(
        ExceptionRequest, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    # Detected from the file's first bytes, never taken from the browser.
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name
