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
from muqeem.documents.responses import printed_document_response
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.quote_token import TokenInvalid, quote_token_issue, quote_token_read

from .forms import FinalExitForm, ProbationForm
from .models import FinalExit, FinalExitKind, FinalExitStatus
from .providers import FINAL_EXIT_DOCUMENT_KIND
from .services import (
    access_final_exit_by_number,
    final_exit_cancel,
    final_exit_cancel_check,
    final_exit_check,
    final_exit_issue,
)

TEMPLATES: dict[str, str] = {
    FinalExitKind.REGULAR: "final_exit/issue.html",
    FinalExitKind.PROBATION: "final_exit/probation.html",
}


def _issue(request: HttpRequest, kind: str) -> HttpResponse:
    officer = current_officer(request)
    form_class = ProbationForm if kind == FinalExitKind.PROBATION else FinalExitForm
    field = "border_number" if kind == FinalExitKind.PROBATION else "iqama_number"
    form = form_class(request.POST or None)
    context: dict[str, Any] = {"form": form, "kind": kind}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check = final_exit_check(actor=officer, identifier=form.cleaned_data[field], kind=kind)
        except DomainError as exc:
            context["error"] = exc
            status = exc.http_status
        else:
            context["check"] = check
            context["dependents"] = [d for d in check.resident.dependents.all() if d.is_active]
            if check.eligible:
                context["token"] = quote_token_issue(
                    service=ServiceType.FINAL_EXIT_ISSUE,
                    user_id=officer.pk,
                    data={
                        "id": form.cleaned_data[field],
                        "kind": kind,
                        "version": check.resident.version,
                        "total": check.quote.total_halalas,
                    },
                )
    return render(request, TEMPLATES[kind], context, status=status)


@eservices_required
@require_http_methods(["GET", "POST"])
def issue_view(request: HttpRequest) -> HttpResponse:
    return _issue(request, FinalExitKind.REGULAR)


@eservices_required
@require_http_methods(["GET", "POST"])
def probation_view(request: HttpRequest) -> HttpResponse:
    return _issue(request, FinalExitKind.PROBATION)


@eservices_required
@require_POST
def issue_confirm_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    try:
        data, key = quote_token_read(
            service=ServiceType.FINAL_EXIT_ISSUE,
            user_id=officer.pk,
            token=request.POST.get("token", ""),
        )
    except TokenInvalid:
        error = DomainError(ErrorCode.QUOTE_CHANGED)
        return render(
            request,
            TEMPLATES[FinalExitKind.REGULAR],
            {"form": FinalExitForm(), "error": error},
            status=409,
        )
    kind = data["kind"]
    # isascii: "²" and "٣" are digits to isdigit() but not to int(); 18 digits fit a bigint.
    dependent_ids = [
        int(x)
        for x in request.POST.getlist("dependents")
        if x.isascii() and x.isdigit() and len(x) <= 18
    ]
    try:
        result = final_exit_issue(
            actor=officer,
            identifier=data["id"],
            kind=kind,
            dependent_ids=dependent_ids,
            idempotency_key=key,
            expected_version=int(data["version"]),
            expected_total_halalas=int(data["total"]),
        )
    except DomainError as exc:
        form = ProbationForm() if kind == FinalExitKind.PROBATION else FinalExitForm()
        return render(
            request,
            TEMPLATES[kind],
            {"form": form, "error": exc, "kind": kind},
            status=exc.http_status,
        )
    messages.success(request, _("The final exit visa was issued."))
    return HttpResponseRedirect(reverse("final_exit:detail", args=[result.final_exit.number]))


def _final_exit_or_404(request: HttpRequest, number: str) -> FinalExit:
    try:
        return access_final_exit_by_number(actor=current_officer(request), number=number)
    except DomainError:
        raise Http404 from None


@eservices_required
def detail_view(request: HttpRequest, number: str) -> HttpResponse:
    final_exit = _final_exit_or_404(request, number)
    can_cancel = final_exit.kind == FinalExitKind.REGULAR and final_exit.status in (
        FinalExitStatus.ISSUED,
        FinalExitStatus.EXPIRED,
    )
    return render(
        request,
        "final_exit/detail.html",
        {
            "final_exit": final_exit,
            "dependents": list(final_exit.dependents.all()),
            "can_cancel": can_cancel,
        },
    )


@eservices_required
@require_http_methods(["GET", "POST"])
def cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    final_exit = _final_exit_or_404(request, number)
    if request.method == "POST":
        try:
            data, key = quote_token_read(
                service=ServiceType.FINAL_EXIT_CANCEL,
                user_id=officer.pk,
                token=request.POST.get("token", ""),
            )
            if data["number"] != final_exit.number:
                raise TokenInvalid("quote for another final exit")
        except TokenInvalid:
            error = DomainError(ErrorCode.QUOTE_CHANGED)
            return render(
                request,
                "final_exit/cancel.html",
                {"final_exit": final_exit, "error": error},
                status=409,
            )
        try:
            final_exit_cancel(
                actor=officer,
                number=final_exit.number,
                idempotency_key=key,
                expected_version=int(data["version"]),
                expected_total_halalas=int(data["total"]),
            )
        except DomainError as exc:
            return render(
                request,
                "final_exit/cancel.html",
                {"final_exit": final_exit, "error": exc},
                status=exc.http_status,
            )
        messages.success(request, _("The final exit visa was cancelled."))
        return HttpResponseRedirect(reverse("final_exit:detail", args=[final_exit.number]))
    check = final_exit_cancel_check(actor=officer, number=number)
    token = (
        quote_token_issue(
            service=ServiceType.FINAL_EXIT_CANCEL,
            user_id=officer.pk,
            data={
                "number": final_exit.number,
                "version": final_exit.version,
                "total": check.quote.total_halalas,
            },
        )
        if check.eligible
        else None
    )
    return render(
        request,
        "final_exit/cancel.html",
        {"final_exit": final_exit, "check": check, "token": token},
    )


@eservices_required
def pdf_view(request: HttpRequest, number: str) -> HttpResponse:
    final_exit = _final_exit_or_404(request, number)
    return printed_document_response(
        request=request,
        actor=current_officer(request),
        kind=FINAL_EXIT_DOCUMENT_KIND,
        object_id=final_exit.pk,
        establishment=final_exit.establishment,
        resident=final_exit.resident,
        service_request=final_exit.request,
        template="final_exit/document.html",
        context={
            "final_exit": final_exit,
            "resident": final_exit.resident,
            "dependents": list(final_exit.dependents.all()),
            "issued_on": final_exit.issued_on,
        },
        filename=f"final-exit-{final_exit.number}.pdf",
    )
