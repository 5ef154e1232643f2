from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .fees import REPRINT_REASONS
from .models import DeliveryReason, DeliveryStatus


class ReprintForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)
    reason = forms.ChoiceField(
        label=_("Reason for the new card"),
        choices=[(r.value, r.label) for r in (DeliveryReason(x) for x in REPRINT_REASONS)],
        error_messages={"required": _("Choose whether the card was lost or damaged.")},
    )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All statuses")), *DeliveryStatus.choices],
        required=False,
    )


class StaffSearchForm(forms.Form):
    q = forms.CharField(label=_("Tracking number"), max_length=20, required=False)


class StaffStatusForm(forms.Form):
    """One row's move. `key` is minted when the page is drawn, so a double click is one change."""

    tracking = forms.CharField(max_length=20)
    status = forms.CharField(max_length=40)
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
