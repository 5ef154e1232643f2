"""Passport information update eligibility (DOMAIN.md "Passport information update"). Pure functions
over `PassportUpdateSnapshot`; the new passport's own data is checked here too, so the officer sees
every problem with the input and with the resident at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from muqeem.core.errors import ErrorCode, Violation
from muqeem.core.ids import normalize_digits
from muqeem.residents.models import ResidentStatus
from muqeem.workflow import rules as common
from muqeem.workflow.rules import ResidentFacts, Rule

PASSPORT_NUMBER = re.compile(r"[A-Z0-9]{5,20}", re.ASCII)

# A resident who has left (or is leaving) for good, or has died, keeps the passport on file.
BLOCKED_STATUSES = (
    ResidentStatus.FINAL_EXIT_ISSUED,
    ResidentStatus.DEPARTED_FINAL,
    ResidentStatus.DECEASED,
)
UPDATABLE_STATUSES = tuple(s for s in ResidentStatus if s not in BLOCKED_STATUSES)


def normalize_passport_number(value: str) -> str:
    """Upper case, Western digits, without spaces, dashes or invisible direction marks."""
    return normalize_digits(value or "").upper()


@dataclass(frozen=True)
class NewPassport:
    number: str
    issue_date: date
    expiry_date: date

    @classmethod
    def of(cls, *, number: str, issue_date: date, expiry_date: date) -> NewPassport:
        return cls(normalize_passport_number(number), issue_date, expiry_date)

    def as_payload(self) -> dict[str, str]:
        return {
            "number": self.number,
            "issue_date": self.issue_date.isoformat(),
            "expiry_date": self.expiry_date.isoformat(),
        }

    @classmethod
    def from_payload(cls, data: dict[str, str]) -> NewPassport:
        return cls(
            data["number"],
            date.fromisoformat(data["issue_date"]),
            date.fromisoformat(data["expiry_date"]),
        )


@dataclass(frozen=True)
class PassportUpdateSnapshot:
    facts: ResidentFacts
    current_passport_number: str
    new: NewPassport


def rule_passport_number_valid(s: PassportUpdateSnapshot) -> Violation | None:
    if PASSPORT_NUMBER.fullmatch(s.new.number):
        return None
    return Violation(ErrorCode.PASSPORT_NUMBER_INVALID)


def rule_passport_dates_valid(s: PassportUpdateSnapshot) -> Violation | None:
    if s.new.issue_date < s.new.expiry_date and s.new.expiry_date > s.facts.today:
        return None
    return Violation(ErrorCode.PASSPORT_DATES_INVALID)


def rule_passport_number_changed(s: PassportUpdateSnapshot) -> Violation | None:
    if s.new.number != normalize_passport_number(s.current_passport_number):
        return None
    return Violation(ErrorCode.PASSPORT_NUMBER_UNCHANGED)


def rules() -> list[Rule[PassportUpdateSnapshot]]:
    labels = {str(v): v.label for v in ResidentStatus}
    return [
        rule_passport_number_valid,
        rule_passport_dates_valid,
        rule_passport_number_changed,
        common.rule_status_in([str(s) for s in UPDATABLE_STATUSES], labels),
        common.rule_inside_kingdom,
    ]
