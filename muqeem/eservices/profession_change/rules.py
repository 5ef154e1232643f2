"""Profession change eligibility (DOMAIN.md "Profession change"): pure rules over a snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from muqeem.core.errors import ErrorCode, Violation
from muqeem.residents.models import ResidentStatus
from muqeem.workflow import rules as common
from muqeem.workflow.rules import ResidentFacts, Rule

# `outside_kingdom` passes the status rule on purpose: a resident abroad is refused by
# `rule_inside_kingdom` with the message that says what to do, instead of two messages for one cause.
ALLOWED_STATUSES = (ResidentStatus.ACTIVE, ResidentStatus.OUTSIDE_KINGDOM)


@dataclass(frozen=True)
class ProfessionChangeSnapshot:
    facts: ResidentFacts
    current_profession_code: str
    new_profession_code: str
    # The new code is in the profession list and not withdrawn by the authority.
    new_profession_listed: bool
    pending_transfer: bool
    total_halalas: int


def rule_profession_listed(s: ProfessionChangeSnapshot) -> Violation | None:
    if s.new_profession_listed:
        return None
    return Violation(ErrorCode.PROFESSION_NOT_FOUND)


def rule_profession_differs(s: ProfessionChangeSnapshot) -> Violation | None:
    if s.new_profession_code != s.current_profession_code:
        return None
    return Violation(ErrorCode.PROFESSION_UNCHANGED)


def rule_no_pending_transfer(s: ProfessionChangeSnapshot) -> Violation | None:
    if not s.pending_transfer:
        return None
    return Violation(ErrorCode.TRANSFER_PENDING)


def _status_labels() -> dict[str, Promise]:
    return {str(v): v.label for v in ResidentStatus}


def rules() -> list[Rule[ProfessionChangeSnapshot]]:
    return [
        common.rule_status_in(list(ALLOWED_STATUSES), _status_labels()),
        common.rule_inside_kingdom,
        common.rule_iqama_valid,
        rule_profession_listed,
        rule_profession_differs,
        rule_no_pending_transfer,
        common.rule_balance_covers_fees,
    ]
