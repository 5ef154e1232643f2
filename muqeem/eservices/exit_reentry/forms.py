from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DurationUnit, VisaType

MAX_DAYS = 730


class IssueForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)
    visa_type = forms.ChoiceField(
        label=_("Visa type"), choices=VisaType.choices, initial=VisaType.SINGLE
    )
    duration_unit = forms.ChoiceField(
        label=_("Duration given as"), choices=DurationUnit.choices, initial=DurationUnit.MONTHS
    )
    duration_value = forms.IntegerField(
        label=_("Duration"), min_value=1, max_value=MAX_DAYS, required=False
    )
    return_before = forms.DateField(label=_("Return before"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit = data.get("duration_unit")
        if unit == DurationUnit.RETURN_BEFORE and not data.get("return_before"):
            self.add_error("return_before", _("Enter the date the resident must return before."))
        if unit in (DurationUnit.DAYS, DurationUnit.MONTHS) and not data.get("duration_value"):
            self.add_error("duration_value", _("Enter the number of days or months."))
        return data


class ExtendForm(forms.Form):
    months = forms.IntegerField(label=_("Extra months"), min_value=1, max_value=24, initial=1)
