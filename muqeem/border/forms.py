from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Direction


class CrossingForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Direction.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    crossed_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    port = forms.CharField(label=_("Border port"), max_length=80, required=False)
