from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from muqeem.core.errors import ErrorCode
from muqeem.workflow.machine import ServiceType

from .attachments import MAX_ATTACHMENTS
from .models import ExceptionStatus
from .services import MAX_REASON_LENGTH
from .waivers import WAIVERS


def waiver_choices() -> list[tuple[str, str]]:
    return [
        (str(w.code), f"{ServiceType(w.service_type).label} — {w.waives}") for w in WAIVERS.values()
    ]


class FileForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)
    code = forms.MultipleChoiceField(
        label=_("What should be waived"),
        choices=waiver_choices,
        error_messages={
            "invalid_choice": _("This refusal cannot be waived."),
            "required": _("Choose what should be waived."),
        },
    )
    reason = forms.CharField(
        label=_("Reason for the request"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Explain why the directorate should allow this transaction."),
    )

    def __init__(self, *args: object, files_count: int = 0, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.files_count = files_count

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        services = {WAIVERS[ErrorCode(c)].service_type for c in data.get("code") or ()}
        if len(services) > 1:
            self.add_error("code", _("Choose refusals of one service only."))
        if self.files_count > MAX_ATTACHMENTS:
            self.add_error(
                None,
                _("Attach at most {count} files.").format(count=MAX_ATTACHMENTS),
            )
        return data


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All statuses")), *ExceptionStatus.choices],
        required=False,
    )


def _service_choices() -> list[tuple[str, object]]:
    seen = []
    for w in WAIVERS.values():
        if w.service_type not in seen:
            seen.append(w.service_type)
    return [("", _("All services")), *((s, ServiceType(s).label) for s in seen)]


class QueueFilterForm(StatusFilterForm):
    service = forms.ChoiceField(label=_("Service"), choices=_service_choices, required=False)
    q = forms.CharField(
        label=_("Request, iqama or establishment number"), max_length=40, required=False
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(
        label=_("Decision reason"),
        max_length=MAX_REASON_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
