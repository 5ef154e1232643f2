from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, eservices_required
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.eservices.iqama_renewal.forms import RenewalForm
from muqeem.eservices.iqama_renewal.services import (
    iqama_renew,
    iqama_renewal_check,
    iqama_renewal_get,
)
from muqeem.fees.selectors import schedule_at
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.quote_token import TokenInvalid, quote_token_issue, quote_token_read

SERVICE = ServiceType.IQAMA_RENEWAL


def _periods() -> list[int]:
    return schedule_at(today()).ints("renewal.periods_months")


@eservices_required
@require_http_methods(["GET", "POST"])
def renew_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = RenewalForm(request.POST or None, periods=_periods())
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check = iqama_renewal_check(
                actor=officer,
                iqama_number=form.cleaned_data["iqama_number"],
                period_months=form.cleaned_data["period_months"],
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
                        "iqama": check.resident.iqama_number,
                        "months": check.snapshot.period_months,
                        "version": check.resident.version,
                        "total": check.quote.total_halalas,
                    },
                )
    return render(request, "iqama_renewal/renew.html", context, status=status)


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
        form = RenewalForm(periods=_periods())
        return render(
            request,
            "iqama_renewal/renew.html",
            {"form": form, "error": error},
            status=error.http_status,
        )
    try:
        result = iqama_renew(
            actor=officer,
            iqama_number=data["iqama"],
            period_months=int(data["months"]),
            idempotency_key=idempotency_key,
            expected_version=int(data["version"]),
            expected_total_halalas=int(data["total"]),
        )
    except DomainError as exc:
        form = RenewalForm(
            initial={"iqama_number": data["iqama"], "period_months": data["months"]},
            periods=_periods(),
        )
        return render(
            request,
            "iqama_renewal/renew.html",
            {"form": form, "error": exc},
            status=exc.http_status,
        )
    return HttpResponseRedirect(reverse("iqama_renewal:result", args=[result.request.number]))


@eservices_required
def result_view(request: HttpRequest, number: str) -> HttpResponse:
    try:
        result = iqama_renewal_get(actor=current_officer(request), request_number=number)
    except DomainError:
        raise Http404 from None
    return render(
        request,
        "iqama_renewal/result.html",
        {"result": result, "request_obj": result.request, "renewal": result.renewal},
    )
