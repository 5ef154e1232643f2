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

from .forms import PassportUpdateForm
from .rules import NewPassport
from .services import passport_update, passport_update_check, passport_update_get

SERVICE = ServiceType.PASSPORT_UPDATE
TEMPLATE = "passport_update/update.html"


@eservices_required
@require_http_methods(["GET", "POST"])
def update_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = PassportUpdateForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new = NewPassport.of(
            number=data["passport_number"],
            issue_date=data["issue_date"],
            expiry_date=data["expiry_date"],
        )
        try:
            check = passport_update_check(actor=officer, iqama_number=data["iqama_number"], new=new)
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
                        "iqama": check.resident.iqama_number,
                        "passport": new.as_payload(),
                        "version": check.resident.version,
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
            request,
            TEMPLATE,
            {"form": PassportUpdateForm(), "error": error},
            status=error.http_status,
        )
    new = NewPassport.from_payload(data["passport"])
    try:
        result = passport_update(
            actor=officer,
            iqama_number=data["iqama"],
            new=new,
            idempotency_key=idempotency_key,
            expected_version=int(data["version"]),
        )
    except DomainError as exc:
        form = PassportUpdateForm(
            initial={
                "iqama_number": data["iqama"],
                "passport_number": new.number,
                "issue_date": new.issue_date,
                "expiry_date": new.expiry_date,
            }
        )
        return render(request, TEMPLATE, {"form": form, "error": exc}, status=exc.http_status)
    return HttpResponseRedirect(reverse("passport_update:result", args=[result.request.number]))


@eservices_required
def result_view(request: HttpRequest, number: str) -> HttpResponse:
    try:
        result = passport_update_get(actor=current_officer(request), request_number=number)
    except DomainError:
        raise Http404 from None
    return render(
        request,
        "passport_update/result.html",
        {
            "request_obj": result.request,
            "update": result.update,
            "previous": result.update.previous_passport,
        },
    )
