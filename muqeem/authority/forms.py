from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from muqeem.establishments.models import mobile_validator
from muqeem.residents.models import Gender, Nationality


class ScheduleChangeForm(forms.Form):
    value = forms.CharField(label=_("New value"), max_length=400)
    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note (decision number)"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResidentCorrectionForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    name_ar = forms.CharField(label=_("name (Arabic)"), max_length=200)
    name_en = forms.CharField(label=_("name (English)"), max_length=200)
    gender = forms.ChoiceField(label=_("gender"), choices=Gender.choices)
    date_of_birth = forms.DateField(
        label=_("date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    nationality = forms.ModelChoiceField(
        label=_("nationality"), queryset=Nationality.objects.order_by("code"), to_field_name="code"
    )
    religion = forms.CharField(label=_("religion"), max_length=40, required=False)
    mobile = forms.CharField(
        label=_("mobile"), max_length=12, required=False, validators=[mobile_validator]
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
