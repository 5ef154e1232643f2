"""Reads the API needs that no app offers yet, scoped to the actor's establishment like every
`access_*` selector: another establishment's record is indistinguishable from a missing one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from muqeem.accounts.permissions import Permission
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.fees.models import LedgerAccount, LedgerLine
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.models import ServiceRequest

if TYPE_CHECKING:
    from muqeem.accounts.models import User

# The permission that lets a user see a request of each service (the one that lets them make it).
SERVICE_PERMISSION: dict[str, Permission] = {
    ServiceType.IQAMA_RENEWAL: Permission.IQAMA_RENEWAL,
    ServiceType.EXIT_REENTRY_ISSUE: Permission.EXIT_REENTRY,
    ServiceType.EXIT_REENTRY_EXTEND: Permission.EXIT_REENTRY,
    ServiceType.EXIT_REENTRY_CANCEL: Permission.EXIT_REENTRY,
    ServiceType.FINE_PAYMENT: Permission.EXIT_REENTRY,
    ServiceType.FINAL_EXIT_ISSUE: Permission.FINAL_EXIT,
    ServiceType.FINAL_EXIT_CANCEL: Permission.FINAL_EXIT,
    ServiceType.IQAMA_ISSUANCE: Permission.IQAMA_ISSUANCE,
    ServiceType.PROFESSION_CHANGE: Permission.PROFESSION_CHANGE,
    ServiceType.SERVICE_TRANSFER: Permission.SERVICE_TRANSFER,
    ServiceType.PASSPORT_UPDATE: Permission.PASSPORT_UPDATE,
    ServiceType.CARD_DELIVERY: Permission.WASEL,
}


def access_service_request_by_number(*, actor: User, number: str) -> ServiceRequest:
    """A request of the actor's establishment, with its resident and history loaded."""
    pk = ServiceRequest.pk_from_number(number)
    request = (
        ServiceRequest.objects.select_related("resident")
        .prefetch_related("events")
        .filter(pk=pk, establishment_id=actor.establishment_id)
        .first()
        if pk is not None and actor.establishment_id is not None
        else None
    )
    if request is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return request


def ledger_lines_recent(*, actor: User, limit: int) -> list[LedgerLine]:
    """The latest movements of the establishment's balance, newest first."""
    if actor.establishment_id is None:
        return []
    return list(
        LedgerLine.objects.filter(
            establishment_id=actor.establishment_id, account=LedgerAccount.ESTABLISHMENT
        )
        .select_related("journal")
        .order_by("-journal__occurred_at", "-pk")[:limit]
    )
