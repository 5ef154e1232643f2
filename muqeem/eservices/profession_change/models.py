from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProfessionChange(models.Model):
    """What one profession change request did; the request holds the fee lines and the status."""

    request = models.OneToOneField(
        "workflow.ServiceRequest",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="profession_change",
    )
    old_profession = models.ForeignKey(
        "residents.Profession",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("previous profession"),
    )
    new_profession = models.ForeignKey(
        "residents.Profession",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new profession"),
    )
    is_correction = models.BooleanField(_("free correction"), default=False)

    class Meta:
        verbose_name = _("profession change")
        verbose_name_plural = _("profession changes")

    def __str__(self) -> str:
        return f"profession change {self.request_id}: {self.old_profession_id} → {self.new_profession_id}"
