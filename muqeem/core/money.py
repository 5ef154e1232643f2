"""Money is integer halalas (1 SAR = 100 halalas) everywhere; never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language

HALALAS_PER_RIYAL = 100
MONTHS_PER_YEAR = 12


@dataclass(frozen=True, order=True)
class Money:
    """An amount in halalas that knows how to show itself in the active language."""

    halalas: int

    def __str__(self) -> str:
        return format_halalas(self.halalas)

    def __add__(self, other: Money) -> Money:
        return Money(self.halalas + other.halalas)


def riyals(amount: int | str | Decimal) -> int:
    """Whole or decimal riyals to halalas; rejects fractions of a halala."""
    value = Decimal(str(amount)) * HALALAS_PER_RIYAL
    if value != value.to_integral_value():
        raise ValueError(f"{amount} SAR is not a whole number of halalas")
    return int(value)


def prorate_to_riyal(annual_halalas: int, months: int) -> int:
    """An annual fee for `months` months, rounded half up to a whole riyal.

    The portal publishes pro-rata iqama fees as whole riyals (650/year: 163 for 3 months, 488 for 9),
    which is the annual fee × months / 12 rounded half up.
    """
    exact = Decimal(annual_halalas) * months / MONTHS_PER_YEAR / HALALAS_PER_RIYAL
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) * HALALAS_PER_RIYAL


def format_halalas(halalas: int, *, with_currency: bool = True) -> str:
    """`1,234.50 ريال` in Arabic, `SAR 1,234.50` in English (Western digits in both, as the portal does)."""
    sign = "-" if halalas < 0 else ""
    riyal_part, halala_part = divmod(abs(halalas), HALALAS_PER_RIYAL)
    number = f"{sign}{riyal_part:,}.{halala_part:02d}"
    if not with_currency:
        return number
    if (get_language() or "ar").startswith("ar"):
        return f"{number} ريال"
    return f"SAR {number}"
