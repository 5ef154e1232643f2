from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, eservices_required
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.quote_token import TokenInvalid, quote_token_issue, quote_token_read

from .forms import ProfessionChangeForm
from .selectors import active_professions, profession_history_for
from .services import profession_change, profession_change_check, profession_change_get

SERVICE = ServiceType.PROFESSION_CHANGE
TEMPLATE = "profession_change/change.html"


def _form(data: Any = None, **kwargs: Any) -> ProfessionChangeForm:
    return ProfessionChangeForm(data, professions=active_professions(), **kwargs)


@eservices_required
@require_http_methods(["GET", "POST"])
def change_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = _form(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check = profession_change_check(
                actor=officer,
                iqama_number=form.cleaned_data["iqama_number"],
                new_profession_code=form.cleaned_data["profession"],
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
                        "profession": check.new_profession_code,
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
            request, TEMPLATE, {"form": _form(), "error": error}, status=error.http_status
        )
    try:
        result = profession_change(
            actor=officer,
            iqama_number=data["iqama"],
            new_profession_code=data["profession"],
            idempotency_key=idempotency_key,
            expected_version=int(data["version"]),
            expected_total_halalas=int(data["total"]),
        )
    except DomainError as exc:
        form = _form(initial={"iqama_number": data["iqama"], "profession": data["profession"]})
        return render(request, TEMPLATE, {"form": form, "error": exc}, status=exc.http_status)
    return HttpResponseRedirect(reverse("profession_change:result", args=[result.request.number]))


@eservices_required
def result_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    try:
        result = profession_change_get(actor=officer, request_number=number)
    except DomainError:
        raise Http404 from None
    resident = result.request.resident
    return render(
        request,
        "profession_change/result.html",
        {
            "request_obj": result.request,
            "change": result.change,
            "resident": resident,
            "changed_on": timezone.localdate(result.request.created_at),
            "history": profession_history_for(actor=officer, resident=resident)
            if resident is not None
            else [],
        },
    )
