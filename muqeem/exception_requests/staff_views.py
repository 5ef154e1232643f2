"""The directorate's pages: the queue of exception requests, one request with the resident's facts
and the attachments, and the decision (supervisors only; every staff role may read)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from muqeem.accounts.access import staff_required
from muqeem.accounts.models import User
from muqeem.accounts.staff import StaffCapability, staff_can
from muqeem.core.errors import DomainError
from muqeem.fees.models import FeeCode, Penalty, PenaltyStatus

from .forms import DecisionForm, QueueFilterForm
from .models import ExceptionRequest, ExceptionStatus
from .selectors import (
    attachment_of,
    attachments_of,
    exception_request_get_for_staff,
    exception_request_queue,
)
from .services import exception_request_approve, exception_request_reject
from .views import attachment_response

PAGE_SIZE = 25


@staff_required
def list_view(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = {k: data.get(k) or "" for k in ("status", "service", "q")}
    qs = exception_request_queue(
        status=filters["status"], service_type=filters["service"], q=filters["q"]
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "exception_requests/staff_list.html",
        {
            "form": form,
            "page": page,
            "filters": filters,
            "query": f"{query}&" if query else "",
            "pending_count": ExceptionRequest.objects.filter(
                status=ExceptionStatus.PENDING
            ).count(),
        },
    )


def _facts(exception: ExceptionRequest) -> dict[str, Any]:
    resident = exception.resident
    unpaid_visa_fines = Penalty.objects.filter(
        resident=resident, status=PenaltyStatus.UNPAID, fee_code=FeeCode.UNUSED_VISA_FINE
    ).aggregate(total=Sum("amount_halalas"))["total"]
    return {
        "unpaid_visa_fines": int(unpaid_visa_fines or 0),
        "history": list(
            ExceptionRequest.objects.filter(resident=resident)
            .exclude(pk=exception.pk)
            .select_related("establishment")
            .order_by("-filed_at")[:10]
        ),
    }


@staff_required(capability=StaffCapability.SUPERVISE)
@require_http_methods(["GET", "POST"])
def detail_view(request: HttpRequest, number: str) -> HttpResponse:
    try:
        exception = exception_request_get_for_staff(number=number)
    except DomainError:
        raise Http404 from None
    user = cast(User, request.user)
    form = DecisionForm(request.POST or None)
    status = 200
    context: dict[str, Any] = {
        "exception": exception,
        "attachments": attachments_of(exception),
        "can_decide": staff_can(user, StaffCapability.SUPERVISE),
        "form": form,
        **_facts(exception),
    }
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                if d["decision"] == "approve":
                    exception_request_approve(actor=user, number=number, reason=d["reason"])
                    messages.success(request, _("The exception request was approved."))
                else:
                    exception_request_reject(actor=user, number=number, reason=d["reason"])
                    messages.success(request, _("The exception request was rejected."))
            except DomainError as exc:
                context["error"] = exc
                status = exc.http_status
            else:
                return HttpResponseRedirect(
                    reverse("exception_requests_staff:detail", args=[exception.number])
                )
        else:
            status = 400
    return render(request, "exception_requests/staff_detail.html", context, status=status)


@staff_required
def attachment_view(request: HttpRequest, number: str, attachment_id: int) -> HttpResponse:
    try:
        exception = exception_request_get_for_staff(number=number)
        attachment = attachment_of(exception, attachment_id)
    except DomainError:
        raise Http404 from None
    return attachment_response(attachment)
