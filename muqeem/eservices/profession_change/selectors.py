"""Reads for the profession change: the catalogue, pending transfers, a resident's profession history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.utils import timezone

from muqeem.core.ids import normalize_digits
from muqeem.residents.models import (
    Profession,
    Resident,
    ResidentHistoryEntry,
    ResidentHistoryKind,
)
from muqeem.workflow.machine import RequestStatus

if TYPE_CHECKING:
    from muqeem.accounts.models import User

# A transfer waiting for the current sponsor's answer or the worker's consent, when the transfer
# app keeps a status on its TransferRequest.
PENDING_TRANSFER_STATUSES = ("awaiting_approval", "awaiting_consent")
# The same, when the status lives on the transfer's ServiceRequest (`TransferRequest.request`):
# submitted and not yet answered, or approved and not yet completed.
PENDING_TRANSFER_REQUEST_STATUSES = (
    RequestStatus.SUBMITTED,
    RequestStatus.AWAITING_APPROVAL,
    RequestStatus.APPROVED,
)


def normalize_profession_code(value: str) -> str:
    return normalize_digits((value or "").strip())


def active_professions() -> list[Profession]:
    """The professions an officer may choose, in code order."""
    return list(Profession.objects.filter(is_active=True).order_by("code"))


def profession_find(code: str) -> Profession | None:
    """A profession of the list by code, active or withdrawn (the rules decide what a withdrawn one means)."""
    if not code:
        return None
    return Profession.objects.filter(code=code).first()


def pending_transfer_exists(resident: Resident) -> bool:
    """Whether a transfer of services of this resident is waiting for the current sponsor's answer."""
    from muqeem.eservices.service_transfer.services import (
        pending_transfer_exists as transfer_pending,
    )

    return transfer_pending(resident=resident)


@dataclass(frozen=True)
class ProfessionHistoryRow:
    entry_id: int
    on: date
    old_code: str
    old_profession: Profession | None
    new_code: str
    new_profession: Profession | None
    correction: bool
    request_number: str | None
    fee_halalas: int | None


def profession_history_for(*, actor: User, resident: Resident) -> list[ProfessionHistoryRow]:
    """The resident's profession changes, newest first, in two queries.

    A resident who has since moved to another establishment shows the former sponsor only the
    changes it made itself (the old establishment no longer sees new data)."""
    establishment_id = actor.establishment_id
    if establishment_id is None:
        return []
    qs = ResidentHistoryEntry.objects.filter(
        resident=resident, kind=ResidentHistoryKind.PROFESSION_CHANGED
    ).select_related("service_request")
    if resident.establishment_id != establishment_id:
        qs = qs.filter(establishment_id=establishment_id)
    entries = list(qs.order_by("-occurred_at", "-id")[:50])
    codes = {
        str(code)
        for e in entries
        for code in (e.old.get("profession"), e.new.get("profession"))
        if code
    }
    names = {p.code: p for p in Profession.objects.filter(code__in=codes)} if codes else {}
    rows = []
    for e in entries:
        old_code = str(e.old.get("profession") or "")
        new_code = str(e.new.get("profession") or "")
        rows.append(
            ProfessionHistoryRow(
                entry_id=e.pk,
                on=timezone.localdate(e.occurred_at),
                old_code=old_code,
                old_profession=names.get(old_code),
                new_code=new_code,
                new_profession=names.get(new_code),
                correction=bool(e.new.get("correction")),
                request_number=e.service_request.number if e.service_request else None,
                fee_halalas=e.service_request.fee_total_halalas if e.service_request else None,
            )
        )
    return rows
