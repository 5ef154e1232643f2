from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.models import User
from muqeem.core.dates import today
from muqeem.establishments.models import Establishment
from muqeem.reports.forms import BootstrapForm, DateInput
from muqeem.residents.models import Resident

from .labels import event_type_choices
from .selectors import DEFAULT_PAGE_SIZE, PAGE_SIZES, AuditFilters

# Statistics are drawn per day: at most a year at a time.
STATISTICS_MAX_DAYS = 366
STATISTICS_DEFAULT_DAYS = 30


def _ltr(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", **attrs})


def _event_choices() -> list[tuple[str, str]]:
    return [("", str(_("All events")))] + [(str(v), label) for v, label in event_type_choices()]


class AuditFilterForm(BootstrapForm):
    """The audit viewer's filters (GET: the URL is the saved search)."""

    actor = forms.CharField(
        label=_("User (username)"), max_length=150, required=False, widget=_ltr()
    )
    establishment = forms.CharField(
        label=_("Establishment number"),
        max_length=10,
        required=False,
        widget=_ltr(inputmode="numeric"),
    )
    resident = forms.CharField(
        label=_("Iqama or border number"),
        max_length=10,
        required=False,
        widget=_ltr(inputmode="numeric"),
    )
    event_type = forms.TypedChoiceField(
        label=_("Event"), choices=_event_choices, coerce=int, empty_value=None, required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    size = forms.ChoiceField(
        label=_("Rows per page"),
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        initial=str(DEFAULT_PAGE_SIZE),
        required=False,
    )

    # Filter parameters carried into the page and export links (the cursor belongs to one page).
    FILTER_FIELDS = ("actor", "establishment", "resident", "event_type", "date_from", "date_to")

    def clean_actor(self) -> str:
        return (self.cleaned_data.get("actor") or "").strip()

    def clean_establishment(self) -> str:
        return (self.cleaned_data.get("establishment") or "").strip()

    def clean_resident(self) -> str:
        return (self.cleaned_data.get("resident") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data

    def page_size(self) -> int:
        if not self.is_bound:
            return DEFAULT_PAGE_SIZE
        self.is_valid()
        if "size" in self.errors:
            return DEFAULT_PAGE_SIZE
        return int(self.cleaned_data.get("size") or DEFAULT_PAGE_SIZE)

    def filters(self) -> AuditFilters:
        """The valid filters with their identifiers resolved to ids (one query per identifier
        typed). An identifier that matches nothing gets an error and an empty result."""
        if not self.is_bound:
            return AuditFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        nothing = False
        ids: dict[str, int | None] = {"actor": None, "establishment": None, "resident": None}
        lookups: dict[str, tuple[Any, Callable[[str], Q], Any]] = {
            "actor": (
                User.objects,
                lambda typed: Q(username=typed),
                _("No user has this username."),
            ),
            "establishment": (
                Establishment.objects,
                lambda typed: Q(moi_number=typed),
                _("No establishment has this number."),
            ),
            "resident": (
                Resident.objects,
                lambda typed: Q(iqama_number=typed) | Q(border_number=typed),
                _("No resident has this iqama or border number."),
            ),
        }
        for name, (manager, condition, missing) in lookups.items():
            typed = data.get(name) or ""
            if not typed or name in self.errors:
                continue
            pk = manager.filter(condition(typed)).values_list("pk", flat=True).first()
            if pk is None:
                self.add_error(name, missing)
                nothing = True
            ids[name] = pk
        start: date | None = data.get("date_from") if "date_from" not in self.errors else None
        end: date | None = data.get("date_to") if "date_to" not in self.errors else None
        event_type = data.get("event_type") if "event_type" not in self.errors else None
        typed = {
            name: str(self.data.get(name, "")).strip()
            for name in self.FILTER_FIELDS
            if self.data.get(name) and name not in self.errors
        }
        return AuditFilters(
            actor_id=ids["actor"],
            establishment_id=ids["establishment"],
            resident_id=ids["resident"],
            event_type=event_type,
            start=start,
            end=end,
            nothing=nothing,
            typed=typed,
        )


class StatisticsPeriodForm(BootstrapForm):
    """The statistics' period: whole days, both included; the last 30 days by default."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start, end = self.default_period()
        self.fields["date_from"].initial = start
        self.fields["date_to"].initial = end

    @staticmethod
    def default_period() -> tuple[date, date]:
        on = today()
        return on - timedelta(days=STATISTICS_DEFAULT_DAYS - 1), on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("The end of the range is before its start."))
            elif (end - start).days >= STATISTICS_MAX_DAYS:
                self.add_error("date_to", _("Choose a period of at most a year."))
        return data

    def period(self) -> tuple[date, date]:
        """The valid period asked for, or the last 30 days."""
        default = self.default_period()
        if not self.is_bound or not self.is_valid():
            return default
        end = self.cleaned_data.get("date_to") or default[1]
        start = self.cleaned_data.get("date_from") or end - timedelta(
            days=STATISTICS_DEFAULT_DAYS - 1
        )
        if start > end or (end - start).days >= STATISTICS_MAX_DAYS:
            return default
        return start, end
