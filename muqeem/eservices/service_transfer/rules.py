"""Transfer of services eligibility (DOMAIN.md "Transfer of services")."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from muqeem.core.errors import ErrorCode, Violation
from muqeem.residents.models import ResidentStatus
from muqeem.workflow import rules as common
from muqeem.workflow.rules import ResidentFacts, Rule

TRANSFERABLE_STATUSES = (ResidentStatus.ACTIVE,)


@dataclass(frozen=True)
class TransferSnapshot:
    """`facts.balance_halalas` is the NEW sponsor's balance: the new sponsor pays."""

    facts: ResidentFacts
    same_establishment: bool
    pending_transfer: bool
    total_halalas: int
    consent_required: bool = False
    consented: bool = True


def rule_not_same_establishment(s: TransferSnapshot) -> Violation | None:
    if not s.same_establishment:
        return None
    return Violation(ErrorCode.TRANSFER_TO_SAME_ESTABLISHMENT)


def rule_no_pending_transfer(s: TransferSnapshot) -> Violation | None:
    if not s.pending_transfer:
        return None
    return Violation(ErrorCode.TRANSFER_PENDING)


def rule_worker_consented(s: TransferSnapshot) -> Violation | None:
    if not s.consent_required or s.consented:
        return None
    return Violation(ErrorCode.WORKER_CONSENT_REQUIRED)


def _labels() -> dict[str, Promise]:
    return {str(v): v.label for v in ResidentStatus}


def _eligibility() -> list[Rule[TransferSnapshot]]:
    return [
        rule_not_same_establishment,
        common.rule_status_in(list(TRANSFERABLE_STATUSES), _labels()),
        common.rule_not_reported_absent,
        common.rule_iqama_valid,
        common.rule_passport_valid_for(1),
        common.rule_fingerprint_registered,
        common.rule_no_unpaid_traffic_fines,
    ]


def request_rules() -> list[Rule[TransferSnapshot]]:
    """When the new sponsor asks: the resident's file and a balance that covers the fee."""
    return [*_eligibility(), rule_no_pending_transfer, common.rule_balance_covers_fees]


def approval_rules() -> list[Rule[TransferSnapshot]]:
    """When the current sponsor approves: the same conditions again (facts may have changed while
    the request waited), the worker's consent when required, and the new sponsor's balance."""
    return [*_eligibility(), rule_worker_consented, common.rule_balance_covers_fees]
