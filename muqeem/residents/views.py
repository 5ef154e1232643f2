from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.errors import DomainError
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
