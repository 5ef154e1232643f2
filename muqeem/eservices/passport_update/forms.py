from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PassportUpdateForm(forms.Form):
    """Only presence and date syntax here: the number's format and the dates' order are eligibility
    rules, listed with every other blocker (see rules.py)."""

    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)
    passport_number = forms.CharField(label=_("New passport number"), max_length=40)
    issue_date = forms.DateField(label=_("Passport issue date"))
    expiry_date = forms.DateField(label=_("Passport expiry date"))
