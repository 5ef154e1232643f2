"""SADAD top-up bills: an establishment pays a bill at its bank; the bank's confirmation credits the
government-payments balance through the ledger. A bill is paid once, under one bank payment
reference; corrections are reversing journals, never edits of the bill."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The authority's biller code in SADAD (shown with the bill number: the payer picks the biller, then
# enters the bill number).
SADAD_BILLER_CODE = "090"
BILL_NUMBER_LENGTH = 12


class BillStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class Bill(models.Model):
    number = models.CharField(_("bill number"), max_length=BILL_NUMBER_LENGTH, unique=True)
    establishment = models.ForeignKey(
        "establishments.Establishment",
        on_delete=models.PROTECT,
        related_name="bills",
        verbose_name=_("establishment"),
    )
    amount_halalas = models.BigIntegerField(_("amount (halalas)"))
    status = models.CharField(
        _("status"), max_length=10, choices=BillStatus.choices, default=BillStatus.UNPAID
    )
    idempotency_key = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_on = models.DateField(_("payable until"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(
        _("bank payment reference"), max_length=60, null=True, blank=True, unique=True
    )
    journal = models.OneToOneField(
        "fees.LedgerJournal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bill",
    )
    reversal = models.OneToOneField(
        "fees.LedgerJournal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_bill",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_via = models.ForeignKey(
        "integrations.IntegrationCredential",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("SADAD bill")
        verbose_name_plural = _("SADAD bills")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "idempotency_key"], name="bill_establishment_key_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_halalas__gt=0), name="bill_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paid")
                | (
                    models.Q(payment_reference__isnull=False)
                    & models.Q(journal__isnull=False)
                    & models.Q(paid_at__isnull=False)
                ),
                name="bill_paid_has_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["establishment", "-created_at"], name="bill_est_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"

    def current_status(self, on: date | None = None) -> str:
        """The status as the payer sees it: an unpaid bill past its last day is expired, whether or
        not a job has marked it yet."""
        from muqeem.core.dates import today

        if self.status == BillStatus.UNPAID and self.expires_on < (on or today()):
            return BillStatus.EXPIRED
        return self.status

    @property
    def status_now(self) -> str:
        return self.current_status()

    @property
    def status_label(self) -> str:
        return str(BillStatus(self.current_status()).label)

    @property
    def is_payable(self) -> bool:
        return self.current_status() == BillStatus.UNPAID

    @property
    def paid_on(self) -> date | None:
        return timezone.localtime(self.paid_at).date() if self.paid_at else None

    @property
    def reversed_on(self) -> date | None:
        return timezone.localtime(self.reversal.occurred_at).date() if self.reversal else None

    @property
    def created_on(self) -> date:
        return timezone.localtime(self.created_at).date()
