"""Reads for the agency pages and API."""

from __future__ import annotations

from django.db.models import QuerySet

from muqeem.core.errors import DomainError, ErrorCode
from muqeem.residents.models import Resident
from muqeem.residents.selectors import parse_iqama_number

from .models import AgencyImport, AgencyRecord, TrafficFine


def resident_by_iqama_number(iqama_number: str) -> Resident:
    """Any resident in the registry (the authority's side: not scoped to an establishment)."""
    number = parse_iqama_number(iqama_number)
    resident = (
        Resident.objects.select_related("establishment", "nationality")
        .filter(iqama_number=number)
        .first()
    )
    if resident is None:
        raise DomainError(ErrorCode.RESIDENT_UNKNOWN)
    return resident


def traffic_fines_qs() -> QuerySet[TrafficFine]:
    return TrafficFine.objects.select_related("resident").order_by("-issued_on", "-id")


def resident_fines(resident: Resident) -> QuerySet[TrafficFine]:
    return TrafficFine.objects.filter(resident=resident).order_by("status", "-issued_on", "-id")


def resident_records(resident: Resident, limit: int = 20) -> list[AgencyRecord]:
    return list(
        AgencyRecord.objects.filter(resident=resident)
        .select_related("recorded_by", "credential", "traffic_fine")
        .order_by("-occurred_at", "-id")[:limit]
    )


def recent_imports(kind: str, limit: int = 10) -> list[AgencyImport]:
    return list(
        AgencyImport.objects.filter(kind=kind)
        .select_related("created_by", "credential", "applied_by")
        .defer("content")
        .order_by("-created_at", "-id")[:limit]
    )
