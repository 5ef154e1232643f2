from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Serials below this are used by demo and test data (10M–45M); new iqamas start above them, so a freshly
# allocated number can never collide with a record that was loaded rather than issued.
FIRST_SERIAL = 60_000_000
# `make_iqama_number` takes an 8-digit serial: 2 + serial + Luhn digit is 10 digits.
LAST_SERIAL = 99_999_999


class IqamaNumberAllocator(models.Model):
    """The single counter row iqama numbers are drawn from (pk 1).

    Issuers lock it with `select_for_update`, so two transactions never draw the same serial; the
    counter only moves forward, so a number once issued is never issued again (a rolled-back draw was
    never given to anyone, and the rollback also returns the counter)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    next_serial = models.PositiveIntegerField(_("next serial"), default=FIRST_SERIAL)

    class Meta:
        verbose_name = _("iqama number allocator")
        verbose_name_plural = _("iqama number allocators")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="iqama_allocator_single_row"),
        ]

    def __str__(self) -> str:
        return f"next iqama serial {self.next_serial}"


class IqamaIssuance(models.Model):
    """The first iqama of a new arrival: which number it got, its validity and its Wasel delivery."""

    request = models.OneToOneField(
        "workflow.ServiceRequest",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="iqama_issuance",
    )
    border_number = models.CharField(_("border number"), max_length=10)
    iqama_number = models.CharField(_("iqama number"), max_length=10, unique=True)
    issued_on = models.DateField(_("iqama issue date"))
    expires_on = models.DateField(_("iqama expiry date"))
    period_months = models.PositiveSmallIntegerField(_("iqama duration (months)"))
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    was_late = models.BooleanField(_("issued late"), default=False)
    delivery = models.OneToOneField(
        "delivery.DeliveryOrder",
        on_delete=models.PROTECT,
        related_name="iqama_issuance",
        verbose_name=_("Wasel delivery"),
    )

    class Meta:
        verbose_name = _("iqama issuance")
        verbose_name_plural = _("iqama issuances")

    def __str__(self) -> str:
        return f"issuance {self.request_id}: {self.border_number} → {self.iqama_number}"
