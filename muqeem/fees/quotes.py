"""Fee quotes: itemised lines and their total, computed by pure functions from a schedule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from muqeem.core.money import Money
from muqeem.fees.models import FeeCode


@dataclass(frozen=True)
class FeeLine:
    code: FeeCode
    amount_halalas: int
    # How the line was computed (months, dependents, multiplier…), shown beside the amount.
    basis: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(FeeCode(self.code).label)

    @property
    def amount(self) -> Money:
        return Money(self.amount_halalas)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "amount_halalas": self.amount_halalas,
            "basis": dict(self.basis),
        }


@dataclass(frozen=True)
class Quote:
    lines: tuple[FeeLine, ...]
    schedule_fingerprint: str

    @property
    def total_halalas(self) -> int:
        return sum(line.amount_halalas for line in self.lines)

    @property
    def total(self) -> Money:
        return Money(self.total_halalas)

    def as_list(self) -> list[dict[str, Any]]:
        return [line.as_dict() for line in self.lines]
