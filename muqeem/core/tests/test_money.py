"""Money: integer halalas, pro-rata fees rounded half up to a whole riyal, bilingual formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from muqeem.core.money import Money, format_halalas, prorate_to_riyal, riyals

IQAMA_FEE_PER_YEAR = 650_00
WORK_PERMIT_FEE_PER_YEAR = 100_00

months = st.integers(min_value=1, max_value=120)
annual_fees = st.integers(min_value=0, max_value=10_000_000_00)


@pytest.mark.parametrize(
    ("annual", "months_", "expected_riyals"),
    [
        # DOMAIN.md: iqama fee 650/year → 3 m 163, 6 m 325, 9 m 488, 12 m 650.
        (IQAMA_FEE_PER_YEAR, 3, 163),  # 650 × 3 / 12 = 162.5 → half up → 163
        (IQAMA_FEE_PER_YEAR, 6, 325),  # 325 exactly
        (IQAMA_FEE_PER_YEAR, 9, 488),  # 487.5 → 488
        (IQAMA_FEE_PER_YEAR, 12, 650),
        (IQAMA_FEE_PER_YEAR, 1, 54),  # 54.17 → 54
        (IQAMA_FEE_PER_YEAR, 5, 271),  # 270.83 → 271
        (IQAMA_FEE_PER_YEAR, 24, 1300),
        # Work permit fee 100/year → 25 / 50 / 75 / 100.
        (WORK_PERMIT_FEE_PER_YEAR, 3, 25),
        (WORK_PERMIT_FEE_PER_YEAR, 6, 50),
        (WORK_PERMIT_FEE_PER_YEAR, 9, 75),
        (WORK_PERMIT_FEE_PER_YEAR, 12, 100),
        (WORK_PERMIT_FEE_PER_YEAR, 1, 8),  # 8.33 → 8
        (WORK_PERMIT_FEE_PER_YEAR, 24, 200),
        (0, 12, 0),
        (650_00, 0, 0),
        (6_00, 1, 1),  # 0.5 → 1: half goes up, not to even
        (30_00, 1, 3),  # 2.5 → 3 (banker's rounding would give 2)
        (1_50, 12, 2),  # an annual fee with halalas: 1.50 → 2
    ],
)
def test_prorate_to_riyal_rounds_half_up_to_whole_riyals(annual, months_, expected_riyals):
    assert prorate_to_riyal(annual, months_) == expected_riyals * 100


@given(annual_fees, months)
def test_prorated_fee_is_a_whole_number_of_riyals(annual, m):
    assert prorate_to_riyal(annual, m) % 100 == 0


@given(annual_fees, months)
def test_prorated_fee_is_within_half_a_riyal_of_the_exact_share(annual, m):
    exact = Decimal(annual) * m / 12
    assert abs(Decimal(prorate_to_riyal(annual, m)) - exact) <= 50


@given(annual_fees, months)
def test_prorated_fee_never_falls_when_months_grow(annual, m):
    assert prorate_to_riyal(annual, m) <= prorate_to_riyal(annual, m + 1)


@given(st.integers(min_value=0, max_value=10_000_000).map(lambda r: r * 100), st.integers(1, 10))
def test_whole_years_of_a_whole_riyal_fee_cost_exactly_that_many_years(annual, years):
    assert prorate_to_riyal(annual, 12 * years) == annual * years


@pytest.mark.parametrize(
    ("amount", "halalas"),
    [
        (650, 65000),
        ("650", 65000),
        ("12.5", 1250),
        ("0.01", 1),
        (Decimal("1.01"), 101),
        (0, 0),
        (-3, -300),
    ],
)
def test_riyals_converts_to_halalas(amount, halalas):
    assert riyals(amount) == halalas


@pytest.mark.parametrize("amount", ["0.001", "1.005", Decimal("0.015")])
def test_riyals_rejects_fractions_of_a_halala(amount):
    with pytest.raises(ValueError, match="not a whole number of halalas"):
        riyals(amount)


@pytest.mark.parametrize(
    ("halalas", "arabic", "english"),
    [
        (0, "0.00 ريال", "SAR 0.00"),
        (1, "0.01 ريال", "SAR 0.01"),
        (16300, "163.00 ريال", "SAR 163.00"),
        (123450, "1,234.50 ريال", "SAR 1,234.50"),
        (123456789, "1,234,567.89 ريال", "SAR 1,234,567.89"),
        (-50000, "-500.00 ريال", "SAR -500.00"),
        (-5, "-0.05 ريال", "SAR -0.05"),
    ],
)
def test_format_halalas_in_arabic_and_english(halalas, arabic, english):
    with translation.override("ar"):
        assert format_halalas(halalas) == arabic
        assert str(Money(halalas)) == arabic
    with translation.override("en"):
        assert format_halalas(halalas) == english
        assert str(Money(halalas)) == english


@pytest.mark.parametrize("language", ["ar", "en"])
def test_format_halalas_without_currency_is_the_bare_number(language):
    with translation.override(language):
        assert format_halalas(123450, with_currency=False) == "1,234.50"


def test_format_halalas_defaults_to_arabic_when_no_language_is_active():
    with translation.override(None):
        assert format_halalas(65000) == "650.00 ريال"


@pytest.mark.parametrize("language", ["en-us", "ar-sa"])
def test_format_halalas_follows_the_language_family(language):
    expected = "650.00 ريال" if language.startswith("ar") else "SAR 650.00"
    with translation.override(language):
        assert format_halalas(65000) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_formatted_number_reads_back_as_the_same_amount(halalas):
    text = format_halalas(halalas, with_currency=False)
    assert riyals(text.replace(",", "")) == halalas


def test_money_adds_and_orders_by_halalas():
    assert Money(16300) + Money(2500) == Money(18800)
    assert Money(100) < Money(101)
    assert max(Money(5), Money(-5), Money(0)) == Money(5)
