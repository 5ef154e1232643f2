from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from muqeem.core.dates import today


class LookupForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)


class InsuranceForm(forms.Form):
    active = forms.TypedChoiceField(
        label=_("Medical insurance"),
        choices=[("1", _("Active")), ("0", _("Not active"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    expiry_date = forms.DateField(label=_("Insurance expiry date"), required=False)


class FingerprintForm(forms.Form):
    registered = forms.TypedChoiceField(
        label=_("Fingerprint"),
        choices=[("1", _("Registered")), ("0", _("Not registered"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )


class VehiclesForm(forms.Form):
    count = forms.IntegerField(label=_("Registered vehicles"), min_value=0, max_value=999)


class AbsenceForm(forms.Form):
    action = forms.ChoiceField(choices=[("report", "report"), ("withdraw", "withdraw")])


class FineIssueForm(forms.Form):
    fine_number = forms.CharField(label=_("Fine number"), max_length=30)
    amount = forms.DecimalField(
        label=_("Amount (SAR)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    violation = forms.CharField(label=_("Violation"), max_length=200)
    issued_on = forms.DateField(label=_("Issued on"), initial=today)


class FinePayForm(forms.Form):
    payment_reference = forms.CharField(label=_("Payment reference"), max_length=60, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
