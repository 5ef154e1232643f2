from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# The days an officer can pick from; the calendar feed looks 180 days ahead.
THRESHOLD_CHOICES = [(d, d) for d in (180, 120, 90, 60, 45, 30, 14, 7, 3, 1)]


class AlertSettingsForm(forms.Form):
    thresholds = forms.TypedMultipleChoiceField(
        label=_("Alert me this many days before an expiry"),
        choices=THRESHOLD_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose one or more thresholds.")},
    )
    sms_enabled = forms.BooleanField(label=_("SMS to the registered mobile"), required=False)
    email_enabled = forms.BooleanField(label=_("E-mail"), required=False)
    email = forms.EmailField(label=_("E-mail address for alerts"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("email_enabled") and not data.get("email"):
            self.add_error("email", _("Enter the e-mail address the alerts go to."))
        return data
