from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from muqeem.core.dates import today
from muqeem.residents.models import Nationality, Profession, ResidentStatus

from .residents import (
    LOCATION_INSIDE,
    LOCATION_OUTSIDE,
    SORT_EXPIRY,
    SORT_EXPIRY_DESC,
    SORT_NAME,
    STATUS_CURRENT,
    VISA_AT_RISK,
    VISA_OUTSTANDING,
    ResidentFilters,
)

# A report over more than this is an export job, not a page.
MAX_RANGE_DAYS = 3 * 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"dir": "ltr", **(attrs or {})}, format="%Y-%m-%d")


class BootstrapForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class ResidentFilterForm(BootstrapForm):
    """The residents list's search box and filters (a GET form: the URL is the saved search)."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    iqama = forms.CharField(
        label=_("Iqama number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )
    passport = forms.CharField(
        label=_("Passport number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    nationality = forms.ModelChoiceField(
        label=_("Nationality"),
        queryset=Nationality.objects.all(),
        required=False,
        empty_label=_("All"),
    )
    profession = forms.ModelChoiceField(
        label=_("Profession"),
        queryset=Profession.objects.all(),
        required=False,
        empty_label=_("All"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            (STATUS_CURRENT, _("Current residents")),
            *ResidentStatus.choices,
        ],
    )
    location = forms.ChoiceField(
        label=_("Inside / outside the kingdom"),
        required=False,
        choices=[
            ("", _("All")),
            (LOCATION_INSIDE, _("Inside the kingdom")),
            (LOCATION_OUTSIDE, _("Outside the kingdom")),
        ],
    )
    expiry_from = forms.DateField(label=_("Iqama expires from"), required=False, widget=DateInput())
    expiry_to = forms.DateField(label=_("Iqama expires to"), required=False, widget=DateInput())
    passport_before = forms.DateField(
        label=_("Passport expires on or before"), required=False, widget=DateInput()
    )
    visa = forms.ChoiceField(
        label=_("Exit and re-entry visa"),
        required=False,
        choices=[
            ("", _("All")),
            (VISA_OUTSTANDING, _("Visa outstanding (issued or used)")),
            (VISA_AT_RISK, _("Unused visa at risk of the fine")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            (SORT_EXPIRY, _("Iqama expiry, soonest first")),
            (SORT_EXPIRY_DESC, _("Iqama expiry, latest first")),
            (SORT_NAME, _("Name")),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("expiry_from"), data.get("expiry_to")
        if start and end and start > end:
            self.add_error("expiry_to", _("The end of the range is before its start."))
        return data

    def filters(self) -> ResidentFilters:
        """The valid filters (a field with an error is left out, and shown with its error)."""
        if not self.is_bound:
            return ResidentFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        nationality = data.get("nationality")
        profession = data.get("profession")
        return ResidentFilters(
            name=(data.get("name") or "").strip(),
            iqama=(data.get("iqama") or "").strip(),
            passport=(data.get("passport") or "").strip(),
            nationality=nationality.pk if nationality else "",
            profession=profession.pk if profession else "",
            status=data.get("status") or "",
            location=data.get("location") or "",
            expiry_from=data.get("expiry_from"),
            expiry_to=data.get("expiry_to") if "expiry_to" not in self.errors else None,
            passport_before=data.get("passport_before"),
            visa=data.get("visa") or "",
            sort=data.get("sort") or SORT_EXPIRY,
        )


class DateRangeForm(BootstrapForm):
    """A report's period: from the first to the last day, both included; this month by default."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        on = today()
        # The empty form shows the period the report shows.
        self.fields["date_from"].initial = on.replace(day=1)
        self.fields["date_to"].initial = on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("The end of the range is before its start."))
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("date_to", _("Choose a period of at most three years."))
        return data

    def period(self) -> tuple[date, date]:
        """The valid period asked for, or this month so far."""
        on = today()
        default = (on.replace(day=1), on)
        if not self.is_bound or not self.is_valid():
            return default
        start = self.cleaned_data.get("date_from") or default[0]
        end = self.cleaned_data.get("date_to") or max(start, on)
        if start > end or (end - start) > timedelta(days=MAX_RANGE_DAYS):
            return default
        return start, end
