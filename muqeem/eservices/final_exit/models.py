from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from muqeem.core.ids import pk_from_public_number, public_number

FINAL_EXIT_NUMBER_BASE = 6_000_000_000


class FinalExitKind(models.TextChoices):
    REGULAR = "regular", _("Final exit")
    PROBATION = "probation", _("Final exit during probation")


class FinalExitStatus(models.TextChoices):
    ISSUED = "issued", _("Valid, not used")
    DEPARTED = "departed", _("Used (departed)")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired unused")


class FinalExit(models.Model):
    """A final exit visa (تأشيرة خروج نهائي): the resident must leave by `leave_by`."""

    request = models.OneToOneField(
        "workflow.ServiceRequest", on_delete=models.PROTECT, related_name="final_exit"
    )
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="final_exits"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="final_exits"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FinalExitKind.choices)
    issued_on = models.DateField(_("issue date"))
    leave_by = models.DateField(_("leave before"))
    status = models.CharField(
        _("status"), max_length=10, choices=FinalExitStatus.choices, default=FinalExitStatus.ISSUED
    )
    dependents = models.ManyToManyField(
        "residents.Dependent", blank=True, related_name="final_exits"
    )
    passport_number = models.CharField(_("passport number"), max_length=20)
    departed_on = models.DateField(_("departure date"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("final exit visa")
        verbose_name_plural = _("final exit visas")
        indexes = [models.Index(fields=["status", "leave_by"], name="final_exit_status_leave_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return public_number(self.pk, FINAL_EXIT_NUMBER_BASE)

    @staticmethod
    def pk_from_number(number: str) -> int | None:
        return pk_from_public_number(number, FINAL_EXIT_NUMBER_BASE)


class FinalExitChange(models.Model):
    """Links a cancel request to the final exit it cancelled."""

    request = models.OneToOneField(
        "workflow.ServiceRequest", on_delete=models.PROTECT, related_name="final_exit_change"
    )
    final_exit = models.ForeignKey(FinalExit, on_delete=models.PROTECT, related_name="changes")

    def __str__(self) -> str:
        return f"{self.request_id} → final exit {self.final_exit_id}"
