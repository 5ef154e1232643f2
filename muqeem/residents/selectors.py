"""Reads of residents, always scoped to the actor's establishment: another establishment's resident
is indistinguishable from one that does not exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.ids import BORDER_FIRST_DIGITS, ID_LENGTH, iqama_number_problem, normalize_digits
from muqeem.residents.models import Resident

if TYPE_CHECKING:
    from muqeem.accounts.models import User


def parse_iqama_number(value: str) -> str:
    """Normalised iqama number, or a field error in both languages."""
    number = normalize_digits(value or "")
    if iqama_number_problem(number) is not None:
        raise DomainError(ErrorCode.IQAMA_NUMBER_INVALID)
    return number


def resident_qs_for(*, actor: User) -> QuerySet[Resident]:
    if actor.establishment_id is None:
        return Resident.objects.none()
    return Resident.objects.filter(establishment_id=actor.establishment_id)


def access_resident_by_iqama_number(
    *, actor: User, iqama_number: str, for_update: bool = False
) -> Resident:
    qs = resident_qs_for(actor=actor).select_related("nationality", "profession", "establishment")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    resident = qs.filter(iqama_number=iqama_number).first()
    if resident is None:
        raise DomainError(ErrorCode.RESIDENT_NOT_FOUND)
    return resident


def parse_border_number(value: str) -> str:
    number = normalize_digits(value or "")
    if not (
        number.isascii()
        and number.isdigit()
        and len(number) == ID_LENGTH
        and number[0] in BORDER_FIRST_DIGITS
    ):
        raise DomainError(ErrorCode.BORDER_NUMBER_INVALID)
    return number


def access_resident_by_border_number(
    *, actor: User, border_number: str, for_update: bool = False
) -> Resident:
    qs = resident_qs_for(actor=actor).select_related("nationality", "profession", "establishment")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    resident = qs.filter(border_number=border_number).first()
    if resident is None:
        raise DomainError(ErrorCode.RESIDENT_NOT_FOUND)
    return resident


def resident_file(*, resident: Resident) -> dict[str, object]:
    """Everything the resident's file page shows, in a fixed number of queries."""
    from muqeem.delivery.selectors import deliveries_for_resident
    from muqeem.eservices.exit_reentry.models import Visa
    from muqeem.eservices.final_exit.models import FinalExit
    from muqeem.fees.models import Penalty

    return {
        "resident": resident,
        "dependents": list(resident.dependents.all()),
        "visas": list(
            Visa.objects.filter(resident=resident).select_related("unused_fine").order_by("-pk")
        ),
        "final_exits": list(FinalExit.objects.filter(resident=resident).order_by("-pk")),
        "fines": list(Penalty.objects.filter(resident=resident).order_by("-pk")),
        "history": list(resident.history.all()[:50]),
        "crossings": list(resident.crossings.select_related("visa", "final_exit").all()[:20]),
        "deliveries": deliveries_for_resident(resident),
    }
