"""Iqama renewal eligibility (DOMAIN.md "Iqama renewal"). Pure functions over `RenewalSnapshot`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from muqeem.core.dates import add_months
from muqeem.core.errors import ErrorCode, Violation
from muqeem.residents.models import ResidentStatus
from muqeem.workflow import rules as common
from muqeem.workflow.rules import ResidentFacts, Rule

# Residents abroad on an exit/re-entry visa may be renewed; every other non-active status blocks.
RENEWABLE_STATUSES = (ResidentStatus.ACTIVE, ResidentStatus.OUTSIDE_KINGDOM)


@dataclass(frozen=True)
class RenewalSnapshot:
    facts: ResidentFacts
    period_months: int
    allowed_periods: tuple[int, ...]
    max_horizon_months: int
    min_passport_days: int
    late: bool
    prior_late_renewals: int
    max_late_renewals: int
    total_halalas: int

    @property
    def new_expiry(self) -> date:
        return new_expiry_for(
            today=self.facts.today,
            current_expiry=self.facts.iqama_expiry,
            months=self.period_months,
        )


def new_expiry_for(*, today: date, current_expiry: date | None, months: int) -> date:
    """The renewal extends the current expiry; an iqama that has already expired is renewed from
    today, so the resident is never issued a period that has already passed."""
    base = current_expiry if current_expiry is not None and current_expiry >= today else today
    return add_months(base, months)


def rule_period_allowed(s: RenewalSnapshot) -> Violation | None:
    if s.period_months in s.allowed_periods:
        return None
    return Violation(
        ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED, {"allowed": ", ".join(map(str, s.allowed_periods))}
    )


def rule_within_renewal_horizon(s: RenewalSnapshot) -> Violation | None:
    limit = add_months(s.facts.today, s.max_horizon_months)
    if s.new_expiry <= limit:
        return None
    return Violation(
        ErrorCode.IQAMA_BEYOND_RENEWAL_HORIZON,
        {"new_expiry": s.new_expiry, "months": s.max_horizon_months},
    )


def rule_late_renewal_allowed_online(s: RenewalSnapshot) -> Violation | None:
    if not s.late or s.prior_late_renewals < s.max_late_renewals:
        return None
    return Violation(ErrorCode.LATE_RENEWAL_LIMIT_REACHED, {"count": s.prior_late_renewals})


def rule_passport_valid(s: RenewalSnapshot) -> Violation | None:
    return common.rule_passport_valid_for(s.min_passport_days)(s)


def rules() -> list[Rule[RenewalSnapshot]]:
    labels = {str(v): v.label for v in ResidentStatus}
    return [
        rule_period_allowed,
        common.rule_status_in([str(s) for s in RENEWABLE_STATUSES], labels),
        rule_within_renewal_horizon,
        rule_late_renewal_allowed_online,
        rule_passport_valid,
        common.rule_insurance_active,
        common.rule_no_unpaid_traffic_fines,
        common.rule_not_reported_absent,
        common.rule_fingerprint_registered,
        common.rule_balance_covers_fees,
    ]
