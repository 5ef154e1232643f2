"""Staff pages: a resident's agency facts with a form per fact, traffic fines, and CSV imports.

Every staff role reads; changing needs the operator capability (`staff_required` on POST, and the
services check again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from muqeem.accounts.access import staff_required
from muqeem.accounts.models import User
from muqeem.accounts.staff import StaffCapability, staff_can
from muqeem.core.dates import format_dual, today
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.ids import normalize_digits
from muqeem.core.money import Money, riyals
from muqeem.residents.models import Resident
from muqeem.workflow.evaluation import resident_facts
from muqeem.workflow.rules import (
    ResidentFacts,
    evaluate,
    rule_fingerprint_registered,
    rule_insurance_active,
    rule_no_unpaid_traffic_fines,
    rule_not_reported_absent,
)

from . import imports
from .forms import (
    AbsenceForm,
    FineIssueForm,
    FinePayForm,
    FingerprintForm,
    ImportForm,
    InsuranceForm,
    LookupForm,
    VehiclesForm,
)
from .models import AgencyImport, ImportKind, TrafficFine, TrafficFineStatus
from .selectors import (
    recent_imports,
    resident_by_iqama_number,
    resident_fines,
    resident_records,
    traffic_fines_qs,
)
from .services import (
    ImportInvalid,
    absence_report,
    absence_withdraw,
    agency_import_apply,
    agency_import_check,
    fine_number_text,
    fingerprint_registered_set,
    insurance_status_set,
    traffic_fine_issue,
    traffic_fine_pay,
    vehicles_count_set,
)

PAGE_SIZE = 50
AGENCY_RULES = (
    rule_insurance_active,
    rule_no_unpaid_traffic_fines,
    rule_not_reported_absent,
    rule_fingerprint_registered,
)
FIELD_LABELS = {
    "insurance_active": gettext_lazy("Insurance active"),
    "insurance_expiry_date": gettext_lazy("Insurance expiry date"),
    "fingerprint_registered": gettext_lazy("Fingerprint registered"),
    "registered_vehicles": gettext_lazy("Registered vehicles"),
    "absent_from_work_reported": gettext_lazy("Absence from work reported"),
    "traffic_fine": gettext_lazy("New traffic fine"),
    "traffic_fine_paid": gettext_lazy("Traffic fine paid"),
    "unpaid_traffic_fines_halalas": gettext_lazy("Unpaid traffic fines"),
    "status": gettext_lazy("Status"),
}
MONEY_FIELDS = frozenset(
    {"traffic_fine", "traffic_fine_paid", "unpaid_traffic_fines_halalas", "amount_halalas"}
)


@dataclass(frozen=True)
class FactsSnapshot:
    """The shared rules' snapshot, for the blockers the agency facts cause on their own."""

    facts: ResidentFacts


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def show_value(name: str, value: Any) -> str:
    """A stored fact value as the page shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in MONEY_FIELDS and isinstance(value, int):
        return str(Money(value))
    if isinstance(value, str) and name.endswith("_date"):
        try:
            return format_dual(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def change_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "row": c.get("row"),
            "iqama_number": c.get("iqama_number", ""),
            "field": FIELD_LABELS.get(c["field"], c["field"]),
            "old": show_value(c["field"], c.get("old")),
            "new": show_value(c["field"], c.get("new")),
        }
        for c in changes
    ]


def record_rows(records: list[Any]) -> list[dict[str, Any]]:
    out = []
    for record in records:
        names = [n for n in record.new if n in FIELD_LABELS]
        out.append(
            {
                "record": record,
                "changes": [
                    {
                        "field": FIELD_LABELS[n],
                        "old": show_value(n, record.old.get(n)),
                        "new": show_value(n, record.new.get(n)),
                    }
                    for n in names
                ],
            }
        )
    return out


def _index_url(iqama_number: str) -> str:
    return reverse("agency:index") + "?" + urlencode({"iqama_number": iqama_number})


def _resident_context(resident: Resident, **forms: Any) -> dict[str, Any]:
    on = today()
    facts = resident_facts(resident=resident, establishment=resident.establishment, today=on)
    return {
        "resident": resident,
        "blockers": evaluate(AGENCY_RULES, FactsSnapshot(facts)),
        "unpaid": Money(resident.unpaid_traffic_fines_halalas),
        "fines": list(resident_fines(resident)),
        "records": record_rows(resident_records(resident)),
        "insurance_form": forms.get("insurance")
        or InsuranceForm(
            initial={
                "active": "1" if resident.insurance_active else "0",
                "expiry_date": resident.insurance_expiry_date,
            }
        ),
        "fingerprint_form": forms.get("fingerprint")
        or FingerprintForm(initial={"registered": "1" if resident.fingerprint_registered else "0"}),
        "vehicles_form": forms.get("vehicles")
        or VehiclesForm(initial={"count": resident.registered_vehicles}),
        "fine_form": forms.get("fine") or FineIssueForm(initial={"issued_on": on}),
    }


def _base_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "can_operate": staff_can(request.user, StaffCapability.OPERATE),
        "import_kinds": ImportKind.choices,
    }


@staff_required
def index_view(request: HttpRequest) -> HttpResponse:
    """Look up a resident by iqama number; their agency facts, each with its form."""
    context = _base_context(request)
    form = LookupForm(request.GET or None)
    context["form"] = form
    status = 200
    if request.GET.get("iqama_number") and form.is_valid():
        try:
            resident = resident_by_iqama_number(form.cleaned_data["iqama_number"])
        except DomainError as exc:
            status = exc.http_status
            if exc.code == ErrorCode.RESIDENT_UNKNOWN:
                # The registry has no such resident (the code's text speaks to establishments).
                context["not_found"] = True
            else:
                context["error"] = exc
        else:
            context.update(_resident_context(resident))
    return render(request, "agency/index.html", context, status=status)


FACT_FORMS: dict[str, type[Any]] = {
    "insurance": InsuranceForm,
    "fingerprint": FingerprintForm,
    "vehicles": VehiclesForm,
    "absence": AbsenceForm,
    "fine": FineIssueForm,
}


def _apply_fact(fact: str, actor: User, iqama_number: str, data: dict[str, Any]) -> str:
    """Run the fact's service; the message to show."""
    if fact == "insurance":
        result = insurance_status_set(
            iqama_number=iqama_number,
            active=data["active"],
            expiry_date=data["expiry_date"],
            actor=actor,
        )
    elif fact == "fingerprint":
        result = fingerprint_registered_set(
            iqama_number=iqama_number, registered=data["registered"], actor=actor
        )
    elif fact == "vehicles":
        result = vehicles_count_set(iqama_number=iqama_number, count=data["count"], actor=actor)
    elif fact == "absence":
        service = absence_report if data["action"] == "report" else absence_withdraw
        result = service(iqama_number=iqama_number, actor=actor)
    else:
        fine = traffic_fine_issue(
            number=data["fine_number"],
            iqama_number=iqama_number,
            amount_halalas=riyals(Decimal(data["amount"])),
            violation=data["violation"],
            issued_on=data["issued_on"],
            actor=actor,
        )
        if fine.replayed:
            return _("This traffic fine was already recorded.")
        return _("The traffic fine was recorded.")
    return _("The change was recorded.") if result.changed else _("Nothing changed.")


@staff_required
@require_POST
def fact_update_view(request: HttpRequest, iqama_number: str, fact: str) -> HttpResponse:
    if fact not in FACT_FORMS:
        raise Http404
    actor = _actor(request)
    form = FACT_FORMS[fact](request.POST)
    error: DomainError | None = None
    if form.is_valid():
        try:
            message = _apply_fact(fact, actor, iqama_number, form.cleaned_data)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, message)
            return HttpResponseRedirect(_index_url(iqama_number))
    else:
        error = DomainError(ErrorCode.VALIDATION_FAILED)
    try:
        resident = resident_by_iqama_number(iqama_number)
    except DomainError as exc:
        raise Http404 from exc
    context = _base_context(request)
    context.update(_resident_context(resident, **{fact: form}))
    context["form"] = LookupForm(initial={"iqama_number": resident.iqama_number})
    context["error"] = error
    context["error_fact"] = fact
    return render(request, "agency/index.html", context, status=error.http_status)


@staff_required
@require_POST
def fine_pay_view(request: HttpRequest, number: str) -> HttpResponse:
    form = FinePayForm(request.POST)
    fine = TrafficFine.objects.select_related("resident").filter(number=number).first()
    if fine is None:
        raise Http404
    back = _index_url(fine.resident.iqama_number or "")
    if request.POST.get("next") == "fines":
        back = reverse("agency:fines")
    if form.is_valid():
        try:
            traffic_fine_pay(
                number=number,
                payment_reference=form.cleaned_data["payment_reference"],
                actor=_actor(request),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The payment of the traffic fine was recorded."))
    else:
        messages.error(request, _("The payment reference is longer than 60 characters."))
    return HttpResponseRedirect(back)


@staff_required
def fines_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "issued")
    q = fine_number_text(request.GET.get("q", ""))[:30]
    fines = traffic_fines_qs()
    if status in TrafficFineStatus.values:
        fines = fines.filter(status=status)
    else:
        status = ""
    if q:
        fines = fines.filter(Q(number=q) | Q(resident__iqama_number=normalize_digits(q)))
    page = Paginator(fines, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _base_context(request)
    context.update(
        {
            "page": page,
            "status": status,
            "q": q,
            "statuses": TrafficFineStatus.choices,
            "page_query": urlencode({"status": status, "q": q}) + "&",
        }
    )
    return render(request, "agency/fines.html", context)


def _kind(kind: str) -> ImportKind:
    if kind not in ImportKind.values:
        raise Http404
    return ImportKind(kind)


@staff_required
def import_view(request: HttpRequest, kind: str) -> HttpResponse:
    import_kind = _kind(kind)
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    context = _base_context(request)
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        upload = form.cleaned_data["file"]
        try:
            if upload.size > imports.MAX_FILE_BYTES:
                raise DomainError(
                    ErrorCode.BULK_FILE_TOO_LARGE,
                    {"max_mb": imports.MAX_FILE_BYTES // 1024 // 1024},
                )
            agency_import = agency_import_check(
                kind=import_kind,
                data=upload.read(imports.MAX_FILE_BYTES + 1),
                filename=upload.name or "",
                actor=_actor(request),
            )
        except DomainError as exc:
            context["error"] = exc
            status = exc.http_status
        else:
            return HttpResponseRedirect(
                reverse("agency:import_detail", args=[import_kind.value, agency_import.pk])
            )
    context.update(
        {
            "kind": import_kind,
            "form": form,
            "columns": imports.COLUMNS[import_kind],
            "header_text": [imports.header_text(c) for c in imports.COLUMNS[import_kind]],
            "recent": recent_imports(import_kind),
        }
    )
    return render(request, "agency/import.html", context, status=status)


@staff_required
def import_template_view(request: HttpRequest, kind: str) -> HttpResponse:
    import_kind = _kind(kind)
    response = HttpResponse(imports.template_csv(import_kind), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="agency-{import_kind.value}.csv"'
    return response


def _import_context(request: HttpRequest, agency_import: AgencyImport) -> dict[str, Any]:
    context = _base_context(request)
    previous = (
        AgencyImport.objects.filter(
            kind=agency_import.kind, sha256=agency_import.sha256, status="applied"
        )
        .exclude(pk=agency_import.pk)
        .only("pk", "applied_at")
        .first()
    )
    context.update(
        {
            "kind": ImportKind(agency_import.kind),
            "imp": agency_import,
            "changes": change_rows(agency_import.changes),
            "row_errors": agency_import.errors,
            "same_file_applied": previous,
        }
    )
    return context


@staff_required
def import_detail_view(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    import_kind = _kind(kind)
    agency_import = AgencyImport.objects.filter(pk=pk, kind=import_kind).first()
    if agency_import is None:
        raise Http404
    return render(request, "agency/import_detail.html", _import_context(request, agency_import))


@staff_required
@require_POST
def import_confirm_view(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    import_kind = _kind(kind)
    if not AgencyImport.objects.filter(pk=pk, kind=import_kind).exists():
        raise Http404
    try:
        result = agency_import_apply(agency_import_id=pk, actor=_actor(request))
    except ImportInvalid as exc:
        agency_import = AgencyImport.objects.get(pk=pk)
        context = _import_context(request, agency_import)
        context["error"] = exc
        return render(request, "agency/import_detail.html", context, status=exc.http_status)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if result.replayed:
            messages.info(request, _("This file was already applied; nothing changed."))
        else:
            messages.success(request, _("The file was applied."))
    return HttpResponseRedirect(reverse("agency:import_detail", args=[import_kind.value, pk]))
