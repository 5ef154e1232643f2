from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from muqeem.core.errors import DomainError, ErrorCode

from .models import Bill

if TYPE_CHECKING:
    from muqeem.accounts.models import User


def bills_of_establishment(*, actor: User) -> QuerySet[Bill]:
    if actor.establishment_id is None:
        return Bill.objects.none()
    return Bill.objects.filter(establishment_id=actor.establishment_id).order_by(
        "-created_at", "-pk"
    )


def access_bill(*, actor: User, number: str) -> Bill:
    """The actor's establishment's bill; another establishment's bill is the same 404 as none."""
    bill = (
        bills_of_establishment(actor=actor)
        .select_related("establishment", "journal", "reversal")
        .filter(number=number)
        .first()
    )
    if bill is None:
        raise DomainError(ErrorCode.BILL_NOT_FOUND)
    return bill


def bill_get_by_number(*, number: str) -> Bill | None:
    """Any establishment's bill (the bank, the authority's staff)."""
    return (
        Bill.objects.select_related("establishment", "journal", "reversal")
        .filter(number=number.strip())
        .first()
    )


def bills_search(*, q: str = "") -> QuerySet[Bill]:
    """Staff search: a bill number, a payment reference, an establishment number or name."""
    qs = Bill.objects.select_related("establishment").order_by("-created_at", "-pk")
    q = q.strip()
    if not q:
        return qs
    return qs.filter(
        Q(number=q)
        | Q(payment_reference=q)
        | Q(establishment__moi_number=q)
        | Q(establishment__name_ar__icontains=q)
        | Q(establishment__name_en__icontains=q)
    )
