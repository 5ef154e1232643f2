"""Iqama issuance fees (DOMAIN.md "Iqama issuance"), computed from the default schedule.

Expected totals are worked out by hand: one year of iqama fee SAR 650, work permit SAR 100 and expat
levy SAR 800 × 12 = 9,600 (700 × 12 = 8,400 where Saudis are the majority), the dependents levy SAR 400 ×
12 = 4,800 per active dependent, the late issuance fine SAR 500 after 90 days from arrival, and Wasel
postage SAR 30 for the card.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from muqeem.eservices.iqama_issuance.fees import is_late, issuance_deadline, issuance_quote
from muqeem.fees.models import FeeCode
from muqeem.fees.schedule import default_schedule

SCHEDULE = default_schedule(date(2026, 3, 1))
SAR = 100  # halalas


def quote(*, dependents=0, saudis_majority=False, late=False, schedule=SCHEDULE):
    return issuance_quote(
        schedule, dependents=dependents, saudis_majority=saudis_majority, late=late
    )


def lines(q) -> dict[str, int]:
    return {str(line.code): line.amount_halalas // SAR for line in q.lines}


@pytest.mark.parametrize(
    ("case", "kwargs", "expected_lines", "total_sar"),
    [
        (
            "worker without dependents",
            {},
            {
                "iqama_fee": 650,
                "work_permit_fee": 100,
                "expat_levy": 9_600,
                "wasel_delivery_fee": 30,
            },
            10_380,
        ),
        (
            "worker without dependents, issued late",
            {"late": True},
            {
                "iqama_fee": 650,
                "work_permit_fee": 100,
                "expat_levy": 9_600,
                "iqama_issuance_late_fine": 500,
                "wasel_delivery_fee": 30,
            },
            10_880,
        ),
        (
            "Saudis are the majority",
            {"saudis_majority": True},
            {
                "iqama_fee": 650,
                "work_permit_fee": 100,
                "expat_levy": 8_400,
                "wasel_delivery_fee": 30,
            },
            9_180,
        ),
        (
            "two dependents",
            {"dependents": 2},
            {
                "iqama_fee": 650,
                "work_permit_fee": 100,
                "expat_levy": 9_600,
                "dependents_levy": 9_600,
                "wasel_delivery_fee": 30,
            },
            19_980,
        ),
        (
            "one dependent, Saudi majority, late",
            {"dependents": 1, "saudis_majority": True, "late": True},
            {
                "iqama_fee": 650,
                "work_permit_fee": 100,
                "expat_levy": 8_400,
                "dependents_levy": 4_800,
                "iqama_issuance_late_fine": 500,
                "wasel_delivery_fee": 30,
            },
            14_480,
        ),
    ],
)
def test_quote_table(case, kwargs, expected_lines, total_sar):
    q = quote(**kwargs)
    assert lines(q) == expected_lines
    assert q.total_halalas == total_sar * SAR


def test_lines_come_in_a_fixed_order_with_postage_last():
    q = quote(dependents=1, late=True)
    assert [line.code for line in q.lines] == [
        FeeCode.IQAMA_FEE,
        FeeCode.WORK_PERMIT_FEE,
        FeeCode.EXPAT_LEVY,
        FeeCode.DEPENDENTS_LEVY,
        FeeCode.IQAMA_ISSUANCE_LATE_FINE,
        FeeCode.WASEL_DELIVERY_FEE,
    ]


def test_every_amount_comes_from_the_schedule():
    values = dict(SCHEDULE.values)
    values.update(
        {
            "issuance.period_months": 6,  # 650 × 6/12 = 325, 100 × 6/12 = 50, 800 × 6 = 4,800
            "issuance.late_fine": 75_000,
            "wasel.delivery_fee": 4_500,
        }
    )
    schedule = replace(SCHEDULE, values=values, fingerprint="changed")
    q = quote(late=True, schedule=schedule)
    assert lines(q) == {
        "iqama_fee": 325,
        "work_permit_fee": 50,
        "expat_levy": 4_800,
        "iqama_issuance_late_fine": 750,
        "wasel_delivery_fee": 45,
    }
    assert q.schedule_fingerprint == "changed"


ARRIVAL = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("today", "late"),
    [
        (ARRIVAL, False),
        (ARRIVAL + timedelta(days=89), False),
        (ARRIVAL + timedelta(days=90), False),  # the 90th day after arrival is still in time
        (ARRIVAL + timedelta(days=91), True),
        (ARRIVAL + timedelta(days=400), True),
    ],
)
def test_late_from_the_day_after_the_window(today, late):
    assert is_late(today=today, arrival_date=ARRIVAL, window_days=90) is late


def test_without_an_arrival_date_issuance_is_not_late():
    assert is_late(today=date(2030, 1, 1), arrival_date=None, window_days=90) is False


def test_deadline_is_the_window_after_arrival():
    assert issuance_deadline(arrival_date=ARRIVAL, window_days=90) == date(2026, 4, 1)
