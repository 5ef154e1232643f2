from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

moi_number_validator = RegexValidator(
    r"^7\d{9}$", _("The establishment number must be 10 digits starting with 7.")
)
mobile_validator = RegexValidator(
    r"^9665\d{8}$", _("The mobile number must be in the form 9665XXXXXXXX.")
)


class Establishment(models.Model):
    moi_number = models.CharField(
        _("establishment number"), max_length=10, unique=True, validators=[moi_number_validator]
    )
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    cr_number = models.CharField(_("commercial registration number"), max_length=10)
    registered_mobile = models.CharField(
        _("registered mobile"), max_length=12, blank=True, validators=[mobile_validator]
    )
    saudis_majority = models.BooleanField(
        _("Saudis are the majority of the workforce"),
        default=False,
        help_text=_("Selects the reduced expat levy."),
    )
    # National address (العنوان الوطني), where Wasel delivers cards.
    building_number = models.CharField(_("building no."), max_length=4, blank=True)
    street = models.CharField(_("street"), max_length=120, blank=True)
    district = models.CharField(_("district"), max_length=120, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    additional_number = models.CharField(_("additional no."), max_length=4, blank=True)
    # Kept equal to the sum of this establishment's ledger lines by `fees.services` (same transaction).
    balance_halalas = models.BigIntegerField(_("balance (halalas)"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Suspended by the authority (staff console): reads still work, every transaction is refused.
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspension_reason = models.CharField(_("suspension reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_halalas__gte=0),
                name="establishment_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.moi_number})"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en
