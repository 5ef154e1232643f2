from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduleEntry(models.Model):
    """A value of one schedule key from `effective_from` on, until a later entry for the key."""

    key = models.CharField(_("key"), max_length=80)
    value = models.JSONField(_("value"))
    effective_from = models.DateField(_("effective from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("schedule entry")
        verbose_name_plural = _("fee and rule schedule")
        ordering = ["key", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "effective_from"], name="schedule_key_date_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value} from {self.effective_from}"


class FeeCode(models.TextChoices):
    IQAMA_FEE = "iqama_fee", _("Iqama fee")
    WORK_PERMIT_FEE = "work_permit_fee", _("Work permit fee")
    EXPAT_LEVY = "expat_levy", _("Expat levy")
    DEPENDENTS_LEVY = "dependents_levy", _("Dependents levy")
    LATE_RENEWAL_FINE = "late_renewal_fine", _("Late renewal fine")


class LedgerAccount(models.TextChoices):
    ESTABLISHMENT = "establishment", _("Establishment balance")
    REVENUE = "revenue", _("Government revenue")
    BANK = "bank", _("Bank clearing")


class JournalKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    REVERSAL = "reversal", _("Reversal")


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError(f"{type(self).__name__} rows are append-only")


class LedgerJournal(AppendOnly):
    """One balanced posting: its lines sum to zero. Corrections are new REVERSAL journals."""

    kind = models.CharField(max_length=12, choices=JournalKind.choices)
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="journals"
    )
    service_request = models.ForeignKey(
        "workflow.ServiceRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="journals",
    )
    reversal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    reference = models.CharField(_("reference"), max_length=40)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("ledger journal")
        verbose_name_plural = _("ledger journals")
        indexes = [
            models.Index(fields=["establishment", "occurred_at"], name="journal_est_time_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class LedgerLine(AppendOnly):
    journal = models.ForeignKey(LedgerJournal, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=16, choices=LedgerAccount.choices)
    establishment = models.ForeignKey(
        "establishments.Establishment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    fee_code = models.CharField(max_length=32, blank=True, choices=FeeCode.choices)
    # Positive adds to the account; an establishment's balance is the sum of its ESTABLISHMENT lines.
    amount_halalas = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_halalas=0), name="ledger_line_amount_not_zero"
            ),
        ]
        indexes = [models.Index(fields=["establishment", "account"], name="ledger_est_account_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_halalas}"
