from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from muqeem.core.ids import pk_from_public_number, public_number

VISA_NUMBER_BASE = 5_000_000_000


class VisaType(models.TextChoices):
    SINGLE = "single", _("Single")
    MULTIPLE = "multiple", _("Multiple")


class DurationUnit(models.TextChoices):
    DAYS = "days", _("Days")
    MONTHS = "months", _("Months")
    RETURN_BEFORE = "return_before", _("Return before")


class VisaStatus(models.TextChoices):
    ISSUED = "issued", _("Valid, not used")
    USED = "used", _("Used (outside the kingdom)")
    RETURNED = "returned", _("Returned")
    EXPIRED_UNUSED = "expired_unused", _("Expired unused")
    CANCELLED = "cancelled", _("Cancelled")
    NOT_RETURNED = "not_returned", _("Exited and did not return")
    EXPIRED = "expired", _("Expired")


class Visa(models.Model):
    """An exit and re-entry visa (تأشيرة خروج وعودة) and where it is in its life."""

    request = models.OneToOneField(
        "workflow.ServiceRequest", on_delete=models.PROTECT, related_name="visa"
    )
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="visas"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="visas"
    )
    visa_type = models.CharField(_("visa type"), max_length=10, choices=VisaType.choices)
    duration_unit = models.CharField(
        _("duration given as"), max_length=16, choices=DurationUnit.choices
    )
    duration_value = models.PositiveSmallIntegerField(_("duration"), null=True, blank=True)
    months_charged = models.PositiveSmallIntegerField(_("months charged"))
    issued_on = models.DateField(_("issue date"))
    # Last day to leave on the visa for the first time.
    travel_by = models.DateField(_("travel before"))
    # End of validity: known at issue for days / return-before, set at the first departure for months.
    expires_on = models.DateField(_("return before"), null=True, blank=True)
    first_departure_on = models.DateField(_("first departure"), null=True, blank=True)
    last_arrival_on = models.DateField(_("last arrival"), null=True, blank=True)
    extended_months = models.PositiveSmallIntegerField(_("months added by extensions"), default=0)
    passport_number = models.CharField(_("passport number"), max_length=20)
    status = models.CharField(
        _("status"), max_length=16, choices=VisaStatus.choices, default=VisaStatus.ISSUED
    )
    unused_fine = models.OneToOneField(
        "fees.Penalty", null=True, blank=True, on_delete=models.PROTECT, related_name="visa"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exit and re-entry visa")
        verbose_name_plural = _("exit and re-entry visas")
        indexes = [
            models.Index(fields=["resident", "status"], name="visa_resident_status_idx"),
            models.Index(fields=["status", "travel_by"], name="visa_status_travel_idx"),
            models.Index(fields=["status", "expires_on"], name="visa_status_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return public_number(self.pk, VISA_NUMBER_BASE)

    @staticmethod
    def pk_from_number(number: str) -> int | None:
        return pk_from_public_number(number, VISA_NUMBER_BASE)


class VisaEventKind(models.TextChoices):
    ISSUED = "issued", _("Issued")
    EXTENDED = "extended", _("Extended")
    CANCELLED = "cancelled", _("Cancelled")
    DEPARTED = "departed", _("Departure recorded")
    ARRIVED = "arrived", _("Arrival recorded")
    EXPIRED_UNUSED = "expired_unused", _("Expired unused; fine recorded")
    EXPIRED = "expired", _("Expired")
    NOT_RETURNED = "not_returned", _("Did not return")
    PRINTED = "printed", _("Printed")


class VisaEvent(models.Model):
    """The visa's own history, shown on the resident's file."""

    visa = models.ForeignKey(Visa, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=VisaEventKind.choices)
    on = models.DateField()
    occurred_at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.visa_id} {self.kind}"


class VisaChange(models.Model):
    """Links an extend or cancel request to the visa it changed."""

    request = models.OneToOneField(
        "workflow.ServiceRequest", on_delete=models.PROTECT, related_name="visa_change"
    )
    visa = models.ForeignKey(Visa, on_delete=models.PROTECT, related_name="changes")

    def __str__(self) -> str:
        return f"{self.request_id} → visa {self.visa_id}"
