"""Reads of delivery orders. An establishment sees only its own orders: another establishment's
tracking number is as unknown as one that was never issued."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from muqeem.core.errors import DomainError, ErrorCode

from .models import OPEN_STATUSES, DeliveryOrder, DeliveryReason

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.residents.models import Resident


def delivery_list_for_establishment(
    *, actor: User, status: str | None = None
) -> QuerySet[DeliveryOrder]:
    """The actor's establishment's orders, the most recently changed first."""
    if actor.establishment_id is None:
        return DeliveryOrder.objects.none()
    qs = DeliveryOrder.objects.filter(establishment_id=actor.establishment_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("resident").order_by("-status_changed_at", "-id")


def access_delivery_by_tracking(
    *, actor: User, tracking: str, for_update: bool = False
) -> DeliveryOrder:
    pk = DeliveryOrder.pk_from_tracking_number(tracking)
    if pk is None or actor.establishment_id is None:
        raise DomainError(ErrorCode.DELIVERY_NOT_FOUND)
    qs = DeliveryOrder.objects.select_related("resident", "establishment", "service_request")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    order = qs.filter(pk=pk, establishment_id=actor.establishment_id).first()
    if order is None:
        raise DomainError(ErrorCode.DELIVERY_NOT_FOUND)
    return order


def delivery_get_by_tracking(*, tracking: str) -> DeliveryOrder | None:
    """Any establishment's order (the authority's and the post's side), or None."""
    pk = DeliveryOrder.pk_from_tracking_number(tracking)
    if pk is None:
        return None
    return DeliveryOrder.objects.select_related("resident", "establishment").filter(pk=pk).first()


def delivery_list_open() -> QuerySet[DeliveryOrder]:
    """Every order still on its way (the authority's work queue), oldest first."""
    return (
        DeliveryOrder.objects.filter(status__in=OPEN_STATUSES)
        .select_related("resident", "establishment")
        .order_by("created_at", "id")
    )


def deliveries_for_resident(resident: Resident) -> list[DeliveryOrder]:
    """The resident's card deliveries that the current sponsor ordered, newest first (one query)."""
    return list(
        DeliveryOrder.objects.filter(
            resident=resident, establishment_id=resident.establishment_id
        ).order_by("-id")
    )


def earlier_lost_cards(*, resident: Resident) -> int:
    """Lost-card replacements ordered for the resident before, under any sponsor."""
    return DeliveryOrder.objects.filter(resident=resident, reason=DeliveryReason.LOST).count()


def open_delivery_for(*, resident: Resident) -> DeliveryOrder | None:
    return DeliveryOrder.objects.filter(resident=resident, status__in=OPEN_STATUSES).first()
