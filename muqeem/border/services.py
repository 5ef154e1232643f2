"""Recording departures and arrivals. The border decides nothing itself: it asks the visa and final
exit lifecycles which document the crossing uses, and refuses when there is none."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.eservices.exit_reentry.services import (
    arrival_visa_for,
    departure_visa_for,
    visa_record_arrival,
    visa_record_departure,
)
from muqeem.eservices.final_exit.services import (
    departure_final_exit_for,
    final_exit_record_departure,
)
from muqeem.residents.models import (
    Resident,
    ResidentHistoryEntry,
    ResidentHistoryKind,
    ResidentStatus,
)
from muqeem.residents.selectors import parse_iqama_number

from .models import BorderCrossing, Direction

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.integrations.models import IntegrationCredential


@dataclass(frozen=True)
class CrossingResult:
    crossing: BorderCrossing
    replayed: bool


def border_crossing_record(
    *,
    iqama_number: str,
    direction: str,
    on: date,
    port: str = "",
    external_id: str = "",
    user: User | None = None,
    credential: IntegrationCredential | None = None,
) -> CrossingResult:
    """Record one crossing for any resident in the kingdom's registry (the authority's side: not
    scoped to an establishment). Idempotent on `external_id`."""
    number = parse_iqama_number(iqama_number)
    external_id = external_id or f"staff:{uuid.uuid4().hex}"
    with transaction.atomic(durable=True):
        existing = BorderCrossing.objects.filter(external_id=external_id).first()
        if existing is not None:
            return CrossingResult(crossing=existing, replayed=True)
        resident = Resident.objects.select_for_update().filter(iqama_number=number).first()
        if resident is None:
            raise DomainError(ErrorCode.RESIDENT_UNKNOWN)
        crossing = BorderCrossing(
            resident=resident,
            direction=direction,
            crossed_on=on,
            port=port,
            recorded_by=user,
            credential=credential,
            external_id=external_id,
        )
        if direction == Direction.DEPARTURE:
            _depart(resident, crossing, on)
        else:
            _arrive(resident, crossing, on)
        crossing.save()
        audit_record(
            event_type=AuditEventType.BORDER_CROSSING_RECORDED,
            actor=user,
            establishment=resident.establishment,
            resident=resident,
            extra={
                "direction": direction,
                "on": on.isoformat(),
                "crossing_external_id": external_id,
            },
        )
    return CrossingResult(crossing=crossing, replayed=False)


def _history(resident: Resident, kind: str, on: date, detail: dict[str, object]) -> None:
    from django.utils import timezone

    ResidentHistoryEntry.objects.create(
        resident=resident,
        occurred_at=timezone.now(),
        kind=kind,
        establishment_id=resident.establishment_id,
        old={},
        new={"on": on.isoformat(), **detail},
    )


def _depart(resident: Resident, crossing: BorderCrossing, on: date) -> None:
    if not resident.inside_kingdom:
        raise DomainError(ErrorCode.RESIDENT_OUTSIDE_KINGDOM)
    final_exit = departure_final_exit_for(resident=resident, on=on)
    if final_exit is not None:
        crossing.final_exit = final_exit
        final_exit_record_departure(final_exit=final_exit, resident=resident, on=on)
        _history(resident, ResidentHistoryKind.DEPARTED, on, {"final_exit": final_exit.number})
        return
    visa = departure_visa_for(resident=resident, on=on)
    if visa is None:
        raise DomainError(ErrorCode.NO_VALID_EXIT_DOCUMENT)
    crossing.visa = visa
    visa_record_departure(visa=visa, on=on)
    resident.inside_kingdom = False
    resident.status = ResidentStatus.OUTSIDE_KINGDOM
    resident.version += 1
    resident.save(update_fields=["inside_kingdom", "status", "version", "updated_at"])
    _history(resident, ResidentHistoryKind.DEPARTED, on, {"visa": visa.number})


def _arrive(resident: Resident, crossing: BorderCrossing, on: date) -> None:
    if resident.inside_kingdom:
        raise DomainError(ErrorCode.RESIDENT_ALREADY_INSIDE)
    visa = arrival_visa_for(resident=resident, on=on)
    if visa is None:
        raise DomainError(ErrorCode.NO_VALID_REENTRY_VISA)
    crossing.visa = visa
    visa_record_arrival(visa=visa, on=on)
    resident.inside_kingdom = True
    resident.status = ResidentStatus.ACTIVE
    resident.version += 1
    resident.save(update_fields=["inside_kingdom", "status", "version", "updated_at"])
    _history(resident, ResidentHistoryKind.ARRIVED, on, {"visa": visa.number})
