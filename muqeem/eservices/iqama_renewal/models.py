from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IqamaRenewal(models.Model):
    request = models.OneToOneField(
        "workflow.ServiceRequest",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="iqama_renewal",
    )
    period_months = models.PositiveSmallIntegerField(_("renewal duration (months)"))
    previous_expiry = models.DateField(_("previous expiry date"))
    new_expiry = models.DateField(_("new iqama expiry date"))
    was_late = models.BooleanField(_("late renewal"), default=False)
    renewed_abroad = models.BooleanField(_("renewed while abroad"), default=False)

    class Meta:
        verbose_name = _("iqama renewal")
        verbose_name_plural = _("iqama renewals")

    def __str__(self) -> str:
        return f"renewal {self.request_id}: {self.previous_expiry} → {self.new_expiry}"
