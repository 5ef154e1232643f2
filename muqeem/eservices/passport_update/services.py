"""Passport information update (نقل معلومات الجواز): check, then move the resident's record and valid
exit and re-entry visas from the old passport to the new one, atomically. Free: no ledger journal."""

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
from muqeem.eservices.exit_reentry import lifecycle
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.eservices.exit_reentry.services import visas_follow_passport
from muqeem.establishments.models import Establishment
from muqeem.residents.models import (
    PassportRecord,
    Resident,
    ResidentHistoryEntry,
    ResidentHistoryKind,
)
from muqeem.residents.selectors import access_resident_by_iqama_number, parse_iqama_number
from muqeem.workflow.evaluation import resident_facts
from muqeem.workflow.machine import RequestAction, ServiceType
from muqeem.workflow.models import ServiceRequest
from muqeem.workflow.rules import evaluate
from muqeem.workflow.services import (
    payload_fingerprint,
    service_request_create,
    service_request_open,
    service_request_transition,
)

from .models import PassportUpdate
from .rules import NewPassport, PassportUpdateSnapshot, rules

if TYPE_CHECKING:
    from muqeem.accounts.models import User

# Statuses a visa can still be valid in; `lifecycle.is_current` decides exactly.
LIVE_VISA_STATUSES = (VisaStatus.ISSUED, VisaStatus.USED, VisaStatus.RETURNED)


@dataclass(frozen=True)
class PassportUpdateCheck:
    resident: Resident
    new: NewPassport
    violations: list[Violation]
    # The valid visas that will follow the resident to the new passport.
    visas: list[Visa]

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class PassportUpdateResult:
    request: ServiceRequest
    update: PassportUpdate
    replayed: bool


def _valid_visas(*, resident: Resident, on: date, for_update: bool = False) -> list[Visa]:
    qs = Visa.objects.filter(resident=resident, status__in=LIVE_VISA_STATUSES).order_by("pk")
    if for_update:
        qs = qs.select_for_update()
    return [
        v
        for v in qs
        if lifecycle.is_current(
            status=v.status,
            visa_type=v.visa_type,
            travel_by=v.travel_by,
            expires_on=v.expires_on,
            on=on,
        )
    ]


def _assess(
    *, resident: Resident, establishment: Establishment, new: NewPassport, on: date
) -> list[Violation]:
    snapshot = PassportUpdateSnapshot(
        facts=resident_facts(resident=resident, establishment=establishment, today=on),
        current_passport_number=resident.passport_number,
        new=new,
    )
    return evaluate(rules(), snapshot)


def passport_update_check(
    *, actor: User, iqama_number: str, new: NewPassport
) -> PassportUpdateCheck:
    """Every blocker, and the visas that would move. Changes nothing but the audit trail."""
    number = parse_iqama_number(iqama_number)
    resident = access_resident_by_iqama_number(actor=actor, iqama_number=number)
    on = today()
    violations = _assess(resident=resident, establishment=resident.establishment, new=new, on=on)
    audit_record(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=actor,
        resident=resident,
        extra={
            "service": ServiceType.PASSPORT_UPDATE,
            "violations": [str(v.code) for v in violations],
        },
    )
    return PassportUpdateCheck(
        resident=resident,
        new=new,
        violations=violations,
        visas=_valid_visas(resident=resident, on=on),
    )


def passport_update(
    *,
    actor: User,
    iqama_number: str,
    new: NewPassport,
    idempotency_key: str,
    expected_version: int | None = None,
) -> PassportUpdateResult:
    """Keep the old passport as a `PassportRecord`, put the new one on the resident and on every
    valid visa, with history and audit, in one transaction.

    Locks the idempotency key (unique per establishment), then the resident, then the resident's
    visas, the order the border and the visa services use; the establishment's row is not locked
    (nothing is charged, ADR 0004). A retry with the same key returns the first result; a quote whose resident changed
    since is refused.
    """
    number = parse_iqama_number(iqama_number)
    payload_hash = payload_fingerprint(
        {"service": ServiceType.PASSPORT_UPDATE, "iqama_number": number, **new.as_payload()}
    )
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return PassportUpdateResult(
                request=replay, update=replay.passport_update, replayed=True
            )
        resident = access_resident_by_iqama_number(
            actor=actor, iqama_number=number, for_update=True
        )
        if expected_version is not None and resident.version != expected_version:
            raise QuoteChanged()
        on = today()
        violations = _assess(resident=resident, establishment=establishment, new=new, on=on)
        if violations:
            raise EligibilityError(violations)
        request = service_request_create(
            actor=actor,
            service_type=ServiceType.PASSPORT_UPDATE,
            establishment=establishment,
            resident=resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
        )
        now = timezone.now()
        previous = PassportRecord.objects.create(
            resident=resident,
            passport_number=resident.passport_number,
            issue_date=resident.passport_issue_date,
            expiry_date=resident.passport_expiry_date,
            replaced_at=now,
            service_request=request,
        )
        # Valid visas follow the new passport, so the border reads the passport the resident carries.
        # Used and expired visas keep the passport they were travelled on.
        visas = visas_follow_passport(resident=resident, passport_number=new.number, on=on)
        visa_numbers = [v.number for v in visas]
        resident.passport_number = new.number
        resident.passport_issue_date = new.issue_date
        resident.passport_expiry_date = new.expiry_date
        resident.version += 1
        resident.save(
            update_fields=[
                "passport_number",
                "passport_issue_date",
                "passport_expiry_date",
                "version",
                "updated_at",
            ]
        )
        update = PassportUpdate.objects.create(
            request=request,
            previous_passport=previous,
            new_passport_number=new.number,
            new_issue_date=new.issue_date,
            new_expiry_date=new.expiry_date,
            visa_numbers=visa_numbers,
        )
        ResidentHistoryEntry.objects.create(
            resident=resident,
            occurred_at=now,
            kind=ResidentHistoryKind.PASSPORT_UPDATED,
            establishment=establishment,
            service_request=request,
            old={
                "passport_number": previous.passport_number,
                "passport_issue_date": previous.issue_date.isoformat(),
                "passport_expiry_date": previous.expiry_date.isoformat(),
            },
            new={**new.as_payload(), "visas": visa_numbers},
        )
        service_request_transition(request=request, action=RequestAction.COMPLETE, actor=actor)
        audit_record(
            event_type=AuditEventType.PASSPORT_UPDATED,
            actor=actor,
            establishment=establishment,
            resident=resident,
            service_request=request,
            extra={"previous_passport": previous.pk, "visas": [v.pk for v in visas]},
        )
    return PassportUpdateResult(request=request, update=update, replayed=False)


def passport_update_get(*, actor: User, request_number: str) -> PassportUpdateResult:
    """A passport update of the actor's establishment by its request number (404 otherwise)."""
    pk = ServiceRequest.pk_from_number(request_number)
    request = (
        ServiceRequest.objects.select_related(
            "resident", "establishment", "passport_update", "passport_update__previous_passport"
        )
        .filter(
            pk=pk,
            establishment_id=actor.establishment_id,
            service_type=ServiceType.PASSPORT_UPDATE,
        )
        .first()
        if pk is not None and actor.establishment_id is not None
        else None
    )
    if request is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return PassportUpdateResult(request=request, update=request.passport_update, replayed=True)
