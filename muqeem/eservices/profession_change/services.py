"""Profession change (تعديل المهنة): check (dry run), then change atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, QuoteChanged, Violation
from muqeem.establishments.models import Establishment
from muqeem.fees.quotes import Quote
from muqeem.fees.schedule import Schedule
from muqeem.fees.selectors import schedule_at
from muqeem.residents.models import Profession, Resident, ResidentHistoryEntry, ResidentHistoryKind
from muqeem.residents.selectors import access_resident_by_iqama_number, parse_iqama_number
from muqeem.workflow.evaluation import resident_facts
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.models import ServiceRequest
from muqeem.workflow.rules import evaluate
from muqeem.workflow.services import (
    payload_fingerprint,
    service_request_create,
    service_request_finish,
    service_request_open,
)

from .fees import profession_change_quote, quote_is_correction
from .models import ProfessionChange
from .rules import ProfessionChangeSnapshot, rules
from .selectors import normalize_profession_code, pending_transfer_exists, profession_find

if TYPE_CHECKING:
    from muqeem.accounts.models import User


@dataclass(frozen=True)
class ProfessionChangeCheck:
    resident: Resident
    new_profession_code: str
    # None when the code is not in the list at all.
    new_profession: Profession | None
    correction: bool
    quote: Quote
    snapshot: ProfessionChangeSnapshot
    violations: list[Violation]
    free_corrections: int

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class ProfessionChangeResult:
    request: ServiceRequest
    change: ProfessionChange
    replayed: bool


def _assess(
    *,
    resident: Resident,
    establishment: Establishment,
    new_profession_code: str,
    on: date,
    schedule: Schedule,
) -> ProfessionChangeCheck:
    current = resident.profession
    new_profession = profession_find(new_profession_code)
    quote = profession_change_quote(
        schedule,
        current_is_generic=current.is_generic,
        corrections_used=resident.profession_corrections_used,
    )
    snapshot = ProfessionChangeSnapshot(
        facts=resident_facts(resident=resident, establishment=establishment, today=on),
        current_profession_code=current.code,
        new_profession_code=new_profession_code,
        new_profession_listed=new_profession is not None and new_profession.is_active,
        pending_transfer=pending_transfer_exists(resident),
        total_halalas=quote.total_halalas,
    )
    return ProfessionChangeCheck(
        resident=resident,
        new_profession_code=new_profession_code,
        new_profession=new_profession,
        correction=quote_is_correction(quote),
        quote=quote,
        snapshot=snapshot,
        violations=evaluate(rules(), snapshot),
        free_corrections=schedule.int("profession.free_corrections"),
    )


def profession_change_check(
    *, actor: User, iqama_number: str, new_profession_code: str
) -> ProfessionChangeCheck:
    """Every blocker and the fee for changing a resident's profession. Changes nothing but the
    audit trail (reading a resident's file is audited)."""
    number = parse_iqama_number(iqama_number)
    code = normalize_profession_code(new_profession_code)
    resident = access_resident_by_iqama_number(actor=actor, iqama_number=number)
    on = today()
    check = _assess(
        resident=resident,
        establishment=resident.establishment,
        new_profession_code=code,
        on=on,
        schedule=schedule_at(on),
    )
    audit_record(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=actor,
        resident=resident,
        extra={
            "service": ServiceType.PROFESSION_CHANGE,
            "violations": [str(v.code) for v in check.violations],
        },
    )
    return check


def profession_change(
    *,
    actor: User,
    iqama_number: str,
    new_profession_code: str,
    idempotency_key: str,
    expected_version: int | None = None,
    expected_total_halalas: int | None = None,
) -> ProfessionChangeResult:
    """Change a resident's profession: request, resident, history, ledger charge (unless a free
    correction) and audit in one transaction.

    Locks the resident, then debits the establishment's balance last (ADR 0004). A retry
    with the same key returns the first result; a quote whose resident or fee changed since it was
    shown (another tab changed the profession or used the free correction) is refused.
    """
    number = parse_iqama_number(iqama_number)
    code = normalize_profession_code(new_profession_code)
    payload_hash = payload_fingerprint(
        {"service": ServiceType.PROFESSION_CHANGE, "iqama_number": number, "profession": code}
    )
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return ProfessionChangeResult(
                request=replay, change=replay.profession_change, replayed=True
            )
        resident = access_resident_by_iqama_number(
            actor=actor, iqama_number=number, for_update=True
        )
        if expected_version is not None and resident.version != expected_version:
            raise QuoteChanged()
        on = today()
        check = _assess(
            resident=resident,
            establishment=establishment,
            new_profession_code=code,
            on=on,
            schedule=schedule_at(on),
        )
        if check.violations:
            raise EligibilityError(check.violations)
        if (
            expected_total_halalas is not None
            and check.quote.total_halalas != expected_total_halalas
        ):
            raise QuoteChanged()
        new_profession = check.new_profession
        if new_profession is None:  # ruled out by rule_profession_listed; narrows the type
            raise EligibilityError([Violation(ErrorCode.PROFESSION_NOT_FOUND)])
        old_profession = resident.profession
        request = service_request_create(
            actor=actor,
            service_type=ServiceType.PROFESSION_CHANGE,
            establishment=establishment,
            resident=resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            fee_total_halalas=check.quote.total_halalas,
            fee_lines=check.quote.as_list(),
        )
        change = ProfessionChange.objects.create(
            request=request,
            old_profession=old_profession,
            new_profession=new_profession,
            is_correction=check.correction,
        )
        resident.profession = new_profession
        if check.correction:
            resident.profession_corrections_used += 1
        resident.version += 1
        resident.save(
            update_fields=["profession", "profession_corrections_used", "version", "updated_at"]
        )
        ResidentHistoryEntry.objects.create(
            resident=resident,
            occurred_at=timezone.now(),
            kind=ResidentHistoryKind.PROFESSION_CHANGED,
            establishment=establishment,
            service_request=request,
            old={"profession": old_profession.code},
            new={"profession": new_profession.code, "correction": check.correction},
        )
        service_request_finish(
            actor=actor, establishment=establishment, request=request, quote=check.quote
        )
        audit_record(
            event_type=AuditEventType.PROFESSION_CHANGED,
            actor=actor,
            establishment=establishment,
            resident=resident,
            service_request=request,
            extra={
                "old": old_profession.code,
                "new": new_profession.code,
                "correction": check.correction,
                "fee_halalas": check.quote.total_halalas,
            },
        )
    return ProfessionChangeResult(request=request, change=change, replayed=False)


def profession_change_get(*, actor: User, request_number: str) -> ProfessionChangeResult:
    """A profession change request of the actor's establishment by its number (not found otherwise)."""
    pk = ServiceRequest.pk_from_number(request_number)
    request = (
        ServiceRequest.objects.select_related(
            "resident",
            "resident__nationality",
            "establishment",
            "profession_change",
            "profession_change__old_profession",
            "profession_change__new_profession",
        )
        .filter(
            pk=pk,
            establishment_id=actor.establishment_id,
            service_type=ServiceType.PROFESSION_CHANGE,
        )
        .first()
        if pk is not None and actor.establishment_id is not None
        else None
    )
    if request is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return ProfessionChangeResult(request=request, change=request.profession_change, replayed=True)
