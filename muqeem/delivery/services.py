"""Wasel delivery orders for iqama cards: ordering a card (for any service that needs one), the
replacement of a lost or damaged card (an e-service of its own), and the order's progress as the
post or the authority reports it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode, QuoteChanged, Violation
from muqeem.core.i18n import in_both_languages
from muqeem.fees.quotes import Quote
from muqeem.fees.schedule import Schedule
from muqeem.fees.selectors import schedule_at
from muqeem.fees.services import ledger_post_charge
from muqeem.notifications.services import sms_send
from muqeem.residents.models import Resident, ResidentHistoryEntry, ResidentHistoryKind
from muqeem.residents.selectors import access_resident_by_iqama_number, parse_iqama_number
from muqeem.webhooks.services import webhook_event_emit
from muqeem.workflow.evaluation import resident_facts
from muqeem.workflow.machine import RequestAction, ServiceType
from muqeem.workflow.models import ServiceRequest
from muqeem.workflow.rules import evaluate
from muqeem.workflow.services import (
    payload_fingerprint,
    service_request_open,
    service_request_start,
    service_request_transition,
)

from .fees import REPRINT_REASONS, reprint_quote
from .models import (
    TRANSITIONS,
    DeliveryEvent,
    DeliveryOrder,
    DeliverySource,
    DeliveryStatus,
)
from .rules import ReprintSnapshot, reprint_rules
from .selectors import earlier_lost_cards, open_delivery_for

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment
    from muqeem.integrations.models import IntegrationCredential

__all__ = [
    "card_delivery_order_create",
    "card_reprint_check",
    "card_reprint_order",
    "delivery_status_update",
    "national_address_complete",
    "open_delivery_for",
]

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


# --- Ordering a card ----------------------------------------------------------------------------


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
    try:
        # The partial unique index refuses a second open order even from a caller without the lock.
        with transaction.atomic():
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
                status_changed_at=now,
            )
    except IntegrityError:
        winner = open_delivery_for(resident=resident)
        raise DomainError(
            ErrorCode.DELIVERY_ALREADY_OPEN,
            {"tracking": winner.tracking_number if winner else ""},
        ) from None
    DeliveryEvent.objects.create(
        order=order,
        status=DeliveryStatus.REQUESTED,
        occurred_at=now,
        recorded_at=now,
        source=DeliverySource.PORTAL,
        recorded_by=actor,
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


# --- Status changes -----------------------------------------------------------------------------

SOURCES = (DeliverySource.POSTAL, DeliverySource.STAFF)


@dataclass(frozen=True)
class StatusUpdateResult:
    order: DeliveryOrder
    event: DeliveryEvent
    replayed: bool


def _status_label(value: str) -> str | Promise:
    """The status's translatable label (rendered per language later), or the raw unknown value."""
    return DeliveryStatus(value).label if value in DeliveryStatus.values else value


def allowed_next(status: str) -> list[DeliveryStatus]:
    """The statuses an order in `status` may move to, in the table's display order."""
    targets = TRANSITIONS.get(status, frozenset())
    return [s for s in DeliveryStatus if s in targets]


def delivery_status_update(
    *,
    order_or_tracking: DeliveryOrder | str,
    status: str,
    source: str,
    external_id: str | None = None,
    note: str = "",
    user: User | None = None,
    credential: IntegrationCredential | None = None,
    occurred_at: datetime | None = None,
) -> StatusUpdateResult:
    """Move an order one step along `TRANSITIONS`, for the post or the authority.

    Idempotent on `external_id`: the same event reported again returns the first result. Anything
    out of order, backwards or unknown is refused and changes nothing. The establishment is told
    by SMS once the change is committed. A card returned to sender keeps its postage (no ledger
    entry: DOMAIN.md says postage is not refunded)."""
    if source not in SOURCES:
        raise ValueError(f"unknown delivery source {source!r}")
    pk = (
        order_or_tracking.pk
        if isinstance(order_or_tracking, DeliveryOrder)
        else DeliveryOrder.pk_from_tracking_number(order_or_tracking)
    )
    now = timezone.now()
    with transaction.atomic(durable=True):
        order = (
            DeliveryOrder.objects.select_for_update(of=("self",))
            .select_related("establishment", "resident", "service_request")
            .filter(pk=pk)
            .first()
            if pk is not None
            else None
        )
        if order is None:
            raise DomainError(ErrorCode.DELIVERY_NOT_FOUND)
        # Checked under the order's lock, so a retry racing its original waits and then replays.
        if external_id:
            seen = DeliveryEvent.objects.filter(external_id=external_id).first()
            if seen is not None:
                if seen.order_id != order.pk or seen.status != status:
                    raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
                return StatusUpdateResult(order=order, event=seen, replayed=True)
        current = order.status
        if status not in TRANSITIONS.get(current, frozenset()):
            raise DomainError(
                ErrorCode.DELIVERY_STATUS_NOT_ALLOWED,
                {"current": DeliveryStatus(current).label, "requested": _status_label(status)},
            )
        when = occurred_at or now
        try:
            with transaction.atomic():
                event = DeliveryEvent.objects.create(
                    order=order,
                    status=status,
                    occurred_at=when,
                    recorded_at=now,
                    source=source,
                    note=note[:200],
                    external_id=external_id or None,
                    recorded_by=user,
                    credential=credential,
                )
        except IntegrityError:
            # The same event id was just used for another order (a sender's bug, not a retry).
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT) from None
        order.status = status
        order.version += 1
        order.updated_at = now
        order.status_changed_at = when
        order.save(update_fields=["status", "version", "updated_at", "status_changed_at"])
        audit_record(
            event_type=AuditEventType.DELIVERY_STATUS_CHANGED,
            actor=user,
            establishment=order.establishment,
            resident=order.resident,
            service_request=order.service_request,
            extra={
                "delivery": order.pk,
                "from": current,
                "to": status,
                "source": source,
                "credential": credential.pk if credential else None,
            },
        )
        _notify_status(order)
        webhook_event_emit(
            establishment_id=order.establishment_id,
            event_type="delivery.status_changed",
            data={
                "tracking_number": order.tracking_number,
                "from_status": current,
                "status": status,
                "occurred_at": when,
                "request_number": order.service_request.number
                if order.service_request_id
                else None,
            },
        )
    return StatusUpdateResult(order=order, event=event, replayed=False)


def _notify_status(order: DeliveryOrder) -> None:
    mobile = order.establishment.registered_mobile
    if not mobile:
        return

    def render() -> str:
        text = _("Wasel: the iqama card {iqama} (tracking {tracking}) is now: {status}.").format(
            iqama=order.resident.iqama_number or order.resident.border_number,
            tracking=order.tracking_number,
            status=DeliveryStatus(order.status).label,
        )
        if order.status == DeliveryStatus.RETURNED_TO_SENDER:
            text += " " + _("The postage is not refunded.")
        return text

    sms_send(to=mobile, body=in_both_languages(render))


# --- Replacement card (reprint after loss or damage) -------------------------------------------


@dataclass(frozen=True)
class ReprintCheck:
    resident: Resident
    reason: str
    earlier_lost: int
    quote: Quote
    violations: list[Violation]

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class ReprintResult:
    request: ServiceRequest
    order: DeliveryOrder
    replayed: bool


def _reason(value: str) -> str:
    if value not in REPRINT_REASONS:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED,
            fields={"reason": [_("Choose whether the card was lost or damaged.")]},
        )
    return value


def _assess_reprint(
    *, resident: Resident, establishment: Establishment, reason: str, schedule: Schedule
) -> ReprintCheck:
    earlier_lost = earlier_lost_cards(resident=resident)
    quote = reprint_quote(schedule, reason=reason, earlier_lost=earlier_lost)
    open_order = open_delivery_for(resident=resident)
    snapshot = ReprintSnapshot(
        facts=resident_facts(resident=resident, establishment=establishment, today=schedule.as_of),
        national_address_complete=national_address_complete(establishment),
        open_delivery_tracking=open_order.tracking_number if open_order else None,
        total_halalas=quote.total_halalas,
    )
    return ReprintCheck(
        resident=resident,
        reason=reason,
        earlier_lost=earlier_lost,
        quote=quote,
        violations=evaluate(reprint_rules(), snapshot),
    )


def card_reprint_check(*, actor: User, iqama_number: str, reason: str) -> ReprintCheck:
    """Verify data: every blocker and the fee lines, changing nothing."""
    reason = _reason(reason)
    number = parse_iqama_number(iqama_number)
    resident = access_resident_by_iqama_number(actor=actor, iqama_number=number)
    check = _assess_reprint(
        resident=resident,
        establishment=resident.establishment,
        reason=reason,
        schedule=schedule_at(today()),
    )
    audit_record(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=actor,
        resident=resident,
        extra={
            "service": ServiceType.CARD_DELIVERY,
            "reason": reason,
            "violations": [str(v.code) for v in check.violations],
        },
    )
    return check


def card_reprint_order(
    *,
    actor: User,
    iqama_number: str,
    reason: str,
    idempotency_key: str,
    expected_version: int | None = None,
    expected_total_halalas: int | None = None,
) -> ReprintResult:
    """Order a replacement card: one CARD_DELIVERY request that bumps the card version, charges the
    replacement fee and the postage, and orders the new card by Wasel — all or nothing."""
    reason = _reason(reason)
    number = parse_iqama_number(iqama_number)
    payload_hash = payload_fingerprint(
        {"service": ServiceType.CARD_DELIVERY, "iqama_number": number, "reason": reason}
    )
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            order = DeliveryOrder.objects.select_related("resident").get(service_request=replay)
            return ReprintResult(request=replay, order=order, replayed=True)
        resident = access_resident_by_iqama_number(
            actor=actor, iqama_number=number, for_update=True
        )
        if expected_version is not None and resident.version != expected_version:
            raise QuoteChanged()
        check = _assess_reprint(
            resident=resident,
            establishment=establishment,
            reason=reason,
            schedule=schedule_at(today()),
        )
        request = service_request_start(
            actor=actor,
            service_type=ServiceType.CARD_DELIVERY,
            establishment=establishment,
            resident=resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            violations=check.violations,
            quote=check.quote,
            expected_total_halalas=expected_total_halalas,
        )
        # The lost or damaged card stops being the current one: the new card carries the next version.
        resident.iqama_card_version += 1
        resident.version += 1
        resident.save(update_fields=["iqama_card_version", "version", "updated_at"])
        ledger_post_charge(
            actor=actor,
            establishment=establishment,
            service_request=request,
            lines=check.quote.lines,
            idempotency_key=f"charge:{request.pk}",
        )
        order = card_delivery_order_create(
            actor=actor,
            establishment=establishment,
            resident=resident,
            service_request=request,
            reason=reason,
        )
        service_request_transition(request=request, action=RequestAction.COMPLETE, actor=actor)
        if establishment.registered_mobile:
            sms_send(
                to=establishment.registered_mobile,
                body=_reprint_sms(request=request, order=order, resident=resident),
            )
    return ReprintResult(request=request, order=order, replayed=False)


def _reprint_sms(*, request: ServiceRequest, order: DeliveryOrder, resident: Resident) -> str:
    return in_both_languages(
        lambda: _(
            "Wasel: a new iqama card for {iqama} was ordered, tracking {tracking}. Request number {number}."
        ).format(iqama=resident.iqama_number, tracking=order.tracking_number, number=request.number)
    )
