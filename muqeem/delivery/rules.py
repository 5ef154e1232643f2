"""Who can order a replacement iqama card (DOMAIN.md "Wasel delivery"): pure rules over a snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from muqeem.core.errors import ErrorCode, Violation
from muqeem.residents.models import ResidentStatus
from muqeem.workflow import rules as common
from muqeem.workflow.rules import ResidentFacts, Rule


@dataclass(frozen=True)
class ReprintSnapshot:
    facts: ResidentFacts
    national_address_complete: bool
    open_delivery_tracking: str | None
    total_halalas: int


def rule_national_address_complete(s: ReprintSnapshot) -> Violation | None:
    if s.national_address_complete:
        return None
    return Violation(ErrorCode.NATIONAL_ADDRESS_INVALID)


def rule_no_open_delivery(s: ReprintSnapshot) -> Violation | None:
    if s.open_delivery_tracking is None:
        return None
    return Violation(ErrorCode.DELIVERY_ALREADY_OPEN, {"tracking": s.open_delivery_tracking})


def _status_labels() -> dict[str, Promise]:
    return {str(v): v.label for v in ResidentStatus}


def reprint_rules() -> list[Rule[ReprintSnapshot]]:
    return [
        common.rule_status_in([ResidentStatus.ACTIVE], _status_labels()),
        common.rule_inside_kingdom,
        common.rule_iqama_valid,
        rule_national_address_complete,
        rule_no_open_delivery,
        common.rule_balance_covers_fees,
    ]
