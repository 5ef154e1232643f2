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
from muqeem.workflow.machine import RequestStatus, ServiceType
from muqeem.workflow.quote_token import TokenInvalid, quote_token_issue, quote_token_read

from .forms import ConsentForm, RejectForm, TransferRequestForm
from .models import TransferRequest
from .services import (
    access_transfer,
    transfer_approve,
    transfer_consent,
    transfer_reject,
    transfer_request_check,
    transfer_request_create,
    transfer_withdraw,
    transfers_for_establishment,
    transfers_inbox,
)

SERVICE = ServiceType.SERVICE_TRANSFER


@eservices_required
@require_http_methods(["GET", "POST"])
def request_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = TransferRequestForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check = transfer_request_check(
                actor=officer,
                iqama_number=form.cleaned_data["iqama_number"],
                sponsor_moi=form.cleaned_data["sponsor_moi"],
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
                        "iqama": form.cleaned_data["iqama_number"],
                        "moi": form.cleaned_data["sponsor_moi"],
                        "total": check.quote.total_halalas,
                    },
                )
    return render(request, "service_transfer/request.html", context, status=status)


@eservices_required
@require_POST
def request_confirm_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    try:
        data, key = quote_token_read(
            service=SERVICE, user_id=officer.pk, token=request.POST.get("token", "")
        )
    except TokenInvalid:
        error = DomainError(ErrorCode.QUOTE_CHANGED)
        return render(
            request,
            "service_transfer/request.html",
            {"form": TransferRequestForm(), "error": error},
            status=409,
        )
    try:
        result = transfer_request_create(
            actor=officer,
            iqama_number=data["iqama"],
            sponsor_moi=data["moi"],
            idempotency_key=key,
            expected_total_halalas=int(data["total"]),
        )
    except DomainError as exc:
        return render(
            request,
            "service_transfer/request.html",
            {"form": TransferRequestForm(), "error": exc},
            status=exc.http_status,
        )
    messages.success(request, _("The transfer request was sent to the current sponsor."))
    return HttpResponseRedirect(
        reverse("service_transfer:detail", args=[result.transfer.request.number])
    )


@eservices_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    return render(
        request,
        "service_transfer/list.html",
        {
            "pending": transfers_inbox(actor=officer),
            "transfers": transfers_for_establishment(actor=officer, incoming=True),
            "incoming": True,
        },
    )


@eservices_required
def outgoing_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    return render(
        request,
        "service_transfer/list.html",
        {
            "transfers": transfers_for_establishment(actor=officer, incoming=False),
            "incoming": False,
        },
    )


def _transfer_or_404(request: HttpRequest, number: str) -> TransferRequest:
    try:
        return access_transfer(actor=current_officer(request), number=number)
    except DomainError:
        raise Http404 from None


@eservices_required
def detail_view(request: HttpRequest, number: str) -> HttpResponse:
    return _render_detail(request, number)


def _render_detail(
    request: HttpRequest, number: str, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    officer = current_officer(request)
    transfer = _transfer_or_404(request, number)
    pending = transfer.request.status == RequestStatus.SUBMITTED
    context = {
        "transfer": transfer,
        "req": transfer.request,
        "events": list(transfer.request.events.all()),
        "is_current_sponsor": transfer.from_establishment_id == officer.establishment_id,
        "is_new_sponsor": transfer.to_establishment_id == officer.establishment_id,
        "pending": pending,
        "reject_form": RejectForm(),
        "consent_form": ConsentForm(),
        "error": error,
    }
    return render(request, "service_transfer/detail.html", context, status=status)


def _act(request: HttpRequest, number: str, action: Any, success: str) -> HttpResponse:
    _transfer_or_404(request, number)
    try:
        action()
    except DomainError as exc:
        return _render_detail(request, number, error=exc, status=exc.http_status)
    messages.success(request, success)
    return HttpResponseRedirect(reverse("service_transfer:detail", args=[number]))


@eservices_required
@require_POST
def approve_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    return _act(
        request,
        number,
        lambda: transfer_approve(actor=officer, number=number),
        _("The transfer was approved."),
    )


@eservices_required
@require_POST
def reject_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        number,
        lambda: transfer_reject(actor=officer, number=number, reason=reason),
        _("The transfer was rejected."),
    )


@eservices_required
@require_POST
def withdraw_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    return _act(
        request,
        number,
        lambda: transfer_withdraw(actor=officer, number=number),
        _("The request was withdrawn."),
    )


@eservices_required
@require_POST
def consent_view(request: HttpRequest, number: str) -> HttpResponse:
    officer = current_officer(request)
    code = request.POST.get("code", "")
    return _act(
        request,
        number,
        lambda: transfer_consent(actor=officer, number=number, code=code),
        _("The worker's consent was recorded."),
    )
