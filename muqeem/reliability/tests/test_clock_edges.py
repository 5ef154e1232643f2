"""The clock at its edges: midnight in Riyadh, the last day of a Gregorian month and of a Hijri month.
A quote seen before midnight and confirmed after it is re-quoted, never charged at the old price; a
day's job run at midnight, twice, moves each record once; dates shown in the Hijri calendar turn
over with the Hijri month. `make reliability` runs this module as its clock part."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from hijridate import Gregorian

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.core.dates import add_months, format_hijri
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.eservices.iqama_renewal.fees import is_late
from muqeem.eservices.iqama_renewal.services import iqama_renew, iqama_renewal_check
from muqeem.establishments.models import Establishment
from muqeem.fees.selectors import schedule_at
from muqeem.reliability.reconcile import reconcile_run
from muqeem.residents.models import Resident
from muqeem.web.jobs import daily_jobs_run
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory, UserFactory

RIYADH = ZoneInfo("Asia/Riyadh")
pytestmark = pytest.mark.django_db


def _at(day: date, hh: int, mm: int, ss: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=RIYADH)


def _hijri_month_ends(start: date, count: int) -> list[date]:
    """The next `count` last days of a Hijri month from `start`, found with hijridate itself."""
    found = []
    day = start
    while len(found) < count:
        if Gregorian.fromdate(day + timedelta(days=1)).to_hijri().day == 1:
            found.append(day)
        day += timedelta(days=1)
    return found


MONTH_ENDS = [date(2026, 11, 30), date(2026, 12, 31), date(2027, 2, 28)]
HIJRI_MONTH_ENDS = _hijri_month_ends(date(2026, 12, 1), 2)


@pytest.mark.parametrize("last_day", MONTH_ENDS + HIJRI_MONTH_ENDS, ids=str)
def test_a_quote_before_midnight_confirmed_after_it_is_requoted_not_charged_at_the_old_price(
    establishment, last_day
):
    grace = schedule_at(last_day).int("renewal.late_grace_days")
    # The expiry that makes the iqama late exactly from the next day on.
    expiry = next(
        last_day - timedelta(days=n)
        for n in range(-2, 90)
        if not is_late(today=last_day, expiry=last_day - timedelta(days=n), grace_days=grace)
        and is_late(
            today=last_day + timedelta(days=1),
            expiry=last_day - timedelta(days=n),
            grace_days=grace,
        )
    )
    with time_machine.travel(_at(last_day, 23, 59, 59), tick=False):
        officer = UserFactory(establishment=establishment)
        resident = ResidentFactory(establishment=establishment, iqama_expiry_date=expiry)
        before = iqama_renewal_check(
            actor=officer, iqama_number=resident.iqama_number, period_months=12
        )
        assert before.eligible and not before.snapshot.late
    balance = Establishment.objects.get(pk=establishment.pk).balance_halalas
    with time_machine.travel(_at(last_day + timedelta(days=1), 0, 0, 1), tick=False):
        with pytest.raises(DomainError) as refused:
            iqama_renew(
                actor=officer,
                iqama_number=resident.iqama_number,
                period_months=12,
                idempotency_key="seen-before-midnight",
                expected_total_halalas=before.quote.total_halalas,
            )
        assert refused.value.code == ErrorCode.QUOTE_CHANGED
        assert Establishment.objects.get(pk=establishment.pk).balance_halalas == balance
        assert not ServiceRequest.objects.filter(establishment=establishment).exists()

        after = iqama_renewal_check(
            actor=officer, iqama_number=resident.iqama_number, period_months=12
        )
        assert after.snapshot.late
        assert after.quote.total_halalas > before.quote.total_halalas
        done = iqama_renew(
            actor=officer,
            iqama_number=resident.iqama_number,
            period_months=12,
            idempotency_key="seen-after-midnight",
            expected_total_halalas=after.quote.total_halalas,
        )
    assert done.renewal.was_late
    # Already expired, so renewed from the day it was done: the new day, not the quote's.
    assert Resident.objects.get(pk=resident.pk).iqama_expiry_date == add_months(
        max(expiry, last_day + timedelta(days=1)), 12
    )
    assert (
        balance - Establishment.objects.get(pk=establishment.pk).balance_halalas
        == after.quote.total_halalas
    )
    assert reconcile_run().passed


@pytest.mark.parametrize("last_day", MONTH_ENDS + HIJRI_MONTH_ENDS, ids=str)
def test_the_daily_job_at_midnight_run_twice_changes_nothing_the_second_time(
    establishment, last_day
):
    midnight = last_day + timedelta(days=1)
    with time_machine.travel(_at(last_day, 12, 0, 0), tick=False):
        officer = UserFactory(establishment=establishment)
        resident = ResidentFactory(establishment=establishment)
        iqama_renew(
            actor=officer,
            iqama_number=resident.iqama_number,
            period_months=3,
            idempotency_key="noon",
        )
    with time_machine.travel(_at(midnight, 0, 0, 0), tick=False):
        first = daily_jobs_run(on=midnight)
        second = daily_jobs_run(on=midnight)
    assert first["date"] == second["date"] == midnight.isoformat()
    changed = {k: v for k, v in second.items() if k not in {"date", "audit_sealed", "alerts"}}
    assert all(not v or (isinstance(v, dict) and not any(v.values())) for v in changed.values()), (
        changed
    )
    assert reconcile_run().passed


@pytest.mark.parametrize("last_day", HIJRI_MONTH_ENDS, ids=str)
def test_hijri_dates_turn_over_with_the_hijri_month_on_the_residents_page(
    client, establishment, last_day
):
    first_day = last_day + timedelta(days=1)
    h_last = Gregorian.fromdate(last_day).to_hijri()
    h_first = Gregorian.fromdate(first_day).to_hijri()
    assert h_first.day == 1 and h_first.month == h_last.month % 12 + 1
    officer = UserFactory(establishment=establishment)
    for day, expected in ((last_day, h_last), (first_day, h_first)):
        with time_machine.travel(_at(day, 23, 59, 59), tick=False):
            resident = ResidentFactory(establishment=establishment, iqama_expiry_date=day)
            client.force_login(officer)
            session = client.session
            session[SESSION_FLAG] = datetime.now(RIYADH).isoformat()
            session.save()
            shown = format_hijri(day)
            assert shown is not None
            assert str(expected.year) in shown
            page = client.get(
                reverse("residents:file", args=[resident.iqama_number]), HTTP_ACCEPT_LANGUAGE="en"
            )
            assert page.status_code == 200
            assert shown in page.content.decode()
