from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class IssuanceForm(forms.Form):
    # Checked by `parse_border_number` in the service, which also accepts Arabic-Indic digits.
    border_number = forms.CharField(label=_("Border number"), max_length=40)
