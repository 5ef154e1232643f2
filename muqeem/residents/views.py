from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.accounts.models import User
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.cache import establishment_cached
from muqeem.core.dates import today
from muqeem.core.db_router import reads_from_replica
from muqeem.core.errors import DomainError
from muqeem.documents.pdf import render_pdf
from muqeem.reports.exports import workbook_response
from muqeem.reports.forms import ResidentFilterForm
from muqeem.reports.resident_exports import residents_workbook
from muqeem.reports.residents import (
    PAGE_SIZE,
    PDF_MAX_ROWS,
    ResidentFilters,
    keyset_page,
    ordered,
    resident_search,
)
from muqeem.residents.selectors import (
    access_resident_by_iqama_number,
    parse_iqama_number,
    resident_file,
)


@establishment_required
def find_view(request: HttpRequest) -> HttpResponse:
    """The home page's "resident file" search box."""
    try:
        number = parse_iqama_number(request.GET.get("iqama_number", ""))
    except DomainError as exc:
        return render(request, "residents/not_found.html", {"error": exc}, status=exc.http_status)
    return HttpResponseRedirect(reverse("residents:file", args=[number]))


@establishment_required
def file_view(request: HttpRequest, iqama_number: str) -> HttpResponse:
    officer = current_officer(request)
    try:
        resident = access_resident_by_iqama_number(
            actor=officer, iqama_number=parse_iqama_number(iqama_number)
        )
    except DomainError as exc:
        if request.GET.get("from") == "search":
            return render(
                request, "residents/not_found.html", {"error": exc}, status=exc.http_status
            )
        raise Http404 from None
    audit_record(event_type=AuditEventType.RESIDENT_VIEWED, actor=officer, resident=resident)
    return render(request, "residents/file.html", resident_file(resident=resident))


# --- The residents list and its exports ---------------------------------------------------------


def _search(
    request: HttpRequest,
) -> tuple[User, ResidentFilterForm, ResidentFilters, dict[str, str]]:
    """The officer, the filter form, the valid filters, and the filter parameters to carry into
    the page, sort and export links (the cursor is left out: it belongs to one page)."""
    officer = current_officer(request)
    form = ResidentFilterForm(request.GET or None)
    filters = form.filters()
    params = {
        name: str(value)
        for name, value in request.GET.items()
        if name in form.fields and value and name not in form.errors
    }
    return officer, form, filters, params


def _filters_key(filters: ResidentFilters) -> str:
    blob = json.dumps(vars(filters), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _audit_export(officer: User, filters: ResidentFilters, *, via: str, count: int) -> None:
    audit_record(
        event_type=AuditEventType.RESIDENT_SEARCHED,
        actor=officer,
        extra={"via": via, "filters": filters.used(), "count": count},
    )


@establishment_required
def list_view(request: HttpRequest) -> HttpResponse:
    """Search, filter, sort and page through the establishment's residents."""
    officer, form, filters, params = _search(request)
    on = today()
    qs = resident_search(actor=officer, filters=filters, on=on)
    page = keyset_page(
        qs.select_related("nationality", "profession"),
        sort=filters.sort,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        size=PAGE_SIZE,
    )
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        # Counting 100,000 rows costs more than the page itself: the count of a search is cached
        # with the dashboard's figures (refreshed by the establishment's own transactions).
        "total": establishment_cached(
            officer.establishment_id or 0,
            "residents-count:" + on.isoformat() + ":" + _filters_key(filters),
            qs.count,
        ),
        "params": params,
        "page_size": PAGE_SIZE,
        "pdf_max_rows": PDF_MAX_ROWS,
        "today": today(),
    }
    return render(request, "residents/list.html", context)


@establishment_required
@reads_from_replica
def export_xlsx_view(request: HttpRequest) -> HttpResponse:
    """Every resident the list's filters match, as .xlsx, however many (memory stays flat)."""
    officer, _form, filters, _params = _search(request)
    qs = ordered(resident_search(actor=officer, filters=filters, on=today()), sort=filters.sort)
    workbook, count = residents_workbook(qs)
    _audit_export(officer, filters, via="xlsx", count=count)
    return workbook_response(workbook, filename=f"residents-{today().isoformat()}.xlsx")


@establishment_required
@reads_from_replica
def export_pdf_view(request: HttpRequest) -> HttpResponse:
    """The first `PDF_MAX_ROWS` residents the list's filters match, printable (the page says so;
    the spreadsheet has them all)."""
    officer, _form, filters, _params = _search(request)
    qs = resident_search(actor=officer, filters=filters, on=today())
    rows = list(
        ordered(qs, sort=filters.sort).select_related("nationality", "profession")[
            : PDF_MAX_ROWS + 1
        ]
    )
    truncated = len(rows) > PDF_MAX_ROWS
    rows = rows[:PDF_MAX_ROWS]
    total = qs.count() if truncated else len(rows)
    establishment = officer.establishment
    language = get_language() or "ar"
    pdf = render_pdf(
        "reports/residents_pdf.html",
        {
            "establishment": establishment,
            "residents": rows,
            "total": total,
            "truncated": truncated,
            "max_rows": PDF_MAX_ROWS,
            "issued_on": today(),
        },
        language=language,
    )
    _audit_export(officer, filters, via="pdf", count=len(rows))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="residents-{today().isoformat()}.pdf"'
    return response
