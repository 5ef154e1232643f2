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
    EXIT_REENTRY_VISA_FEE = "exit_reentry_visa_fee", _("Exit and re-entry visa fee")
    VISA_EXTENSION_FEE = "visa_extension_fee", _("Visa extension fee")
    UNUSED_VISA_FINE = "unused_visa_fine", _("Fine for an unused visa not cancelled")
    FINAL_EXIT_FEE = "final_exit_fee", _("Final exit visa fee")
    FINAL_EXIT_CANCEL_FEE = "final_exit_cancel_fee", _("Fee to cancel an expired final exit")
    IQAMA_ISSUANCE_LATE_FINE = "iqama_issuance_late_fine", _("Late iqama issuance fine")
    PROFESSION_CHANGE_FEE = "profession_change_fee", _("Profession change fee")
    SERVICE_TRANSFER_FEE = "service_transfer_fee", _("Transfer of services fee")
    WASEL_DELIVERY_FEE = "wasel_delivery_fee", _("Wasel delivery fee")
    CARD_REPLACEMENT_FEE = "card_replacement_fee", _("Iqama card replacement fee")


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


class PenaltyStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    WAIVED = "waived", _("Waived")


class Penalty(models.Model):
    """A fine recorded against a resident (e.g. a visa that expired unused); it blocks services until
    paid. `source_key` makes recording idempotent: one fine per cause, however often a job runs."""

    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="penalties"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="penalties"
    )
    fee_code = models.CharField(_("fine"), max_length=32, choices=FeeCode.choices)
    amount_halalas = models.BigIntegerField(_("amount (halalas)"))
    status = models.CharField(
        _("status"), max_length=10, choices=PenaltyStatus.choices, default=PenaltyStatus.UNPAID
    )
    source_key = models.CharField(max_length=80, unique=True)
    recorded_on = models.DateField(_("recorded on"))
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by_request = models.ForeignKey(
        "workflow.ServiceRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("fine")
        verbose_name_plural = _("fines")
        indexes = [models.Index(fields=["resident", "status"], name="penalty_resident_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_halalas__gt=0), name="penalty_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fee_code} {self.amount_halalas} ({self.status})"
