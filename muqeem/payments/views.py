"""The establishment's balance top-up pages: the balance and its bills, a new bill, a bill's page to
pay it at any bank, its cancellation, and the receipt once paid."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.accounts.permissions import Permission
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.money import riyals
from muqeem.documents.pdf import render_pdf
from muqeem.establishments.models import Establishment

from .forms import BillCreateForm
from .models import SADAD_BILLER_CODE, Bill, BillStatus
from .selectors import access_bill, bills_of_establishment
from .services import bill_amount_limits, bill_cancel, bill_create

PAGE_SIZE = 20


def _access(request: HttpRequest, number: str) -> Bill:
    from django.http import Http404

    try:
        return access_bill(actor=current_officer(request), number=number)
    except DomainError as exc:
        raise Http404 from exc


@establishment_required
@require_http_methods(["GET", "POST"])
def bills_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        form = BillCreateForm(request.POST)
        if form.is_valid():
            try:
                result = bill_create(
                    actor=officer,
                    amount_halalas=riyals(form.cleaned_data["amount"]),
                    idempotency_key=form.cleaned_data["key"],
                )
            except DomainError as exc:
                context["error"] = exc
                status = exc.http_status
            else:
                if not result.replayed:
                    messages.success(
                        request,
                        _("Bill {number} was created. Pay it at any bank through SADAD.").format(
                            number=result.bill.number
                        ),
                    )
                return HttpResponseRedirect(reverse("payments:detail", args=[result.bill.number]))
        else:
            context["error"] = DomainError(
                ErrorCode.VALIDATION_FAILED,
                fields={k: [str(e) for e in v] for k, v in form.errors.items()},
            )
            status = 400
    else:
        form = BillCreateForm(initial={"key": uuid.uuid4().hex})
    if form.is_bound and status != 200:
        # A new key for the next try: the refused one made nothing.
        form = BillCreateForm(
            initial={"key": uuid.uuid4().hex, "amount": request.POST.get("amount", "")}
        )
    establishment = Establishment.objects.get(pk=officer.establishment_id or 0)
    page = Paginator(bills_of_establishment(actor=officer), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    minimum, maximum = bill_amount_limits()
    context |= {
        "form": form,
        "establishment": establishment,
        "page": page,
        "minimum": minimum,
        "maximum": maximum,
        "can_view_statement": officer.has_service_permission(Permission.REPORTS),
        "today": today(),
    }
    return render(request, "payments/bills.html", context, status=status)


@establishment_required
def bill_detail_view(request: HttpRequest, number: str) -> HttpResponse:
    bill = _access(request, number)
    return render(
        request,
        "payments/detail.html",
        {"bill": bill, "biller_code": SADAD_BILLER_CODE, "paid": bill.status == BillStatus.PAID},
    )


@establishment_required
@require_POST
def bill_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    bill = _access(request, number)
    try:
        bill_cancel(actor=current_officer(request), number=bill.number)
    except DomainError as exc:
        return render(
            request,
            "payments/detail.html",
            {"bill": bill, "biller_code": SADAD_BILLER_CODE, "error": exc},
            status=exc.http_status,
        )
    messages.success(request, _("Bill {number} was cancelled.").format(number=bill.number))
    return HttpResponseRedirect(reverse("payments:detail", args=[bill.number]))


@establishment_required
def bill_receipt_view(request: HttpRequest, number: str) -> HttpResponse:
    from django.http import Http404

    bill = _access(request, number)
    if bill.status != BillStatus.PAID:
        raise Http404
    pdf = render_pdf(
        "payments/receipt_pdf.html",
        {"bill": bill, "biller_code": SADAD_BILLER_CODE, "issued_on": today()},
        language=get_language() or "ar",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{bill.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
