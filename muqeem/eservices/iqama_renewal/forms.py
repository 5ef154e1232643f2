from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RenewalForm(forms.Form):
    iqama_number = forms.CharField(
        label=_("Iqama number"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}),
    )
    period_months = forms.TypedChoiceField(label=_("Iqama duration"), coerce=int)

    def __init__(self, *args: object, periods: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["period_months"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 - narrowing for the type checker
        field.choices = [(p, _("%(months)d months") % {"months": p}) for p in periods]
        field.error_messages["invalid_choice"] = _("Choose one of the offered durations.")
