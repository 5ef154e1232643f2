"""Wasel delivery orders for iqama cards."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.utils import timezone

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.residents.models import ResidentHistoryEntry, ResidentHistoryKind

from .models import OPEN_STATUSES, DeliveryEvent, DeliveryOrder, DeliveryStatus

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment
    from muqeem.residents.models import Resident
    from muqeem.workflow.models import ServiceRequest

_ADDRESS_RULES = {
    "building_number": re.compile(r"^\d{4}$"),
    "postal_code": re.compile(r"^\d{5}$"),
    "additional_number": re.compile(r"^\d{4}$"),
}


def national_address_complete(establishment: Establishment) -> bool:
    """A 4-digit building number, street, district, city, 5-digit postal code and 4-digit
    additional number (Saudi Post's national address)."""
    for field, pattern in _ADDRESS_RULES.items():
        if not pattern.match(getattr(establishment, field) or ""):
            return False
    return all((getattr(establishment, f) or "").strip() for f in ("street", "district", "city"))


def open_delivery_for(*, resident: Resident) -> DeliveryOrder | None:
    return DeliveryOrder.objects.filter(resident=resident, status__in=OPEN_STATUSES).first()


def card_delivery_order_create(
    *,
    actor: User,
    establishment: Establishment,
    resident: Resident,
    service_request: ServiceRequest,
    reason: str,
) -> DeliveryOrder:
    """Order the resident's current card to the establishment's national address. Call inside the
    transaction of the service that needs the card (issuance, replacement, profession change), with
    the resident locked; the caller charges the fees."""
    if not national_address_complete(establishment):
        raise DomainError(ErrorCode.NATIONAL_ADDRESS_INVALID)
    existing = open_delivery_for(resident=resident)
    if existing is not None:
        raise DomainError(ErrorCode.DELIVERY_ALREADY_OPEN, {"tracking": existing.tracking_number})
    now = timezone.now()
    order = DeliveryOrder.objects.create(
        establishment=establishment,
        resident=resident,
        service_request=service_request,
        reason=reason,
        card_version=resident.iqama_card_version,
        building_number=establishment.building_number,
        street=establishment.street,
        district=establishment.district,
        city=establishment.city,
        postal_code=establishment.postal_code,
        additional_number=establishment.additional_number,
        created_at=now,
        updated_at=now,
    )
    DeliveryEvent.objects.create(
        order=order, status=DeliveryStatus.REQUESTED, occurred_at=now, source="portal"
    )
    ResidentHistoryEntry.objects.create(
        resident=resident,
        occurred_at=now,
        kind=ResidentHistoryKind.CARD_ORDERED,
        establishment=establishment,
        service_request=service_request,
        old={},
        new={
            "tracking_number": order.tracking_number,
            "reason": reason,
            "card_version": order.card_version,
        },
    )
    audit_record(
        event_type=AuditEventType.DELIVERY_ORDERED,
        actor=actor,
        establishment=establishment,
        resident=resident,
        service_request=service_request,
        extra={"delivery": order.pk, "reason": reason},
    )
    return order
