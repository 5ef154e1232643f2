from __future__ import annotations

import uuid
from typing import Any

from django.core import signing
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

TOKEN_SALT = "muqeem.iqama_renewal.quote"  # noqa: S105 - a signing namespace, not a secret
# A verified quote must be confirmed within this time, or verified again.
TOKEN_MAX_AGE_SECONDS = 30 * 60


def _periods() -> list[int]:
    return schedule_at(today()).ints("renewal.periods_months")


@eservices_required
@require_http_methods(["GET", "POST"])
def renew_view(request: HttpRequest) -> HttpResponse:
    form = RenewalForm(request.POST or None, periods=_periods())
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            check = iqama_renewal_check(
                actor=current_officer(request),
                iqama_number=form.cleaned_data["iqama_number"],
                period_months=form.cleaned_data["period_months"],
            )
        except DomainError as exc:
            context["error"] = exc
        else:
            context["check"] = check
            if check.eligible:
                context["token"] = signing.dumps(
                    {
                        "iqama": check.resident.iqama_number,
                        "months": check.snapshot.period_months,
                        "version": check.resident.version,
                        "total": check.quote.total_halalas,
                        "key": uuid.uuid4().hex,
                        "user": request.user.pk,
                    },
                    salt=TOKEN_SALT,
                )
    status = 200
    if "error" in context:
        status = (
            context["error"].http_status
            if context["error"].code != ErrorCode.RESIDENT_NOT_FOUND
            else 404
        )
    return render(request, "iqama_renewal/renew.html", context, status=status)


@eservices_required
@require_POST
def confirm_view(request: HttpRequest) -> HttpResponse:
    try:
        token = signing.loads(
            request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_SECONDS
        )
    except signing.BadSignature:
        error = DomainError(ErrorCode.QUOTE_CHANGED)
        form = RenewalForm(periods=_periods())
        return render(
            request, "iqama_renewal/renew.html", {"form": form, "error": error}, status=409
        )
    try:
        result = iqama_renew(
            actor=current_officer(request),
            iqama_number=token["iqama"],
            period_months=int(token["months"]),
            idempotency_key=f"web:{token['key']}",
            expected_version=int(token["version"]),
            expected_total_halalas=int(token["total"]),
        )
    except DomainError as exc:
        form = RenewalForm(
            initial={"iqama_number": token["iqama"], "period_months": token["months"]},
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
