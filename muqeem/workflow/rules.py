"""The eligibility engine: pure rules over an immutable snapshot, all evaluated, all violations returned.

A rule is a plain function `rule_<condition>(snapshot) -> Violation | None`. A service lists its rules
in order in its own `rules.py`; `evaluate` runs every one so the officer sees every blocker at once.
The shared rules below read `snapshot.facts` (a `ResidentFacts`) and are reused by every service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from django.utils.functional import Promise

from muqeem.core.errors import ErrorCode, Violation
from muqeem.core.money import Money


@dataclass(frozen=True)
class ResidentFacts:
    """What the shared rules need to know about a resident and the paying establishment today."""

    today: date
    status: str
    inside_kingdom: bool
    iqama_expiry: date | None
    passport_expiry: date
    insurance_active: bool
    insurance_expiry: date | None
    unpaid_fines_halalas: int
    absent_reported: bool
    fingerprint_registered: bool
    balance_halalas: int


class HasFacts(Protocol):
    @property
    def facts(self) -> ResidentFacts: ...


S = TypeVar("S", contravariant=True)  # noqa: PLC0105
Rule = Callable[[S], Violation | None]


def evaluate(rules: Iterable[Rule[S]], snapshot: S) -> list[Violation]:
    """Every violation, in rule order; an empty list means eligible."""
    return [v for rule in rules if (v := rule(snapshot)) is not None]


def rule_status_in(allowed: Sequence[str], labels: Mapping[str, Promise]) -> Rule[HasFacts]:
    """A rule refusing residents whose status is not in `allowed`."""

    def rule_resident_status_allows_service(s: HasFacts) -> Violation | None:
        if s.facts.status in allowed:
            return None
        return Violation(
            ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
            {"status": labels.get(s.facts.status) or s.facts.status},
        )

    return rule_resident_status_allows_service


def rule_passport_valid_for(min_days: int) -> Rule[HasFacts]:
    """Passport not expired, and valid for at least `min_days` more days."""

    def rule_passport_valid(s: HasFacts) -> Violation | None:
        days_left = (s.facts.passport_expiry - s.facts.today).days
        if days_left < 1:
            return Violation(ErrorCode.PASSPORT_EXPIRED, {"expiry": s.facts.passport_expiry})
        if days_left < min_days:
            return Violation(
                ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
                {"days": min_days, "expiry": s.facts.passport_expiry},
            )
        return None

    return rule_passport_valid


def rule_inside_kingdom(s: HasFacts) -> Violation | None:
    if s.facts.inside_kingdom:
        return None
    return Violation(ErrorCode.RESIDENT_OUTSIDE_KINGDOM)


def rule_iqama_valid(s: HasFacts) -> Violation | None:
    expiry = s.facts.iqama_expiry
    if expiry is not None and expiry >= s.facts.today:
        return None
    return Violation(ErrorCode.IQAMA_EXPIRED, {"expiry": expiry or s.facts.today})


def rule_insurance_active(s: HasFacts) -> Violation | None:
    f = s.facts
    if f.insurance_active and (f.insurance_expiry is None or f.insurance_expiry >= f.today):
        return None
    return Violation(ErrorCode.INSURANCE_INACTIVE)


def rule_no_unpaid_traffic_fines(s: HasFacts) -> Violation | None:
    if s.facts.unpaid_fines_halalas <= 0:
        return None
    return Violation(
        ErrorCode.UNPAID_TRAFFIC_FINES, {"amount": Money(s.facts.unpaid_fines_halalas)}
    )


def rule_not_reported_absent(s: HasFacts) -> Violation | None:
    if not s.facts.absent_reported:
        return None
    return Violation(ErrorCode.ABSENT_FROM_WORK_REPORTED)


def rule_fingerprint_registered(s: HasFacts) -> Violation | None:
    if s.facts.fingerprint_registered:
        return None
    return Violation(ErrorCode.FINGERPRINT_NOT_REGISTERED)


class HasFactsAndTotal(HasFacts, Protocol):
    @property
    def total_halalas(self) -> int: ...


def rule_balance_covers_fees(s: HasFactsAndTotal) -> Violation | None:
    if s.facts.balance_halalas >= s.total_halalas:
        return None
    return Violation(
        ErrorCode.INSUFFICIENT_BALANCE,
        {"balance": Money(s.facts.balance_halalas), "total": Money(s.total_halalas)},
    )
