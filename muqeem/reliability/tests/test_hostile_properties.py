"""Properties the existing tests of dates and fees leave out (they cover add_months, Hijri days
advancing and month lengths, renewal and visa fees): the Hijri conversion is a bijection over its
range and keeps the order of days; impossible dates typed as text are refused, never converted; the
issuance, transfer and profession-change quotes are never negative, are the sum of their lines, and
grow the way the schedule says."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hijridate import Hijri
from hypothesis import given
from hypothesis import strategies as st

from muqeem.core.dates import add_months, format_hijri, to_hijri
from muqeem.eservices.iqama_issuance.fees import issuance_quote
from muqeem.eservices.profession_change.fees import profession_change_quote
from muqeem.eservices.service_transfer.fees import transfer_quote
from muqeem.fees.schedule import default_schedule

UMM_AL_QURA = st.dates(min_value=date(1924, 8, 1), max_value=date(2077, 11, 15))
SCHEDULE = default_schedule(date(2026, 3, 1))


@given(UMM_AL_QURA)
def test_hijri_round_trip_gives_back_the_same_day(d):
    year, month, day = to_hijri(d)
    assert Hijri(year, month, day).to_gregorian().datetuple() == (d.year, d.month, d.day)


@given(UMM_AL_QURA)
def test_hijri_text_reads_back_as_the_same_day(d):
    day, month, year = (int(part) for part in format_hijri(d).split("/"))
    assert Hijri(year, month, day).to_gregorian().datetuple() == (d.year, d.month, d.day)


@given(UMM_AL_QURA, UMM_AL_QURA)
def test_hijri_keeps_the_order_of_days(d1, d2):
    assert (d1 < d2) == (to_hijri(d1) < to_hijri(d2))


@given(UMM_AL_QURA, st.integers(0, 600))
def test_adding_months_never_lands_on_a_day_without_a_hijri_date_inside_the_range(d, months):
    later = add_months(d, months)
    if later <= date(2077, 11, 15):
        assert to_hijri(later) is not None


@pytest.mark.parametrize(
    "hijri",
    [(1447, 13, 30), (1447, 0, 1), (1447, 12, 31), (1447, 1, 0), (1447, 2, 30), (1600, 1, 1)],
)
def test_impossible_hijri_dates_are_refused(hijri):
    """1447-13-30 and the like: the calendar refuses them (ValueError, OverflowError), it never
    rolls them over into another day. (Safar 1447 has 29 days.)"""
    with pytest.raises((ValueError, OverflowError)):
        Hijri(*hijri, validate=True).to_gregorian()


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "2026-00-10", "0000-01-01"])
def test_impossible_gregorian_dates_are_refused(text):
    with pytest.raises(ValueError):
        date.fromisoformat(text)


@given(st.integers(0, 20), st.booleans(), st.booleans())
def test_issuance_quote_is_never_negative_and_is_the_sum_of_its_lines(dependents, saudis, late):
    quote = issuance_quote(SCHEDULE, dependents=dependents, saudis_majority=saudis, late=late)
    assert all(line.amount_halalas >= 0 for line in quote.lines)
    assert quote.total_halalas == sum(line.amount_halalas for line in quote.lines) > 0


@given(st.integers(0, 19), st.booleans())
def test_issuance_quote_grows_with_dependents_and_lateness(dependents, saudis):
    def total(n: int, late: bool) -> int:
        return issuance_quote(
            SCHEDULE, dependents=n, saudis_majority=saudis, late=late
        ).total_halalas

    assert total(dependents + 1, False) > total(dependents, False)
    assert total(dependents, True) >= total(dependents, False)


@given(st.integers(0, 50))
def test_transfer_fee_is_positive_and_never_falls_with_more_transfers(prior):
    now = transfer_quote(SCHEDULE, prior_transfers=prior)
    later = transfer_quote(SCHEDULE, prior_transfers=prior + 1)
    assert 0 < now.total_halalas <= later.total_halalas


@given(st.booleans(), st.integers(0, 10))
def test_profession_change_fee_is_the_fee_or_a_free_correction(generic, used):
    quote = profession_change_quote(SCHEDULE, current_is_generic=generic, corrections_used=used)
    assert quote.total_halalas in (0, SCHEDULE.int("profession.change_fee"))
    assert (quote.total_halalas == 0) == (
        generic and used < SCHEDULE.int("profession.free_corrections")
    )


def test_hijri_conversion_has_no_gap_over_a_whole_hijri_year():
    start = date(2025, 6, 26)  # 1 Muharram 1447
    seen = [to_hijri(start + timedelta(days=n)) for n in range(356)]
    assert seen[0] == (1447, 1, 1)
    assert len(set(seen)) == len(seen)
    assert seen[-1][0] == 1448 or seen[-1][1] == 12
