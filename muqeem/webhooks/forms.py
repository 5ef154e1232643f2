from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from muqeem.webhooks.models import WebhookEventType


class WebhookEndpointForm(forms.Form):
    # A CharField: the service decides which schemes are allowed (https, or http to this machine).
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_(
            "The address of your system that receives the events, e.g. https://hr.example.com/muqeem."
        ),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple
    )
