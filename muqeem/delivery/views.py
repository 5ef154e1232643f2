"""Wasel pages of the establishment: its deliveries, one delivery's timeline, and ordering a
replacement card (verify data → confirm)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, eservices_required
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.quote_token import TokenInvalid, quote_token_issue, quote_token_read

from .forms import DeliveryFilterForm, ReprintForm
from .models import DeliveryStatus
from .selectors import access_delivery_by_tracking, delivery_list_for_establishment
from .services import card_reprint_check, card_reprint_order

PAGE_SIZE = 20
# The normal path of a card, drawn as steps on the delivery's page (a returned card ends otherwise).
STEPS = (
    DeliveryStatus.REQUESTED,
    DeliveryStatus.PRINTED,
    DeliveryStatus.SHIPPED,
    DeliveryStatus.DELIVERED,
)


@eservices_required
def list_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = DeliveryFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    paginator = Paginator(delivery_list_for_establishment(actor=officer, status=status), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = f"status={status}&" if status else ""
    return render(
        request,
        "delivery/list.html",
        {"form": form, "page": page, "status": status, "query": query},
    )


@eservices_required
def detail_view(request: HttpRequest, tracking: str) -> HttpResponse:
    try:
        order = access_delivery_by_tracking(actor=current_officer(request), tracking=tracking)
    except DomainError:
        raise Http404 from None
    events = list(order.events.all())
    reached = {e.status for e in events}
    returned = order.status == DeliveryStatus.RETURNED_TO_SENDER
    path = (*STEPS[:-1], DeliveryStatus.RETURNED_TO_SENDER) if returned else STEPS
    steps = [
        {"status": s, "label": s.label, "done": s in reached, "current": s == order.status}
        for s in path
    ]
    return render(
        request,
        "delivery/detail.html",
        {
            "order": order,
            "events": events,
            "steps": steps,
            "returned": returned,
        },
    )


@eservices_required
@require_http_methods(["GET", "POST"])
def reprint_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = ReprintForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check = card_reprint_check(
                actor=officer,
                iqama_number=form.cleaned_data["iqama_number"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            context["error"] = exc
            status = exc.http_status
        else:
            context["check"] = check
            if check.eligible:
                context["token"] = quote_token_issue(
                    service=ServiceType.CARD_DELIVERY,
                    user_id=officer.pk,
                    data={
                        "iqama": check.resident.iqama_number,
                        "reason": check.reason,
                        "version": check.resident.version,
                        "total": check.quote.total_halalas,
                    },
                )
    return render(request, "delivery/reprint.html", context, status=status)


@eservices_required
@require_POST
def reprint_confirm_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    try:
        data, key = quote_token_read(
            service=ServiceType.CARD_DELIVERY,
            user_id=officer.pk,
            token=request.POST.get("token", ""),
        )
    except TokenInvalid:
        error = DomainError(ErrorCode.QUOTE_CHANGED)
        return render(
            request,
            "delivery/reprint.html",
            {"form": ReprintForm(), "error": error},
            status=error.http_status,
        )
    try:
        result = card_reprint_order(
            actor=officer,
            iqama_number=data["iqama"],
            reason=data["reason"],
            idempotency_key=key,
            expected_version=int(data["version"]),
            expected_total_halalas=int(data["total"]),
        )
    except DomainError as exc:
        return render(
            request,
            "delivery/reprint.html",
            {"form": ReprintForm(), "error": exc},
            status=exc.http_status,
        )
    if not result.replayed:
        messages.success(request, _("The new iqama card was ordered; follow its delivery below."))
    return HttpResponseRedirect(reverse("delivery:detail", args=[result.order.tracking_number]))
