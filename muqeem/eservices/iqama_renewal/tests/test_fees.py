"""Iqama renewal fees (DOMAIN.md "Iqama renewal"), computed from the default schedule.

Expected totals are worked out by hand from DOMAIN.md: iqama fee SAR 650/year pro rata (3 m 163,
6 m 325, 9 m 488, 12 m 650), work permit SAR 100/year pro rata (25/50/75/100), expat levy SAR 800/month
(700 where Saudis are the majority), dependents levy SAR 400/month each, late fine SAR 500 the first
time and 1,000 the second, and a doubled iqama fee for a domestic worker renewed abroad.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muqeem.eservices.iqama_renewal.fees import is_late, late_fine_halalas, renewal_quote
from muqeem.fees.models import FeeCode
from muqeem.fees.schedule import default_schedule

SCHEDULE = default_schedule(date(2026, 3, 1))
SAR = 100  # halalas

IQAMA = FeeCode.IQAMA_FEE
PERMIT = FeeCode.WORK_PERMIT_FEE
LEVY = FeeCode.EXPAT_LEVY
DEPS = FeeCode.DEPENDENTS_LEVY
FINE = FeeCode.LATE_RENEWAL_FINE


def quote(
    *,
    months=12,
    dependents=0,
    saudis_majority=False,
    abroad=False,
    domestic_worker=False,
    late=False,
    prior_late_renewals=0,
    schedule=SCHEDULE,
):
    return renewal_quote(
        schedule,
        months=months,
        dependents=dependents,
        saudis_majority=saudis_majority,
        abroad=abroad,
        domestic_worker=domestic_worker,
        late=late,
        prior_late_renewals=prior_late_renewals,
    )


def lines_in_riyals(q):
    return {line.code: line.amount_halalas // SAR for line in q.lines}


# (case, quote arguments, expected lines in SAR, expected total in SAR)
CASES = [
    ("12 months", {}, {IQAMA: 650, PERMIT: 100, LEVY: 9600}, 10350),
    ("3 months", {"months": 3}, {IQAMA: 163, PERMIT: 25, LEVY: 2400}, 2588),
    ("6 months", {"months": 6}, {IQAMA: 325, PERMIT: 50, LEVY: 4800}, 5175),
    ("9 months", {"months": 9}, {IQAMA: 488, PERMIT: 75, LEVY: 7200}, 7763),
    # Integrators may offer 24 months: 1,300 + 200 + 800 × 24.
    ("24 months", {"months": 24}, {IQAMA: 1300, PERMIT: 200, LEVY: 19200}, 20700),
    # 700 × 12 = 8,400.
    ("Saudi majority", {"saudis_majority": True}, {IQAMA: 650, PERMIT: 100, LEVY: 8400}, 9150),
    # 400 × 3 months × 2 dependents = 2,400.
    (
        "two dependents, 3 months",
        {"months": 3, "dependents": 2},
        {IQAMA: 163, PERMIT: 25, LEVY: 2400, DEPS: 2400},
        4988,
    ),
    # 700 × 6 = 4,200; 400 × 6 × 1 = 2,400.
    (
        "one dependent, Saudi majority, 6 months",
        {"months": 6, "dependents": 1, "saudis_majority": True},
        {IQAMA: 325, PERMIT: 50, LEVY: 4200, DEPS: 2400},
        6975,
    ),
    (
        "domestic worker abroad: iqama fee doubled",
        {"abroad": True, "domestic_worker": True},
        {IQAMA: 1300, PERMIT: 100, LEVY: 9600},
        11000,
    ),
    (
        "abroad but not a domestic worker",
        {"abroad": True},
        {IQAMA: 650, PERMIT: 100, LEVY: 9600},
        10350,
    ),
    (
        "domestic worker at home",
        {"domestic_worker": True},
        {IQAMA: 650, PERMIT: 100, LEVY: 9600},
        10350,
    ),
    (
        "first late renewal",
        {"months": 3, "late": True},
        {IQAMA: 163, PERMIT: 25, LEVY: 2400, FINE: 500},
        3088,
    ),
    (
        "second late renewal",
        {"months": 3, "late": True, "prior_late_renewals": 1},
        {IQAMA: 163, PERMIT: 25, LEVY: 2400, FINE: 1000},
        3588,
    ),
    # The third is not renewable online (the rules refuse it); the quote carries no fine.
    (
        "third late renewal",
        {"months": 3, "late": True, "prior_late_renewals": 2},
        {IQAMA: 163, PERMIT: 25, LEVY: 2400},
        2588,
    ),
    (
        "on time after earlier late renewals",
        {"months": 3, "prior_late_renewals": 1},
        {IQAMA: 163, PERMIT: 25, LEVY: 2400},
        2588,
    ),
    # 488 × 2 = 976; 75; 700 × 9 = 6,300; 400 × 9 × 3 = 10,800; fine 500.
    (
        "everything at once",
        {
            "months": 9,
            "dependents": 3,
            "saudis_majority": True,
            "abroad": True,
            "domestic_worker": True,
            "late": True,
        },
        {IQAMA: 976, PERMIT: 75, LEVY: 6300, DEPS: 10800, FINE: 500},
        18651,
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "expected_lines", "expected_total"),
    [pytest.param(kwargs, lines, total, id=case) for case, kwargs, lines, total in CASES],
)
def test_renewal_quote_matches_hand_computed_fees(kwargs, expected_lines, expected_total):
    q = quote(**kwargs)
    assert lines_in_riyals(q) == expected_lines
    assert q.total_halalas == expected_total * SAR


def test_quote_lines_come_in_a_fixed_order():
    q = quote(months=3, dependents=1, late=True)
    assert [line.code for line in q.lines] == [IQAMA, PERMIT, LEVY, DEPS, FINE]


def test_quote_lines_say_how_they_were_computed():
    q = quote(months=6, dependents=2, abroad=True, domestic_worker=True, late=True)
    basis = {line.code: line.basis for line in q.lines}
    assert basis == {
        IQAMA: {"months": 6, "multiplier": 2},
        PERMIT: {"months": 6},
        LEVY: {"months": 6},
        DEPS: {"months": 6, "dependents": 2},
        FINE: {"occurrence": 1},
    }


def test_quote_carries_the_schedule_fingerprint():
    assert quote().schedule_fingerprint == SCHEDULE.fingerprint
    changed = replace(SCHEDULE, fingerprint="2026-07-01#3")
    assert quote(schedule=changed).schedule_fingerprint == "2026-07-01#3"


def test_quote_follows_the_schedule_values():
    values = dict(SCHEDULE.values)
    values["renewal.expat_levy_per_month"] = 90000
    values["renewal.late_fines"] = [30000]
    schedule = replace(SCHEDULE, values=values)
    q = quote(months=3, late=True, schedule=schedule)
    assert lines_in_riyals(q) == {IQAMA: 163, PERMIT: 25, LEVY: 2700, FINE: 300}


@pytest.mark.parametrize(
    ("today", "late"),
    [
        (date(2026, 1, 1), False),  # before expiry
        (date(2026, 1, 10), False),  # the expiry day
        (date(2026, 1, 12), False),  # 2 days after
        (date(2026, 1, 13), True),  # 3 days after: the fine is counted from here
        (date(2026, 3, 1), True),
    ],
)
def test_is_late_from_three_days_after_expiry(today, late):
    assert is_late(today=today, expiry=date(2026, 1, 10), grace_days=3) is late


@pytest.mark.parametrize(("prior", "fine"), [(0, 50000), (1, 100000), (2, None), (7, None)])
def test_late_fine_is_500_then_1000_then_not_online(prior, fine):
    assert late_fine_halalas(SCHEDULE, prior_late_renewals=prior) == fine


quote_arguments = st.fixed_dictionaries(
    {
        "months": st.integers(min_value=1, max_value=24),
        "dependents": st.integers(min_value=0, max_value=10),
        "saudis_majority": st.booleans(),
        "abroad": st.booleans(),
        "domestic_worker": st.booleans(),
        "late": st.booleans(),
        "prior_late_renewals": st.integers(min_value=0, max_value=4),
    }
)


@given(quote_arguments)
def test_total_is_the_sum_of_the_lines(kwargs):
    q = quote(**kwargs)
    assert q.total_halalas == sum(line.amount_halalas for line in q.lines)
    assert q.total.halalas == q.total_halalas


@given(quote_arguments)
def test_every_amount_is_a_positive_whole_number_of_riyals(kwargs):
    for line in quote(**kwargs).lines:
        assert line.amount_halalas > 0
        assert line.amount_halalas % SAR == 0


@given(quote_arguments, st.integers(min_value=1, max_value=24))
def test_fees_grow_with_the_months(kwargs, extra):
    shorter = quote(**kwargs)
    longer = quote(**{**kwargs, "months": kwargs["months"] + extra})
    assert longer.total_halalas > shorter.total_halalas
    shorter_lines = {line.code: line.amount_halalas for line in shorter.lines}
    for line in longer.lines:
        assert line.amount_halalas >= shorter_lines[line.code]


@given(quote_arguments)
def test_each_dependent_adds_400_riyals_a_month(kwargs):
    more = quote(**{**kwargs, "dependents": kwargs["dependents"] + 1})
    assert more.total_halalas - quote(**kwargs).total_halalas == 400 * SAR * kwargs["months"]


@given(quote_arguments)
def test_a_saudi_majority_saves_100_riyals_a_month(kwargs):
    full = quote(**{**kwargs, "saudis_majority": False})
    reduced = quote(**{**kwargs, "saudis_majority": True})
    assert full.total_halalas - reduced.total_halalas == 100 * SAR * kwargs["months"]


@given(quote_arguments)
def test_abroad_doubling_touches_only_the_iqama_fee_of_a_domestic_worker(kwargs):
    home = quote(**{**kwargs, "abroad": False, "domestic_worker": True})
    away = quote(**{**kwargs, "abroad": True, "domestic_worker": True})
    home_lines = {line.code: line.amount_halalas for line in home.lines}
    away_lines = {line.code: line.amount_halalas for line in away.lines}
    assert away_lines[IQAMA] == 2 * home_lines[IQAMA]
    assert {k: v for k, v in away_lines.items() if k != IQAMA} == {
        k: v for k, v in home_lines.items() if k != IQAMA
    }


@given(quote_arguments)
def test_a_late_renewal_never_costs_less(kwargs):
    assert quote(**{**kwargs, "late": True}).total_halalas >= quote(**kwargs).total_halalas


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=-400, max_value=400),
    st.integers(min_value=0, max_value=30),
)
def test_is_late_exactly_when_the_grace_days_have_passed(expiry, offset, grace):
    today = expiry + timedelta(days=offset)
    assert is_late(today=today, expiry=expiry, grace_days=grace) is (offset >= grace)
