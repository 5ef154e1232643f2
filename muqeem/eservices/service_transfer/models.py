from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TransferRequest(models.Model):
    """A transfer of services (نقل الخدمات): the new sponsor asks, the current sponsor answers.
    Its status is the status of `request` (the new sponsor's ServiceRequest)."""

    request = models.OneToOneField(
        "workflow.ServiceRequest", on_delete=models.PROTECT, related_name="transfer"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="transfers"
    )
    from_establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="transfers_in"
    )
    expires_on = models.DateField(_("answer before"))
    consent_required = models.BooleanField(_("worker consent required"), default=False)
    consent_code_hash = models.CharField(max_length=64, blank=True)
    consent_attempts = models.PositiveSmallIntegerField(default=0)
    worker_consented_at = models.DateTimeField(_("worker consented at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("transfer of services request")
        verbose_name_plural = _("transfer of services requests")
        indexes = [models.Index(fields=["expires_on"], name="transfer_expires_idx")]

    def __str__(self) -> str:
        return f"transfer {self.request_id}"
