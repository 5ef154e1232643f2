"""The authority's Wasel page: the cards still on their way, each movable to its next status, and a
tracking-number search (for any establishment: staff are not scoped to one)."""

from __future__ import annotations

import uuid
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from muqeem.accounts.access import staff_required
from muqeem.accounts.models import User
from muqeem.core.errors import DomainError, ErrorCode

from .forms import StaffSearchForm, StaffStatusForm
from .models import DeliveryOrder, DeliverySource
from .selectors import delivery_get_by_tracking, delivery_list_open
from .services import allowed_next, delivery_status_update

PAGE_SIZE = 25


def _row(order: DeliveryOrder) -> dict[str, Any]:
    return {"order": order, "next": allowed_next(order.status), "key": uuid.uuid4().hex}


@staff_required
@require_http_methods(["GET", "POST"])
def orders_view(request: HttpRequest) -> HttpResponse:
    search = StaffSearchForm(request.GET or None)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    page_number = request.GET.get("page")
    context: dict[str, Any] = {"search": search, "q": q}
    status = 200
    if request.method == "POST":
        form = StaffStatusForm(request.POST)
        if not form.is_valid():
            context["error"] = DomainError(
                ErrorCode.VALIDATION_FAILED,
                fields={k: [str(e) for e in v] for k, v in form.errors.items()},
            )
            status = 400
        else:
            d = form.cleaned_data
            try:
                result = delivery_status_update(
                    order_or_tracking=d["tracking"],
                    status=d["status"],
                    source=DeliverySource.STAFF,
                    external_id=f"staff:{d['key']}",
                    note=d["note"],
                    user=cast(User, request.user),
                )
            except DomainError as exc:
                context["error"] = exc
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("{tracking} is now: {status}.").format(
                        tracking=result.order.tracking_number,
                        status=result.order.get_status_display(),
                    ),
                )
                params = {k: v for k, v in (("q", q), ("page", page_number)) if v}
                url = reverse("delivery_staff:orders")
                return HttpResponseRedirect(f"{url}?{urlencode(params)}" if params else url)
    if q:
        found = delivery_get_by_tracking(tracking=q)
        context["found"] = _row(found) if found else None
    page = Paginator(delivery_list_open(), PAGE_SIZE).get_page(page_number)
    context["page"] = page
    context["page_query"] = urlencode({"q": q}) + "&" if q else ""
    context["rows"] = [_row(order) for order in page]
    return render(request, "delivery/staff_orders.html", context, status=status)
