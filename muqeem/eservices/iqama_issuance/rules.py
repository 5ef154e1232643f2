"""Iqama issuance eligibility (DOMAIN.md "Iqama issuance"). Pure functions over `IssuanceSnapshot`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from muqeem.core.dates import add_months
from muqeem.core.errors import ErrorCode, Violation
from muqeem.residents.models import ResidentStatus
from muqeem.workflow import rules as common
from muqeem.workflow.rules import ResidentFacts, Rule

# A new arrival on a border number is `active`; any other status (a probation final exit, a transfer,
# an absence report…) means no first iqama can be issued online.
ISSUABLE_STATUSES = (ResidentStatus.ACTIVE,)


@dataclass(frozen=True)
class IssuanceSnapshot:
    facts: ResidentFacts
    has_iqama: bool
    medical_exam_passed: bool
    min_passport_days: int
    # The card is delivered by Wasel to the establishment's national address.
    national_address_complete: bool
    total_halalas: int


def first_iqama_expiry(*, issued_on: date, months: int) -> date:
    """A first iqama runs for `months` calendar months from its issue date."""
    return add_months(issued_on, months)


def rule_no_iqama_yet(s: IssuanceSnapshot) -> Violation | None:
    if not s.has_iqama:
        return None
    return Violation(ErrorCode.IQAMA_ALREADY_ISSUED)


def rule_medical_exam_passed(s: IssuanceSnapshot) -> Violation | None:
    if s.medical_exam_passed:
        return None
    return Violation(ErrorCode.MEDICAL_EXAM_NOT_PASSED)


def rule_passport_valid(s: IssuanceSnapshot) -> Violation | None:
    return common.rule_passport_valid_for(s.min_passport_days)(s)


def rule_national_address_complete(s: IssuanceSnapshot) -> Violation | None:
    if s.national_address_complete:
        return None
    return Violation(ErrorCode.NATIONAL_ADDRESS_INVALID)


def rules() -> list[Rule[IssuanceSnapshot]]:
    labels = {str(v): v.label for v in ResidentStatus}
    return [
        rule_no_iqama_yet,
        common.rule_status_in([str(s) for s in ISSUABLE_STATUSES], labels),
        common.rule_inside_kingdom,
        rule_medical_exam_passed,
        common.rule_insurance_active,
        common.rule_fingerprint_registered,
        rule_passport_valid,
        common.rule_no_unpaid_traffic_fines,
        rule_national_address_complete,
        common.rule_balance_covers_fees,
    ]
