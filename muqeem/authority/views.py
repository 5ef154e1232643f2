"""The staff console (لوحة الموظفين): schedule, establishments and residents.

Every staff role reads every page; changes go through `services` (which check the role again).
"""

from __future__ import annotations

from itertools import groupby
from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from muqeem.accounts.access import staff_required
from muqeem.accounts.models import User
from muqeem.accounts.staff import StaffCapability, staff_can
from muqeem.core.errors import DomainError
from muqeem.residents.models import Resident

from . import selectors, services
from .forms import ReasonForm, ResidentCorrectionForm, ScheduleChangeForm

GROUP_LABELS = {
    "renewal": gettext_lazy("Iqama renewal"),
    "visa": gettext_lazy("Exit and re-entry visa"),
    "final_exit": gettext_lazy("Final exit"),
    "issuance": gettext_lazy("Issue iqama"),
    "profession": gettext_lazy("Profession change"),
    "transfer": gettext_lazy("Transfer of services"),
    "wasel": gettext_lazy("Wasel delivery"),
    "payments": gettext_lazy("SADAD bills"),
    "exceptions": gettext_lazy("Exception requests"),
}


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can(request: HttpRequest, capability: StaffCapability) -> bool:
    return staff_can(request.user, capability)


@staff_required
def home_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "authority/home.html",
        {
            "counts": selectors.console_counts(),
            "upcoming": list(selectors.schedule_upcoming()[:10]),
        },
    )


# --- Schedule --------------------------------------------------------------------------------


@staff_required
def schedule_view(request: HttpRequest) -> HttpResponse:
    rows = selectors.schedule_overview()
    groups = [
        (GROUP_LABELS.get(name, name), list(items))
        for name, items in groupby(rows, key=lambda r: r.group)
    ]
    return render(request, "authority/schedule.html", {"groups": groups})


@staff_required(capability=StaffCapability.SUPERVISE)
def schedule_key_view(request: HttpRequest, key: str) -> HttpResponse:
    try:
        schedule_key = services.schedule_key(key)
    except DomainError:
        raise Http404 from None
    history, current_input = selectors.schedule_history(key=schedule_key)
    form = ScheduleChangeForm(
        request.POST or None,
        initial={"value": current_input, "effective_from": services.earliest_change_date()},
    )
    context: dict[str, Any] = {
        "key": schedule_key,
        "history": history,
        "form": form,
        "can_change": _can(request, StaffCapability.SUPERVISE),
        "earliest": services.earliest_change_date(),
    }
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.schedule_change_schedule(
                    actor=_actor(request),
                    key_name=schedule_key.name,
                    value_text=form.cleaned_data["value"],
                    effective_from=form.cleaned_data["effective_from"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                context["error"] = exc
                status = exc.http_status
            else:
                messages.success(request, _("The change is scheduled."))
                return HttpResponseRedirect(reverse("authority:schedule_key", args=[key]))
        else:
            status = 400
    return render(request, "authority/schedule_key.html", context, status=status)


@require_POST
@staff_required(capability=StaffCapability.SUPERVISE)
def schedule_cancel_view(request: HttpRequest, key: str, entry_id: int) -> HttpResponse:
    try:
        services.schedule_change_cancel(actor=_actor(request), entry_id=entry_id)
    except DomainError:
        raise Http404 from None
    messages.success(request, _("The scheduled change is withdrawn."))
    return HttpResponseRedirect(reverse("authority:schedule_key", args=[key]))


# --- Establishments -------------------------------------------------------------------------


@staff_required
def establishments_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    suspended_only = request.GET.get("suspended") == "1"
    return render(
        request,
        "authority/establishments.html",
        {
            "q": q,
            "suspended_only": suspended_only,
            "rows": selectors.establishments_search(q=q, suspended_only=suspended_only),
        },
    )


@staff_required(capability=StaffCapability.SUPERVISE)
def establishment_view(request: HttpRequest, moi_number: str) -> HttpResponse:
    file = selectors.establishment_file(moi_number=moi_number)
    if file is None:
        raise Http404
    form = ReasonForm(request.POST or None)
    context: dict[str, Any] = {
        "file": file,
        "est": file.establishment,
        "form": form,
        "can_suspend": _can(request, StaffCapability.SUPERVISE),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if form.is_valid() and action in ("suspend", "reactivate"):
            change = (
                services.establishment_suspend
                if action == "suspend"
                else services.establishment_reactivate
            )
            try:
                change(
                    actor=_actor(request),
                    establishment_id=file.establishment.pk,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                context["error"] = exc
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("The establishment is suspended.")
                    if action == "suspend"
                    else _("The establishment is reactivated."),
                )
                return HttpResponseRedirect(reverse("authority:establishment", args=[moi_number]))
        else:
            status = 400
    return render(request, "authority/establishment.html", context, status=status)


# --- Residents -------------------------------------------------------------------------------


@staff_required
def residents_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    return render(
        request,
        "authority/residents.html",
        {"q": q, "rows": selectors.residents_search(q=q) if q else None},
    )


@staff_required
def resident_view(request: HttpRequest, resident_id: int) -> HttpResponse:
    file = selectors.resident_file_for_staff(actor=_actor(request), resident_id=resident_id)
    if file is None:
        raise Http404
    return render(
        request,
        "authority/resident.html",
        {
            "file": file,
            "r": file.resident,
            "can_correct": _can(request, StaffCapability.OPERATE),
        },
    )


@staff_required
def resident_correct_view(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = (
        Resident.objects.select_related("nationality", "establishment")
        .filter(pk=resident_id)
        .first()
    )
    if resident is None:
        raise Http404
    initial = {f: getattr(resident, f) for f in services.CORRECTABLE_FIELDS}
    form = ResidentCorrectionForm(request.POST or None, initial=initial)
    context: dict[str, Any] = {"r": resident, "form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason")
            try:
                services.resident_correct(
                    actor=_actor(request), resident_id=resident.pk, changes=data, reason=reason
                )
            except DomainError as exc:
                context["error"] = exc
                status = exc.http_status
            else:
                messages.success(request, _("The resident's data is corrected."))
                return HttpResponseRedirect(reverse("authority:resident", args=[resident.pk]))
        else:
            status = 400
    return render(request, "authority/resident_correct.html", context, status=status)
