"""Profession change fee table (DOMAIN.md: SAR 2,000; a generic title is corrected free, once)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from muqeem.eservices.profession_change.fees import (
    is_free_correction,
    profession_change_quote,
    quote_is_correction,
)
from muqeem.fees.models import FeeCode
from muqeem.fees.schedule import default_schedule

SCHEDULE = default_schedule(date(2026, 3, 1))


@pytest.mark.parametrize(
    ("generic", "used", "total", "correction"),
    [
        (True, 0, 0, True),  # generic title: the first correction is free
        (True, 1, 200_000, False),  # a second correction is a paid change
        (True, 5, 200_000, False),
        (False, 0, 200_000, False),  # a specific title is always a paid change
        (False, 1, 200_000, False),
    ],
)
def test_fee_table(generic, used, total, correction):
    quote = profession_change_quote(SCHEDULE, current_is_generic=generic, corrections_used=used)
    assert quote.total_halalas == total
    assert quote_is_correction(quote) is correction
    assert [line.code for line in quote.lines] == [FeeCode.PROFESSION_CHANGE_FEE]
    assert quote.schedule_fingerprint == SCHEDULE.fingerprint


def test_free_line_says_why_it_is_free():
    quote = profession_change_quote(SCHEDULE, current_is_generic=True, corrections_used=0)
    assert quote.as_list() == [
        {"code": "profession_change_fee", "amount_halalas": 0, "basis": {"correction": 1}}
    ]


def test_amount_and_allowance_come_from_the_schedule():
    schedule = replace(
        SCHEDULE,
        values={
            **SCHEDULE.values,
            "profession.change_fee": 250_000,
            "profession.free_corrections": 2,
        },
        fingerprint="changed",
    )
    second = profession_change_quote(schedule, current_is_generic=True, corrections_used=1)
    third = profession_change_quote(schedule, current_is_generic=True, corrections_used=2)
    assert second.total_halalas == 0 and quote_is_correction(second)
    assert third.total_halalas == 250_000 and not quote_is_correction(third)


@pytest.mark.parametrize(
    ("generic", "used", "allowed", "free"),
    [(True, 0, 1, True), (True, 1, 1, False), (True, 0, 0, False), (False, 0, 1, False)],
)
def test_is_free_correction(generic, used, allowed, free):
    assert (
        is_free_correction(
            current_is_generic=generic, corrections_used=used, free_corrections=allowed
        )
        is free
    )
