"""Exit and re-entry visa eligibility (DOMAIN.md "Exit and re-entry visa"): issue, extend, cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise

from muqeem.core.errors import ErrorCode, Violation
from muqeem.core.money import Money
from muqeem.residents.models import ResidentStatus
from muqeem.workflow import rules as common
from muqeem.workflow.rules import ResidentFacts, Rule

from .models import DurationUnit, VisaStatus


@dataclass(frozen=True)
class IssueSnapshot:
    facts: ResidentFacts
    unit: str
    value: int | None
    return_before: date | None
    months: int
    max_months: int
    min_passport_days: int
    latest_return: date
    current_visa_number: str | None
    unpaid_visa_fines_halalas: int
    total_halalas: int


def rule_duration_valid(s: IssueSnapshot) -> Violation | None:
    ok = 1 <= s.months <= s.max_months
    if s.unit == DurationUnit.RETURN_BEFORE:
        ok = ok and s.return_before is not None and s.return_before > s.facts.today
    elif s.unit == DurationUnit.DAYS:
        ok = ok and (s.value or 0) >= 1
    if ok:
        return None
    return Violation(ErrorCode.VISA_DURATION_INVALID, {"months": s.max_months})


def rule_iqama_covers_return(s: IssueSnapshot) -> Violation | None:
    expiry = s.facts.iqama_expiry
    if expiry is not None and expiry >= s.latest_return:
        return None
    return Violation(
        ErrorCode.IQAMA_DOES_NOT_COVER_VISA,
        {"iqama_expiry": expiry or s.facts.today, "return_date": s.latest_return},
    )


def rule_no_current_visa(s: IssueSnapshot) -> Violation | None:
    if s.current_visa_number is None:
        return None
    return Violation(ErrorCode.VISA_ALREADY_VALID, {"number": s.current_visa_number})


def rule_no_unpaid_visa_fine(s: IssueSnapshot) -> Violation | None:
    if s.unpaid_visa_fines_halalas <= 0:
        return None
    return Violation(ErrorCode.UNPAID_VISA_FINE, {"amount": Money(s.unpaid_visa_fines_halalas)})


def rule_passport_valid(s: IssueSnapshot) -> Violation | None:
    return common.rule_passport_valid_for(s.min_passport_days)(s)


def _status_labels() -> dict[str, Promise]:
    return {str(v): v.label for v in ResidentStatus}


def issue_rules() -> list[Rule[IssueSnapshot]]:
    return [
        rule_duration_valid,
        common.rule_status_in(
            [ResidentStatus.ACTIVE, ResidentStatus.OUTSIDE_KINGDOM], _status_labels()
        ),
        common.rule_inside_kingdom,
        rule_passport_valid,
        rule_iqama_covers_return,
        common.rule_no_unpaid_traffic_fines,
        common.rule_fingerprint_registered,
        rule_no_current_visa,
        rule_no_unpaid_visa_fine,
        common.rule_balance_covers_fees,
    ]


@dataclass(frozen=True)
class ExtendSnapshot:
    facts: ResidentFacts
    visa_status: str
    expires_on: date | None
    deadline: date | None
    months: int
    max_months: int
    new_expiry: date | None
    total_halalas: int


def rule_visa_in_use_abroad(s: ExtendSnapshot) -> Violation | None:
    if s.visa_status == VisaStatus.USED and not s.facts.inside_kingdom:
        return None
    return Violation(ErrorCode.VISA_NOT_OUTSIDE)


def rule_within_extension_window(s: ExtendSnapshot) -> Violation | None:
    if s.deadline is None or s.facts.today <= s.deadline:
        return None
    return Violation(ErrorCode.VISA_EXTENSION_WINDOW_PASSED, {"deadline": s.deadline})


def rule_extension_months_valid(s: ExtendSnapshot) -> Violation | None:
    if 1 <= s.months <= s.max_months:
        return None
    return Violation(ErrorCode.VISA_DURATION_INVALID, {"months": s.max_months})


def rule_iqama_covers_extension(s: ExtendSnapshot) -> Violation | None:
    expiry = s.facts.iqama_expiry
    if s.new_expiry is None or (expiry is not None and expiry >= s.new_expiry):
        return None
    return Violation(
        ErrorCode.IQAMA_DOES_NOT_COVER_VISA,
        {"iqama_expiry": expiry or s.facts.today, "return_date": s.new_expiry},
    )


def extend_rules() -> list[Rule[ExtendSnapshot]]:
    return [
        rule_visa_in_use_abroad,
        rule_within_extension_window,
        rule_extension_months_valid,
        rule_iqama_covers_extension,
        common.rule_balance_covers_fees,
    ]


@dataclass(frozen=True)
class CancelSnapshot:
    today: date
    visa_status: str
    visa_status_label: str | Promise
    deadline: date


def rule_visa_unused(s: CancelSnapshot) -> Violation | None:
    if s.visa_status == VisaStatus.ISSUED:
        return None
    return Violation(ErrorCode.VISA_NOT_CANCELLABLE, {"status": s.visa_status_label})


def rule_within_cancel_window(s: CancelSnapshot) -> Violation | None:
    if s.visa_status != VisaStatus.ISSUED or s.today <= s.deadline:
        return None
    return Violation(ErrorCode.VISA_CANCEL_WINDOW_PASSED, {"deadline": s.deadline})


def cancel_rules() -> list[Rule[CancelSnapshot]]:
    return [rule_visa_unused, rule_within_cancel_window]
