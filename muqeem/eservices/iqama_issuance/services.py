"""Iqama issuance (إصدار إقامة): check (dry run), then issue the first iqama atomically.

The officer identifies the new arrival by the border number; the result is a new iqama number, a
one-period iqama and a Wasel delivery order for the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import format_gregorian, today
from muqeem.core.errors import DomainError, ErrorCode, QuoteChanged, Violation
from muqeem.core.i18n import in_both_languages
from muqeem.core.ids import make_iqama_number
from muqeem.delivery.models import DeliveryOrder, DeliveryReason
from muqeem.delivery.services import card_delivery_order_create, national_address_complete
from muqeem.establishments.models import Establishment
from muqeem.fees.quotes import Quote
from muqeem.fees.schedule import Schedule
from muqeem.fees.selectors import schedule_at
from muqeem.notifications.services import sms_send
from muqeem.residents.models import Dependent, Resident, ResidentHistoryEntry, ResidentHistoryKind
from muqeem.residents.selectors import access_resident_by_border_number, parse_border_number
from muqeem.workflow.evaluation import resident_facts
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.models import ServiceRequest
from muqeem.workflow.rules import evaluate
from muqeem.workflow.services import (
    payload_fingerprint,
    service_request_finish,
    service_request_open,
    service_request_start,
)

from .fees import is_late, issuance_deadline, issuance_quote
from .models import FIRST_SERIAL, LAST_SERIAL, IqamaIssuance, IqamaNumberAllocator
from .rules import IssuanceSnapshot, first_iqama_expiry, rules

if TYPE_CHECKING:
    from muqeem.accounts.models import User

# Candidates checked against existing records per query while skipping numbers already in use.
_ALLOCATION_BATCH = 50


@dataclass(frozen=True)
class IssuanceCheck:
    resident: Resident
    snapshot: IssuanceSnapshot
    quote: Quote
    violations: list[Violation]
    period_months: int
    issued_on: date
    expires_on: date
    late: bool
    deadline: date | None

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class IssuanceResult:
    request: ServiceRequest
    issuance: IqamaIssuance
    replayed: bool

    @property
    def delivery(self) -> DeliveryOrder:
        return self.issuance.delivery


def _assess(
    *, resident: Resident, establishment: Establishment, on: date, schedule: Schedule
) -> IssuanceCheck:
    window = schedule.int("issuance.window_days")
    late = is_late(today=on, arrival_date=resident.arrival_date, window_days=window)
    months = schedule.int("issuance.period_months")
    quote = issuance_quote(
        schedule,
        dependents=sum(1 for d in resident.dependents.all() if d.is_active),
        saudis_majority=establishment.saudis_majority,
        late=late,
    )
    snapshot = IssuanceSnapshot(
        facts=resident_facts(resident=resident, establishment=establishment, today=on),
        has_iqama=bool(resident.iqama_number),
        medical_exam_passed=resident.medical_exam_passed,
        min_passport_days=schedule.int("issuance.min_passport_validity_days"),
        national_address_complete=national_address_complete(establishment),
        total_halalas=quote.total_halalas,
    )
    return IssuanceCheck(
        resident=resident,
        snapshot=snapshot,
        quote=quote,
        violations=evaluate(rules(), snapshot),
        period_months=months,
        issued_on=on,
        expires_on=first_iqama_expiry(issued_on=on, months=months),
        late=late,
        deadline=(
            issuance_deadline(arrival_date=resident.arrival_date, window_days=window)
            if resident.arrival_date
            else None
        ),
    )


def iqama_issuance_check(*, actor: User, border_number: str) -> IssuanceCheck:
    """Every blocker and the itemised fees for the new arrival with this border number. Changes
    nothing but the audit trail (reading a resident's file is audited)."""
    number = parse_border_number(border_number)
    resident = access_resident_by_border_number(actor=actor, border_number=number)
    on = today()
    check = _assess(
        resident=resident,
        establishment=resident.establishment,
        on=on,
        schedule=schedule_at(on),
    )
    audit_record(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=actor,
        resident=resident,
        extra={
            "service": ServiceType.IQAMA_ISSUANCE,
            "violations": [str(v.code) for v in check.violations],
        },
    )
    return check


def _allocator_locked() -> IqamaNumberAllocator:
    row = IqamaNumberAllocator.objects.select_for_update().filter(pk=1).first()
    if row is None:
        # The migration creates the row; a database flushed by transactional tests has none. Two
        # creators race on the primary key: the loser's insert fails and it locks the winner's row.
        IqamaNumberAllocator.objects.get_or_create(pk=1, defaults={"next_serial": FIRST_SERIAL})
        row = IqamaNumberAllocator.objects.select_for_update().get(pk=1)
    return row


def iqama_number_allocate() -> str:
    """A new, valid iqama number that no resident or dependent holds. Call inside the issuing
    transaction: the counter row stays locked until it commits, so concurrent issuers queue here
    and each gets a different number, and a rollback returns the number unused."""
    allocator = _allocator_locked()
    serial = allocator.next_serial
    while serial <= LAST_SERIAL:
        serials = range(serial, min(serial + _ALLOCATION_BATCH, LAST_SERIAL + 1))
        batch = [make_iqama_number(s) for s in serials]
        # Numbers loaded from elsewhere (migrated records, data fixes) may sit above the counter.
        taken = set(
            Resident.objects.filter(iqama_number__in=batch).values_list("iqama_number", flat=True)
        ) | set(
            Dependent.objects.filter(iqama_number__in=batch).values_list("iqama_number", flat=True)
        )
        for candidate_serial, candidate in zip(serials, batch, strict=True):
            if candidate not in taken:
                allocator.next_serial = candidate_serial + 1
                allocator.save(update_fields=["next_serial"])
                return candidate
        serial = serials[-1] + 1
    # Every 8-digit serial is spent: the numbering scheme itself must change.
    raise DomainError(ErrorCode.INTERNAL_ERROR)


def iqama_issue(
    *,
    actor: User,
    border_number: str,
    idempotency_key: str,
    expected_version: int | None = None,
    expected_total_halalas: int | None = None,
) -> IssuanceResult:
    """Issue the first iqama: request, new number, dates, Wasel order, ledger debit, history and audit
    in one transaction.

    Locks: the establishment (it holds the balance), then the resident, then — as late as possible,
    because every issuer in the kingdom queues on it — the iqama number counter. A retry with the same
    `idempotency_key` returns the first result; a quote whose resident or fees changed since is refused.
    """
    number = parse_border_number(border_number)
    payload_hash = payload_fingerprint(
        {"service": ServiceType.IQAMA_ISSUANCE, "border_number": number}
    )
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return IssuanceResult(request=replay, issuance=replay.iqama_issuance, replayed=True)
        resident = access_resident_by_border_number(
            actor=actor, border_number=number, for_update=True
        )
        if expected_version is not None and resident.version != expected_version:
            raise QuoteChanged()
        on = today()
        check = _assess(
            resident=resident, establishment=establishment, on=on, schedule=schedule_at(on)
        )
        request = service_request_start(
            actor=actor,
            service_type=ServiceType.IQAMA_ISSUANCE,
            establishment=establishment,
            resident=resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            violations=check.violations,
            quote=check.quote,
            expected_total_halalas=expected_total_halalas,
        )
        iqama_number = iqama_number_allocate()
        resident.iqama_number = iqama_number
        resident.iqama_issue_date = on
        resident.iqama_expiry_date = check.expires_on
        resident.iqama_card_version = 1
        resident.work_permit_paid_until = check.expires_on
        resident.version += 1
        resident.save(
            update_fields=[
                "iqama_number",
                "iqama_issue_date",
                "iqama_expiry_date",
                "iqama_card_version",
                "work_permit_paid_until",
                "version",
                "updated_at",
            ]
        )
        ResidentHistoryEntry.objects.create(
            resident=resident,
            occurred_at=timezone.now(),
            kind=ResidentHistoryKind.IQAMA_ISSUED,
            establishment=establishment,
            service_request=request,
            old={"border_number": number},
            new={
                "iqama_number": iqama_number,
                "iqama_issue_date": on.isoformat(),
                "iqama_expiry_date": check.expires_on.isoformat(),
                "card_version": 1,
            },
        )
        delivery = card_delivery_order_create(
            actor=actor,
            establishment=establishment,
            resident=resident,
            service_request=request,
            reason=DeliveryReason.NEW_ISSUANCE,
        )
        issuance = IqamaIssuance.objects.create(
            request=request,
            border_number=number,
            iqama_number=iqama_number,
            issued_on=on,
            expires_on=check.expires_on,
            period_months=check.period_months,
            arrival_date=resident.arrival_date,
            was_late=check.late,
            delivery=delivery,
        )
        service_request_finish(
            actor=actor, establishment=establishment, request=request, quote=check.quote
        )
        audit_record(
            event_type=AuditEventType.IQAMA_ISSUED,
            actor=actor,
            establishment=establishment,
            resident=resident,
            service_request=request,
            extra={
                "expiry": check.expires_on.isoformat(),
                "late": check.late,
                "delivery": delivery.pk,
            },
        )
        if establishment.registered_mobile:
            sms_send(
                to=establishment.registered_mobile,
                body=_issuance_sms(request=request, issuance=issuance, delivery=delivery),
            )
    return IssuanceResult(request=request, issuance=issuance, replayed=False)


def _issuance_sms(
    *, request: ServiceRequest, issuance: IqamaIssuance, delivery: DeliveryOrder
) -> str:
    return in_both_languages(
        lambda: _(
            "Iqama {iqama} issued for border number {border}, valid until {expiry}. "
            "Wasel tracking number {tracking}. Request number {number}."
        ).format(
            iqama=issuance.iqama_number,
            border=issuance.border_number,
            expiry=format_gregorian(issuance.expires_on),
            tracking=delivery.tracking_number,
            number=request.number,
        )
    )


def iqama_issuance_get(*, actor: User, request_number: str) -> IssuanceResult:
    """An issuance request of the actor's establishment by its request number (404 otherwise)."""
    pk = ServiceRequest.pk_from_number(request_number)
    request = (
        ServiceRequest.objects.select_related(
            "resident", "establishment", "iqama_issuance", "iqama_issuance__delivery"
        )
        .filter(
            pk=pk, establishment_id=actor.establishment_id, service_type=ServiceType.IQAMA_ISSUANCE
        )
        .first()
        if pk is not None and actor.establishment_id is not None
        else None
    )
    if request is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return IssuanceResult(request=request, issuance=request.iqama_issuance, replayed=True)
