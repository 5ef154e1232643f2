"""The authority's SADAD pages: search bills, a bill's page, an operator's manual confirmation (a
bank file received by other means — the same service as the bank's API), a supervisor's reversal of
a confirmed payment, and a refund of part of an establishment's balance. Auditors read only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import staff_required
from muqeem.accounts.models import User
from muqeem.accounts.staff import StaffCapability, staff_can
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.money import riyals
from muqeem.establishments.models import Establishment
from muqeem.fees.models import JournalKind, LedgerAccount, LedgerJournal
from muqeem.fees.services import ledger_post_refund

from .forms import ReasonForm, RefundForm, StaffConfirmForm, StaffSearchForm
from .models import SADAD_BILLER_CODE, Bill, BillStatus
from .selectors import bill_get_by_number, bills_search
from .services import bill_payment_confirm, bill_payment_reverse

PAGE_SIZE = 25


def _invalid(form: Any) -> DomainError:
    return DomainError(
        ErrorCode.VALIDATION_FAILED,
        fields={k: [str(e) for e in v] for k, v in form.errors.items()},
    )


def _fields_to_form(error: DomainError, form: Any) -> None:
    """The service's own field messages ("The payment time is in the future.") shown at the field."""
    for name, field_messages in error.fields.items():
        if name in form.fields:
            for message in field_messages:
                form.add_error(name, str(message))


@staff_required
def bills_view(request: HttpRequest) -> HttpResponse:
    search = StaffSearchForm(request.GET or None)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    page = Paginator(bills_search(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/staff_bills.html",
        {"search": search, "q": q, "page": page, "page_query": f"q={q}&" if q else ""},
    )


def _bill_or_404(number: str) -> Bill:
    bill = bill_get_by_number(number=number)
    if bill is None:
        raise Http404
    return bill


def _detail(request: HttpRequest, bill: Bill, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "bill": bill,
        "biller_code": SADAD_BILLER_CODE,
        "can_confirm": bill.is_payable and staff_can(user, StaffCapability.OPERATE),
        "can_reverse": bill.status == BillStatus.PAID
        and bill.reversal_id is None
        and staff_can(user, StaffCapability.SUPERVISE),
        "can_refund": staff_can(user, StaffCapability.SUPERVISE),
        "confirm_form": StaffConfirmForm(
            initial={
                "amount": f"{bill.amount_halalas / 100:.2f}",
                "paid_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            }
        ),
        "reason_form": ReasonForm(),
    }
    context |= extra
    return render(request, "payments/staff_detail.html", context, status=status)


@staff_required
def bill_detail_view(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _bill_or_404(number))


@staff_required
@require_POST
def bill_confirm_view(request: HttpRequest, number: str) -> HttpResponse:
    bill = _bill_or_404(number)
    form = StaffConfirmForm(request.POST)
    if not form.is_valid():
        return _detail(request, bill, status=400, error=_invalid(form), confirm_form=form)
    d = form.cleaned_data
    paid_at: datetime = d["paid_at"]
    try:
        result = bill_payment_confirm(
            number=bill.number,
            amount_halalas=riyals(d["amount"]),
            payment_reference=d["payment_reference"],
            paid_at=paid_at,
            actor=cast(User, request.user),
        )
    except DomainError as exc:
        _fields_to_form(exc, form)
        return _detail(request, bill, status=exc.http_status, error=exc, confirm_form=form)
    if not result.replayed:
        messages.success(
            request,
            _("Bill {number} is paid; the establishment's balance was credited.").format(
                number=bill.number
            ),
        )
    return HttpResponseRedirect(reverse("payments_staff:detail", args=[bill.number]))


@staff_required(capability=StaffCapability.SUPERVISE)
@require_POST
def bill_reverse_view(request: HttpRequest, number: str) -> HttpResponse:
    bill = _bill_or_404(number)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _detail(request, bill, status=400, error=_invalid(form), reason_form=form)
    try:
        bill_payment_reverse(
            actor=cast(User, request.user), number=bill.number, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        _fields_to_form(exc, form)
        return _detail(request, bill, status=exc.http_status, error=exc, reason_form=form)
    messages.success(
        request, _("The payment of bill {number} was reversed.").format(number=bill.number)
    )
    return HttpResponseRedirect(reverse("payments_staff:detail", args=[bill.number]))


@staff_required(capability=StaffCapability.SUPERVISE)
@require_http_methods(["GET", "POST"])
def refund_view(request: HttpRequest, moi_number: str) -> HttpResponse:
    establishment = Establishment.objects.filter(moi_number=moi_number).first()
    if establishment is None:
        raise Http404
    context: dict[str, Any] = {"establishment": establishment}
    status = 200
    if request.method == "POST":
        form = RefundForm(request.POST)
        if not form.is_valid():
            context["error"] = _invalid(form)
            status = 400
        else:
            d = form.cleaned_data
            try:
                ledger_post_refund(
                    actor=cast(User, request.user),
                    establishment_id=establishment.pk,
                    amount_halalas=riyals(d["amount"]),
                    reason=d["reason"],
                    idempotency_key=d["key"],
                )
            except DomainError as exc:
                context["error"] = exc
                status = exc.http_status
            else:
                messages.success(request, _("The refund was recorded."))
                return HttpResponseRedirect(
                    reverse("payments_staff:refund", args=[establishment.moi_number])
                )
        form = RefundForm(
            initial={
                "key": uuid.uuid4().hex,
                "amount": request.POST.get("amount", ""),
                "reason": request.POST.get("reason", ""),
            }
        )
    else:
        form = RefundForm(initial={"key": uuid.uuid4().hex})
    context["form"] = form
    context["can_refund"] = staff_can(request.user, StaffCapability.SUPERVISE)
    context["refunds"] = (
        LedgerJournal.objects.filter(establishment=establishment, kind=JournalKind.REFUND)
        .annotate(amount=Sum("lines__amount_halalas", filter=Q(lines__account=LedgerAccount.BANK)))
        .select_related("actor")
        .order_by("-occurred_at")[:20]
    )
    return render(request, "payments/staff_refund.html", context, status=status)
