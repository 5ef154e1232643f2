from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, eservices_required
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.fees.services import penalty_pay
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.quote_token import TokenInvalid, quote_token_issue, quote_token_read

from .forms import ExtendForm, IssueForm
from .models import Visa, VisaStatus
from .providers import visa_document_response
from .services import (
    VisaTerms,
    access_visa_by_number,
    visa_cancel,
    visa_cancel_check,
    visa_extend,
    visa_extend_check,
    visa_issue,
    visa_issue_check,
)


def _terms(data: dict[str, Any]) -> VisaTerms:
    return VisaTerms(
        visa_type=data["visa_type"],
        unit=data["duration_unit"],
        value=data.get("duration_value"),
        return_before=data.get("return_before"),
    )


@eservices_required
@require_http_methods(["GET", "POST"])
def issue_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = IssueForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        terms = _terms(form.cleaned_data)
        try:
            check = visa_issue_check(
                actor=officer, iqama_number=form.cleaned_data["iqama_number"], terms=terms
            )
        except DomainError as exc:
            context["error"] = exc
            status = exc.http_status
        else:
            context["check"] = check
            if check.eligible:
                context["token"] = quote_token_issue(
                    service=ServiceType.EXIT_REENTRY_ISSUE,
                    user_id=officer.pk,
                    data={
                        "iqama": check.resident.iqama_number,
                        "terms": terms.as_payload(),
                        "version": check.resident.version,
                        "total": check.quote.total_halalas,
                    },
                )
    return render(request, "exit_reentry/issue.html", context, status=status)


def _stale(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    error = DomainError(ErrorCode.QUOTE_CHANGED)
    return render(request, template, {**context, "error": error}, status=error.http_status)


@eservices_required
@require_POST
def issue_confirm_view(request: HttpRequest) -> HttpResponse:
    from datetime import date

    officer = current_officer(request)
    try:
        data, key = quote_token_read(
            service=ServiceType.EXIT_REENTRY_ISSUE,
            user_id=officer.pk,
            token=request.POST.get("token", ""),
        )
    except TokenInvalid:
        return _stale(request, "exit_reentry/issue.html", {"form": IssueForm()})
    t = data["terms"]
    terms = VisaTerms(
        visa_type=t["visa_type"],
        unit=t["unit"],
        value=t["value"],
        return_before=date.fromisoformat(t["return_before"]) if t["return_before"] else None,
    )
    try:
        result = visa_issue(
            actor=officer,
            iqama_number=data["iqama"],
            terms=terms,
            idempotency_key=key,
            expected_version=int(data["version"]),
            expected_total_halalas=int(data["total"]),
        )
    except DomainError as exc:
        return render(
            request,
            "exit_reentry/issue.html",
            {"form": IssueForm(), "error": exc},
            status=exc.http_status,
        )
    messages.success(request, _("The exit and re-entry visa was issued."))
    return HttpResponseRedirect(reverse("exit_reentry:visa", args=[result.visa.number]))


def _visa_or_404(request: HttpRequest, number: str) -> Visa:
    try:
        return access_visa_by_number(actor=current_officer(request), number=number)
    except DomainError:
        raise Http404 from None


@eservices_required
def visa_view(request: HttpRequest, number: str) -> HttpResponse:
    visa = _visa_or_404(request, number)
    context = {
        "visa": visa,
        "events": list(visa.events.all()),
        "can_cancel": visa.status == VisaStatus.ISSUED,
        "can_extend": visa.status == VisaStatus.USED,
        "fine": visa.unused_fine,
    }
    return render(request, "exit_reentry/visa.html", context)


@eservices_required
@require_http_methods(["GET", "POST"])
def extend_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    visa = _visa_or_404(request, number)
    form = ExtendForm(request.POST or None)
    context: dict[str, Any] = {"visa": visa, "form": form}
    if request.method == "POST" and form.is_valid():
        months = form.cleaned_data["months"]
        check = visa_extend_check(actor=officer, visa_number=number, months=months)
        context["check"] = check
        if check.eligible:
            context["token"] = quote_token_issue(
                service=ServiceType.EXIT_REENTRY_EXTEND,
                user_id=officer.pk,
                data={
                    "visa": visa.number,
                    "months": months,
                    "version": visa.version,
                    "total": check.quote.total_halalas,
                },
            )
    return render(request, "exit_reentry/extend.html", context)


@eservices_required
@require_POST
def extend_confirm_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    visa = _visa_or_404(request, number)
    try:
        data, key = quote_token_read(
            service=ServiceType.EXIT_REENTRY_EXTEND,
            user_id=officer.pk,
            token=request.POST.get("token", ""),
        )
        if data["visa"] != visa.number:
            raise TokenInvalid("quote for another visa")
    except TokenInvalid:
        return _stale(request, "exit_reentry/extend.html", {"visa": visa, "form": ExtendForm()})
    try:
        visa_extend(
            actor=officer,
            visa_number=visa.number,
            months=int(data["months"]),
            idempotency_key=key,
            expected_version=int(data["version"]),
            expected_total_halalas=int(data["total"]),
        )
    except DomainError as exc:
        return render(
            request,
            "exit_reentry/extend.html",
            {"visa": visa, "form": ExtendForm(), "error": exc},
            status=exc.http_status,
        )
    messages.success(request, _("The visa was extended."))
    return HttpResponseRedirect(reverse("exit_reentry:visa", args=[visa.number]))


@eservices_required
@require_http_methods(["GET", "POST"])
def cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    visa = _visa_or_404(request, number)
    if request.method == "POST":
        try:
            data, key = quote_token_read(
                service=ServiceType.EXIT_REENTRY_CANCEL,
                user_id=officer.pk,
                token=request.POST.get("token", ""),
            )
            if data["visa"] != visa.number:
                raise TokenInvalid("quote for another visa")
        except TokenInvalid:
            return _stale(request, "exit_reentry/cancel.html", {"visa": visa})
        try:
            visa_cancel(
                actor=officer,
                visa_number=visa.number,
                idempotency_key=key,
                expected_version=int(data["version"]),
            )
        except DomainError as exc:
            return render(
                request,
                "exit_reentry/cancel.html",
                {"visa": visa, "error": exc},
                status=exc.http_status,
            )
        messages.success(request, _("The visa was cancelled. The fee is not refunded."))
        return HttpResponseRedirect(reverse("exit_reentry:visa", args=[visa.number]))
    check = visa_cancel_check(actor=officer, visa_number=number)
    token = (
        quote_token_issue(
            service=ServiceType.EXIT_REENTRY_CANCEL,
            user_id=officer.pk,
            data={"visa": visa.number, "version": visa.version},
        )
        if check.eligible
        else None
    )
    return render(
        request, "exit_reentry/cancel.html", {"visa": visa, "check": check, "token": token}
    )


@eservices_required
def visa_pdf_view(request: HttpRequest, number: str) -> HttpResponse:
    visa = _visa_or_404(request, number)
    return visa_document_response(request=request, actor=current_officer(request), visa=visa)


@eservices_required
@require_POST
def fine_pay_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    visa = _visa_or_404(request, number)
    if visa.unused_fine is None:
        raise Http404
    try:
        penalty_pay(
            actor=officer,
            penalty_id=visa.unused_fine.pk,
            idempotency_key=f"web:fine:{visa.unused_fine.pk}",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The fine was paid."))
    return HttpResponseRedirect(reverse("exit_reentry:visa", args=[visa.number]))
