from django import forms
from django.utils.translation import gettext_lazy as _


class TransferRequestForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)
    sponsor_moi = forms.CharField(label=_("Current sponsor's establishment number"), max_length=40)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConsentForm(forms.Form):
    code = forms.CharField(label=_("Worker's consent code"), max_length=12)
