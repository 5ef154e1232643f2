from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PassportUpdate(models.Model):
    """A move of the resident's record (and valid visas) from the old passport to a new one."""

    request = models.OneToOneField(
        "workflow.ServiceRequest",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="passport_update",
    )
    previous_passport = models.OneToOneField(
        "residents.PassportRecord",
        on_delete=models.PROTECT,
        related_name="passport_update",
        verbose_name=_("previous passport"),
    )
    new_passport_number = models.CharField(_("new passport number"), max_length=20)
    new_issue_date = models.DateField(_("new passport issue date"))
    new_expiry_date = models.DateField(_("new passport expiry date"))
    # Numbers of the exit and re-entry visas moved to the new passport.
    visa_numbers = models.JSONField(_("visas moved"), default=list, blank=True)

    class Meta:
        verbose_name = _("passport information update")
        verbose_name_plural = _("passport information updates")

    def __str__(self) -> str:
        return f"passport update {self.request_id}: → {self.new_passport_number}"
