"""The authority's changes from the staff console: schedule changes, suspensions, corrections.

Every function checks the actor's staff role again (`staff_check`), runs in one transaction with
the changed rows locked, and writes an audit event.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from muqeem.accounts.staff import StaffCapability, staff_check
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.establishments.models import Establishment
from muqeem.fees.models import ScheduleEntry
from muqeem.fees.schedule import KEYS_BY_NAME, Key
from muqeem.residents.models import (
    Nationality,
    Resident,
    ResidentHistoryEntry,
    ResidentHistoryKind,
)

from .values import ValueProblem, parse_value

if TYPE_CHECKING:
    from muqeem.accounts.models import User

MAX_REASON = 500


def schedule_key(name: str) -> Key:
    key = KEYS_BY_NAME.get(name)
    if key is None:
        raise DomainError(ErrorCode.SCHEDULE_KEY_UNKNOWN, {"key": name})
    return key


def earliest_change_date() -> date:
    """Changes take effect from tomorrow at the earliest: today's quotes stay valid all day."""
    return today() + timedelta(days=1)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(ErrorCode.REASON_REQUIRED)
    return reason[:MAX_REASON]


def schedule_change_schedule(
    *, actor: User, key_name: str, value_text: str, effective_from: date, note: str = ""
) -> ScheduleEntry:
    """Schedule a new value of one key from a future date. Past and current values are history and
    never edited; a quote made before the date and confirmed after it is re-quoted by the services."""
    staff_check(actor, StaffCapability.SUPERVISE)
    key = schedule_key(key_name)
    try:
        value = parse_value(key, value_text)
    except ValueProblem as problem:
        raise DomainError(
            ErrorCode.SCHEDULE_VALUE_INVALID, {"label": key.label, "problem": str(problem)}
        ) from None
    earliest = earliest_change_date()
    if effective_from < earliest:
        raise DomainError(ErrorCode.SCHEDULE_DATE_NOT_FUTURE, {"earliest": earliest})
    try:
        with transaction.atomic():
            entry = ScheduleEntry.objects.create(
                key=key.name,
                value=value,
                effective_from=effective_from,
                note=(note or "").strip()[:200],
                created_by=actor,
            )
            audit_record(
                event_type=AuditEventType.SCHEDULE_CHANGE_SCHEDULED,
                actor=actor,
                extra={
                    "key": key.name,
                    "value": value,
                    "effective_from": effective_from.isoformat(),
                    "entry": entry.pk,
                },
            )
    except IntegrityError:
        raise DomainError(
            ErrorCode.SCHEDULE_DATE_TAKEN, {"label": key.label, "date": effective_from}
        ) from None
    return entry


def schedule_change_cancel(*, actor: User, entry_id: int) -> None:
    """Withdraw a change that has not taken effect yet (it never applied to anything)."""
    staff_check(actor, StaffCapability.SUPERVISE)
    with transaction.atomic():
        entry = ScheduleEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None or entry.effective_from < earliest_change_date():
            raise DomainError(ErrorCode.NOT_FOUND)
        audit_record(
            event_type=AuditEventType.SCHEDULE_CHANGE_SCHEDULED,
            actor=actor,
            extra={
                "key": entry.key,
                "value": entry.value,
                "effective_from": entry.effective_from.isoformat(),
                "entry": entry.pk,
                "withdrawn": True,
            },
        )
        entry.delete()


def _locked_establishment(establishment_id: int) -> Establishment:
    establishment = Establishment.objects.select_for_update().filter(pk=establishment_id).first()
    if establishment is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return establishment


def establishment_suspend(*, actor: User, establishment_id: int, reason: str) -> Establishment:
    """Stop the establishment's transactions (reads go on); its officers see the reason."""
    staff_check(actor, StaffCapability.SUPERVISE)
    reason = _reason(reason)
    with transaction.atomic():
        establishment = _locked_establishment(establishment_id)
        establishment.suspended_at = timezone.now()
        establishment.suspension_reason = reason
        establishment.save(update_fields=["suspended_at", "suspension_reason"])
        audit_record(
            event_type=AuditEventType.ESTABLISHMENT_SUSPENDED,
            actor=actor,
            establishment=establishment,
            extra={"reason": reason},
        )
    return establishment


def establishment_reactivate(*, actor: User, establishment_id: int, reason: str) -> Establishment:
    staff_check(actor, StaffCapability.SUPERVISE)
    reason = _reason(reason)
    with transaction.atomic():
        establishment = _locked_establishment(establishment_id)
        if establishment.suspended_at is None:
            raise DomainError(ErrorCode.ESTABLISHMENT_NOT_SUSPENDED)
        establishment.suspended_at = None
        establishment.suspension_reason = ""
        establishment.save(update_fields=["suspended_at", "suspension_reason"])
        audit_record(
            event_type=AuditEventType.ESTABLISHMENT_REACTIVATED,
            actor=actor,
            establishment=establishment,
            extra={"reason": reason},
        )
    return establishment


# Fields staff may correct, with a reason. Others have their own services (passport update,
# profession change, renewal) or come from the agencies (agency data).
CORRECTABLE_FIELDS = (
    "name_ar",
    "name_en",
    "gender",
    "date_of_birth",
    "nationality",
    "religion",
    "mobile",
)


def _stored(value: Any) -> Any:
    if isinstance(value, Nationality):
        return value.code
    if isinstance(value, date):
        return value.isoformat()
    return value


def resident_correct(
    *, actor: User, resident_id: int, changes: dict[str, Any], reason: str
) -> Resident:
    """Correct a resident's personal data; the file's history keeps the old and new values and the
    reason. Quotes made before the correction are re-quoted (the resident's version moves)."""
    staff_check(actor, StaffCapability.OPERATE)
    reason = _reason(reason)
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, fields={f: ["not correctable"] for f in sorted(unknown)}
        )
    with transaction.atomic():
        resident = Resident.objects.select_for_update().filter(pk=resident_id).first()
        if resident is None:
            raise DomainError(ErrorCode.RESIDENT_UNKNOWN)
        old: dict[str, Any] = {}
        new: dict[str, Any] = {}
        for field, value in changes.items():
            current = getattr(resident, field)
            if _stored(current) != _stored(value):
                old[field] = _stored(current)
                new[field] = _stored(value)
                setattr(resident, field, value)
        if not new:
            raise DomainError(ErrorCode.CORRECTION_NOTHING_CHANGED)
        resident.version += 1
        resident.save(update_fields=[*new, "version", "updated_at"])
        ResidentHistoryEntry.objects.create(
            resident=resident,
            occurred_at=timezone.now(),
            kind=ResidentHistoryKind.DATA_CORRECTED,
            establishment_id=resident.establishment_id,
            old=old,
            new={**new, "reason": reason},
        )
        audit_record(
            event_type=AuditEventType.RESIDENT_DATA_CORRECTED,
            actor=actor,
            establishment=resident.establishment,
            resident=resident,
            extra={"fields": sorted(new)},
        )
    return resident
