from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class BillCreateForm(forms.Form):
    """`key` is minted when the page is drawn, so a double click makes one bill."""

    amount = forms.DecimalField(
        label=_("Amount (SAR)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)


class StaffSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Bill number, payment reference or establishment"), max_length=200, required=False
    )


class StaffConfirmForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount paid (SAR)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    payment_reference = forms.CharField(label=_("Bank payment reference"), max_length=60)
    paid_at = forms.DateTimeField(
        label=_("Paid at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to refund (SAR)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
