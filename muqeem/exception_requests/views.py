"""Establishment pages: file an exception request (from a refusal), follow them, withdraw one."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, eservices_required, establishment_required
from muqeem.core.errors import DomainError
from muqeem.workflow.machine import ServiceType

from .attachments import MAX_ATTACHMENT_MB, MAX_ATTACHMENTS
from .forms import FileForm, StatusFilterForm
from .models import ExceptionAttachment
from .selectors import (
    access_exception_request_by_number,
    attachment_of,
    attachments_of,
    exception_request_list_for_establishment,
)
from .services import Upload, exception_request_file, exception_request_withdraw
from .waivers import WAIVERS

PAGE_SIZE = 20


@establishment_required
def list_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(
        exception_request_list_for_establishment(actor=officer, status=status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "exception_requests/list.html",
        {
            "form": form,
            "page": page,
            "status": status,
            "query": f"status={status}&" if status else "",
        },
    )


@eservices_required
@require_http_methods(["GET", "POST"])
def file_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    files = request.FILES.getlist("attachments")
    if request.method == "POST":
        form = FileForm(request.POST, files_count=len(files))
    else:
        form = FileForm(
            initial={
                "iqama_number": request.GET.get("iqama", ""),
                "code": request.GET.getlist("code"),
            }
        )
    context: dict[str, Any] = {
        "form": form,
        "max_files": MAX_ATTACHMENTS,
        "max_mb": MAX_ATTACHMENT_MB,
        "waivers": [
            {"code": w.code, "service": ServiceType(w.service_type).label, "waives": w.waives}
            for w in WAIVERS.values()
        ],
    }
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                exception = exception_request_file(
                    actor=officer,
                    iqama_number=form.cleaned_data["iqama_number"],
                    codes=form.cleaned_data["code"],
                    reason=form.cleaned_data["reason"],
                    uploads=[Upload(name=f.name or "", size=f.size or 0, stream=f) for f in files],
                )
            except DomainError as exc:
                context["error"] = exc
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("Exception request {number} was sent to the passports directorate.").format(
                        number=exception.number
                    ),
                )
                return HttpResponseRedirect(
                    reverse("exception_requests:detail", args=[exception.number])
                )
        else:
            status = 400
    return render(request, "exception_requests/file.html", context, status=status)


@establishment_required
def detail_view(request: HttpRequest, number: str) -> HttpResponse:
    try:
        exception = access_exception_request_by_number(
            actor=current_officer(request), number=number
        )
    except DomainError:
        raise Http404 from None
    return render(
        request,
        "exception_requests/detail.html",
        {"exception": exception, "attachments": attachments_of(exception)},
    )


@establishment_required
@require_POST
def withdraw_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    try:
        exception = access_exception_request_by_number(actor=officer, number=number)
    except DomainError:
        raise Http404 from None
    try:
        exception_request_withdraw(actor=officer, number=exception.number)
    except DomainError as exc:
        return render(
            request,
            "exception_requests/detail.html",
            {"exception": exception, "attachments": attachments_of(exception), "error": exc},
            status=exc.http_status,
        )
    messages.success(request, _("The exception request was withdrawn."))
    return HttpResponseRedirect(reverse("exception_requests:detail", args=[exception.number]))


def attachment_response(attachment: ExceptionAttachment) -> HttpResponse:
    """The stored file as a download, with the type detected when it was uploaded."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)


@establishment_required
def attachment_view(request: HttpRequest, number: str, attachment_id: int) -> HttpResponse:
    try:
        exception = access_exception_request_by_number(
            actor=current_officer(request), number=number
        )
        attachment = attachment_of(exception, attachment_id)
    except DomainError:
        raise Http404 from None
    return attachment_response(attachment)
