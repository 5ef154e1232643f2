from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, eservices_required
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.quote_token import TokenInvalid, quote_token_issue, quote_token_read

from .forms import IssuanceForm
from .services import iqama_issuance_check, iqama_issuance_get, iqama_issue

SERVICE = ServiceType.IQAMA_ISSUANCE
TEMPLATE = "iqama_issuance/issue.html"


@eservices_required
@require_http_methods(["GET", "POST"])
def issue_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = IssuanceForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check = iqama_issuance_check(
                actor=officer, border_number=form.cleaned_data["border_number"]
            )
        except DomainError as exc:
            context["error"] = exc
            status = exc.http_status
        else:
            context["check"] = check
            if check.eligible:
                context["token"] = quote_token_issue(
                    service=SERVICE,
                    user_id=officer.pk,
                    data={
                        "border": check.resident.border_number,
                        "version": check.resident.version,
                        "total": check.quote.total_halalas,
                    },
                )
    return render(request, TEMPLATE, context, status=status)


@eservices_required
@require_POST
def confirm_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    try:
        data, idempotency_key = quote_token_read(
            service=SERVICE, user_id=officer.pk, token=request.POST.get("token", "")
        )
    except TokenInvalid:
        error = DomainError(ErrorCode.QUOTE_CHANGED)
        return render(
            request, TEMPLATE, {"form": IssuanceForm(), "error": error}, status=error.http_status
        )
    try:
        result = iqama_issue(
            actor=officer,
            border_number=data["border"],
            idempotency_key=idempotency_key,
            expected_version=int(data["version"]),
            expected_total_halalas=int(data["total"]),
        )
    except DomainError as exc:
        form = IssuanceForm(initial={"border_number": data["border"]})
        return render(request, TEMPLATE, {"form": form, "error": exc}, status=exc.http_status)
    return HttpResponseRedirect(reverse("iqama_issuance:result", args=[result.request.number]))


@eservices_required
def result_view(request: HttpRequest, number: str) -> HttpResponse:
    try:
        result = iqama_issuance_get(actor=current_officer(request), request_number=number)
    except DomainError:
        raise Http404 from None
    return render(
        request,
        "iqama_issuance/result.html",
        {
            "request_obj": result.request,
            "issuance": result.issuance,
            "delivery": result.delivery,
        },
    )
