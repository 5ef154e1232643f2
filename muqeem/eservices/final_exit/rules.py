"""Final exit eligibility (DOMAIN.md "Final exit"): regular, during probation, and cancelling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise

from muqeem.core.errors import ErrorCode, Violation
from muqeem.residents.models import ResidentStatus
from muqeem.workflow import rules as common
from muqeem.workflow.rules import ResidentFacts, Rule

from .models import FinalExitKind, FinalExitStatus


@dataclass(frozen=True)
class IssueSnapshot:
    facts: ResidentFacts
    age: int
    fingerprint_min_age: int
    registered_vehicles: int
    current_visa_number: str | None
    min_passport_days: int
    total_halalas: int


def rule_fingerprint_if_of_age(s: IssueSnapshot) -> Violation | None:
    if s.age < s.fingerprint_min_age:
        return None
    return common.rule_fingerprint_registered(s)


def rule_no_vehicle_registered(s: IssueSnapshot) -> Violation | None:
    if s.registered_vehicles <= 0:
        return None
    return Violation(ErrorCode.VEHICLE_REGISTERED, {"count": s.registered_vehicles})


def rule_no_valid_exit_reentry_visa(s: IssueSnapshot) -> Violation | None:
    if s.current_visa_number is None:
        return None
    return Violation(ErrorCode.VISA_ALREADY_VALID, {"number": s.current_visa_number})


def rule_passport_valid(s: IssueSnapshot) -> Violation | None:
    return common.rule_passport_valid_for(s.min_passport_days)(s)


def _labels() -> dict[str, Promise]:
    return {str(v): v.label for v in ResidentStatus}


def issue_rules() -> list[Rule[IssueSnapshot]]:
    return [
        common.rule_status_in([ResidentStatus.ACTIVE], _labels()),
        common.rule_not_reported_absent,
        common.rule_inside_kingdom,
        common.rule_iqama_valid,
        rule_passport_valid,
        rule_fingerprint_if_of_age,
        common.rule_no_unpaid_traffic_fines,
        rule_no_vehicle_registered,
        rule_no_valid_exit_reentry_visa,
        common.rule_balance_covers_fees,
    ]


@dataclass(frozen=True)
class ProbationSnapshot:
    facts: ResidentFacts
    has_iqama: bool
    arrival_date: date | None
    probation_days: int
    min_passport_days: int

    @property
    def deadline(self) -> date | None:
        from datetime import timedelta

        return (
            self.arrival_date + timedelta(days=self.probation_days) if self.arrival_date else None
        )


def rule_still_on_border_number(s: ProbationSnapshot) -> Violation | None:
    if not s.has_iqama:
        return None
    return Violation(ErrorCode.NOT_ON_BORDER_NUMBER)


def rule_within_probation(s: ProbationSnapshot) -> Violation | None:
    deadline = s.deadline
    if deadline is not None and s.facts.today <= deadline:
        return None
    return Violation(
        ErrorCode.PROBATION_PERIOD_OVER,
        {"deadline": deadline or s.facts.today, "days": s.probation_days},
    )


def rule_probation_passport_valid(s: ProbationSnapshot) -> Violation | None:
    return common.rule_passport_valid_for(s.min_passport_days)(s)


def probation_rules() -> list[Rule[ProbationSnapshot]]:
    return [
        rule_still_on_border_number,
        rule_within_probation,
        common.rule_status_in([ResidentStatus.ACTIVE], _labels()),
        common.rule_inside_kingdom,
        rule_probation_passport_valid,
        common.rule_no_unpaid_traffic_fines,
    ]


@dataclass(frozen=True)
class CancelSnapshot:
    facts: ResidentFacts
    kind: str
    status: str
    status_label: str | Promise
    free_until: date
    leave_by: date
    total_halalas: int

    @property
    def expired(self) -> bool:
        return self.status == FinalExitStatus.EXPIRED or (
            self.status == FinalExitStatus.ISSUED and self.facts.today > self.leave_by
        )


def rule_cancellable(s: CancelSnapshot) -> Violation | None:
    if s.kind == FinalExitKind.REGULAR and s.status in (
        FinalExitStatus.ISSUED,
        FinalExitStatus.EXPIRED,
    ):
        return None
    return Violation(ErrorCode.FINAL_EXIT_NOT_CANCELLABLE, {"status": s.status_label})


def rule_free_window_or_expired(s: CancelSnapshot) -> Violation | None:
    if s.expired or s.facts.today <= s.free_until:
        return None
    return Violation(ErrorCode.FINAL_EXIT_CANCEL_WINDOW_PASSED, {"deadline": s.free_until})


def rule_iqama_valid_unless_expired(s: CancelSnapshot) -> Violation | None:
    # An expired final exit blocks renewal, so its paid cancellation cannot demand a valid iqama.
    if s.expired:
        return None
    return common.rule_iqama_valid(s)


def cancel_rules() -> list[Rule[CancelSnapshot]]:
    return [
        rule_cancellable,
        rule_free_window_or_expired,
        common.rule_inside_kingdom,
        rule_iqama_valid_unless_expired,
        common.rule_balance_covers_fees,
    ]
