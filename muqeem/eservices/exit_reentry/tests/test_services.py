"""Visa services and the visa's life across months, with a frozen clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from muqeem.border.services import border_crossing_record
from muqeem.core.dates import add_months
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, QuoteChanged
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaStatus, VisaType
from muqeem.eservices.exit_reentry.services import (
    VisaTerms,
    visa_cancel,
    visa_extend,
    visa_issue,
    visa_issue_check,
)
from muqeem.fees.models import LedgerJournal, Penalty, PenaltyStatus
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.fees.services import penalty_pay
from muqeem.residents.models import ResidentStatus
from muqeem.web.jobs import daily_jobs_run
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

START = date(2026, 3, 1)
SINGLE_2M = VisaTerms(VisaType.SINGLE, DurationUnit.MONTHS, 2)
MULTI_6M = VisaTerms(VisaType.MULTIPLE, DurationUnit.MONTHS, 6)


def at(d: date):
    return time_machine.travel(f"{d.isoformat()} 10:00 +0300", tick=False)


@pytest.fixture
def traveller(establishment):
    with at(START):
        return ResidentFactory(
            establishment=establishment,
            iqama_expiry_date=START + timedelta(days=400),
            passport_expiry_date=START + timedelta(days=1500),
            insurance_expiry_date=START + timedelta(days=400),
        )


def issue(officer, resident, terms=SINGLE_2M, key="issue-1", **kw):
    return visa_issue(
        actor=officer, iqama_number=resident.iqama_number, terms=terms, idempotency_key=key, **kw
    )


def cross(resident, direction, on, event):
    return border_crossing_record(
        iqama_number=resident.iqama_number, direction=direction, on=on, external_id=event
    )


def test_issue_depart_return_single_visa(hr_officer, traveller, establishment):
    with at(START):
        result = issue(hr_officer, traveller)
    visa = result.visa
    assert visa.status == VisaStatus.ISSUED
    assert visa.travel_by == date(2026, 6, 1)  # usable for 3 months
    assert visa.expires_on is None  # a stay in months counts from the travel date
    assert result.request.fee_total_halalas == 20000  # single, up to 2 months: SAR 200
    establishment.refresh_from_db()
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )

    with at(date(2026, 4, 10)):
        cross(traveller, "departure", date(2026, 4, 10), "e1")
    visa.refresh_from_db()
    traveller.refresh_from_db()
    assert visa.status == VisaStatus.USED
    assert visa.expires_on == date(2026, 6, 10)
    assert traveller.status == ResidentStatus.OUTSIDE_KINGDOM and not traveller.inside_kingdom

    with at(date(2026, 6, 1)):
        cross(traveller, "arrival", date(2026, 6, 1), "e2")
    visa.refresh_from_db()
    traveller.refresh_from_db()
    assert visa.status == VisaStatus.RETURNED
    assert traveller.status == ResidentStatus.ACTIVE and traveller.inside_kingdom
    # A single visa is spent: a second departure needs a new visa.
    with at(date(2026, 6, 5)), pytest.raises(DomainError) as exc:
        cross(traveller, "departure", date(2026, 6, 5), "e3")
    assert exc.value.code == ErrorCode.NO_VALID_EXIT_DOCUMENT


def test_multiple_visa_can_be_used_many_times_until_it_expires(hr_officer, traveller):
    with at(START):
        visa = issue(hr_officer, traveller, MULTI_6M).visa
    assert visa.request.fee_total_halalas == 50000 + 3 * 20000
    trips = [(date(2026, 3, 10), date(2026, 4, 1)), (date(2026, 5, 1), date(2026, 5, 20))]
    for n, (out, back) in enumerate(trips):
        with at(out):
            cross(traveller, "departure", out, f"out-{n}")
        with at(back):
            cross(traveller, "arrival", back, f"back-{n}")
    visa.refresh_from_db()
    assert visa.status == VisaStatus.RETURNED
    assert visa.expires_on == date(2026, 9, 10)  # 6 months from the first departure
    with at(date(2026, 9, 11)):
        daily_jobs_run(on=date(2026, 9, 11))
    visa.refresh_from_db()
    assert visa.status == VisaStatus.EXPIRED


def test_expired_unused_visa_is_fined_blocks_the_next_until_paid(
    hr_officer, traveller, establishment
):
    with at(START):
        visa = issue(hr_officer, traveller).visa
    with at(date(2026, 6, 2)):
        report = daily_jobs_run(on=date(2026, 6, 2))
    assert report["visas"]["expired_unused"] == 1
    visa.refresh_from_db()
    assert visa.status == VisaStatus.EXPIRED_UNUSED
    fine = Penalty.objects.get()
    assert fine.amount_halalas == 100000 and fine.status == PenaltyStatus.UNPAID
    assert fine.recorded_on == date(2026, 6, 1)

    with at(date(2026, 6, 3)):
        check = visa_issue_check(
            actor=hr_officer, iqama_number=traveller.iqama_number, terms=SINGLE_2M
        )
        assert [v.code for v in check.violations] == [ErrorCode.UNPAID_VISA_FINE]
        with pytest.raises(EligibilityError):
            issue(hr_officer, traveller, key="issue-2")
        penalty_pay(actor=hr_officer, penalty_id=fine.pk, idempotency_key="pay-1")
        penalty_pay(
            actor=hr_officer, penalty_id=fine.pk, idempotency_key="pay-1"
        )  # a retry pays once
        fine.refresh_from_db()
        assert fine.status == PenaltyStatus.PAID
        assert issue(hr_officer, traveller, key="issue-3").visa.status == VisaStatus.ISSUED
    assert LedgerJournal.objects.filter(kind="charge").count() == 3  # first visa, fine, second visa
    establishment.refresh_from_db()
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )


def test_daily_job_twice_or_after_a_gap_gives_the_same_result(hr_officer, traveller):
    with at(START):
        issue(hr_officer, traveller)
    with at(date(2026, 8, 20)):
        first = daily_jobs_run(on=date(2026, 8, 20))  # weeks after the visa lapsed
        second = daily_jobs_run(on=date(2026, 8, 20))
    assert first["visas"]["expired_unused"] == 1 and first["visas"]["fines_recorded"] == 1
    assert second["visas"] == {
        "expired_unused": 0,
        "fines_recorded": 0,
        "not_returned": 0,
        "expired": 0,
    }
    assert Penalty.objects.count() == 1
    assert Penalty.objects.get().recorded_on == date(2026, 6, 1)


def test_resident_who_does_not_return_is_marked_two_months_after_expiry(hr_officer, traveller):
    with at(START):
        visa = issue(hr_officer, traveller).visa
        cross(traveller, "departure", START, "out")
    visa.refresh_from_db()
    assert visa.expires_on == date(2026, 5, 1)
    with at(date(2026, 7, 1)):
        daily_jobs_run(on=date(2026, 7, 1))
    traveller.refresh_from_db()
    assert traveller.status == ResidentStatus.OUTSIDE_KINGDOM  # not yet: the day after two months
    with at(date(2026, 7, 2)):
        daily_jobs_run(on=date(2026, 7, 2))
    visa.refresh_from_db()
    traveller.refresh_from_db()
    assert visa.status == VisaStatus.NOT_RETURNED
    assert traveller.status == ResidentStatus.EXITED_NOT_RETURNED
    with at(date(2026, 7, 3)), pytest.raises(DomainError) as exc:
        cross(traveller, "arrival", date(2026, 7, 3), "late-back")
    assert exc.value.code == ErrorCode.NO_VALID_REENTRY_VISA


def test_extend_only_abroad_within_sixty_days_of_expiry(hr_officer, traveller):
    with at(START):
        visa = issue(hr_officer, traveller).visa
        with pytest.raises(EligibilityError) as exc:
            visa_extend(actor=hr_officer, visa_number=visa.number, months=1, idempotency_key="x0")
        assert ErrorCode.VISA_NOT_OUTSIDE in [v.code for v in exc.value.violations]
        cross(traveller, "departure", START, "out")
    with at(date(2026, 6, 15)):  # expired 1 May; within 60 days
        result = visa_extend(
            actor=hr_officer, visa_number=visa.number, months=2, idempotency_key="x1"
        )
    assert result.visa.expires_on == add_months(date(2026, 6, 15), 2)
    assert result.request.fee_total_halalas == 2 * 10000
    with at(date(2026, 10, 20)), pytest.raises(EligibilityError) as exc:
        visa_extend(actor=hr_officer, visa_number=visa.number, months=1, idempotency_key="x2")
    assert ErrorCode.VISA_EXTENSION_WINDOW_PASSED in [v.code for v in exc.value.violations]


def test_extension_must_stay_within_the_iqama(hr_officer, establishment):
    with at(START):
        r = ResidentFactory(establishment=establishment, iqama_expiry_date=date(2026, 6, 1))
        visa = issue(hr_officer, r, VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 30)).visa
        cross(r, "departure", START, "out")
        with pytest.raises(EligibilityError) as exc:
            visa_extend(actor=hr_officer, visa_number=visa.number, months=3, idempotency_key="x")
    assert [v.code for v in exc.value.violations] == [ErrorCode.IQAMA_DOES_NOT_COVER_VISA]


def test_cancel_unused_visa_keeps_the_fee(hr_officer, traveller, establishment):
    with at(START):
        visa = issue(hr_officer, traveller).visa
        establishment.refresh_from_db()
        balance = establishment.balance_halalas
        visa_cancel(actor=hr_officer, visa_number=visa.number, idempotency_key="c1")
    visa.refresh_from_db()
    establishment.refresh_from_db()
    assert visa.status == VisaStatus.CANCELLED
    assert establishment.balance_halalas == balance  # not refunded, not charged again
    with at(date(2026, 3, 2)):
        assert issue(hr_officer, traveller, key="issue-2").visa.status == VisaStatus.ISSUED


def test_cancel_refused_once_used_or_after_the_window(hr_officer, traveller):
    with at(START):
        visa = issue(
            hr_officer,
            traveller,
            VisaTerms(VisaType.SINGLE, DurationUnit.RETURN_BEFORE, None, date(2026, 3, 20)),
        ).visa
    with at(date(2026, 3, 21)), pytest.raises(EligibilityError) as exc:
        visa_cancel(actor=hr_officer, visa_number=visa.number, idempotency_key="c")
    assert [v.code for v in exc.value.violations] == [ErrorCode.VISA_CANCEL_WINDOW_PASSED]


def test_issue_conditions_all_reported(hr_officer, establishment):
    with at(START):
        r = ResidentFactory(
            establishment=establishment,
            passport_expiry_date=START + timedelta(days=60),
            iqama_expiry_date=START + timedelta(days=30),
            unpaid_traffic_fines_halalas=10000,
            fingerprint_registered=False,
        )
        check = visa_issue_check(actor=hr_officer, iqama_number=r.iqama_number, terms=SINGLE_2M)
    assert [v.code for v in check.violations] == [
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
        ErrorCode.IQAMA_DOES_NOT_COVER_VISA,
        ErrorCode.UNPAID_TRAFFIC_FINES,
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ]


def test_second_visa_while_one_is_valid_is_refused(hr_officer, traveller):
    with at(START):
        first = issue(hr_officer, traveller).visa
        check = visa_issue_check(
            actor=hr_officer, iqama_number=traveller.iqama_number, terms=MULTI_6M
        )
    assert [(v.code, v.params["number"]) for v in check.violations] == [
        (ErrorCode.VISA_ALREADY_VALID, first.number)
    ]


def test_idempotent_issue_and_stale_quote(hr_officer, traveller):
    with at(START):
        check = visa_issue_check(
            actor=hr_officer, iqama_number=traveller.iqama_number, terms=SINGLE_2M
        )
        quote = {
            "expected_version": check.resident.version,
            "expected_total_halalas": check.quote.total_halalas,
        }
        a = issue(hr_officer, traveller, key="same", **quote)
        b = issue(hr_officer, traveller, key="same", **quote)
        assert a.visa.pk == b.visa.pk and b.replayed
        with pytest.raises(QuoteChanged):
            issue(hr_officer, traveller, key="other-tab", **quote)


def test_other_establishment_cannot_see_or_touch_the_visa(hr_officer, other_officer, traveller):
    with at(START):
        visa = issue(hr_officer, traveller).visa
        for call in (
            lambda: visa_cancel(actor=other_officer, visa_number=visa.number, idempotency_key="c"),
            lambda: visa_extend(
                actor=other_officer, visa_number=visa.number, months=1, idempotency_key="e"
            ),
        ):
            with pytest.raises(DomainError) as exc:
                call()
            assert exc.value.code == ErrorCode.VISA_NOT_FOUND


def test_months_visa_travel_window_closes_so_the_stay_fits_in_the_iqama(hr_officer, establishment):
    with at(START):
        r = ResidentFactory(establishment=establishment, iqama_expiry_date=date(2026, 7, 15))
        visa = issue(hr_officer, r, SINGLE_2M).visa
    assert visa.travel_by == date(2026, 5, 15)  # not 1 June: leaving then would overrun the iqama
    with at(date(2026, 5, 15)):
        cross(r, "departure", date(2026, 5, 15), "late-departure")
    visa.refresh_from_db()
    assert visa.expires_on == date(2026, 7, 15)
    with at(START), pytest.raises(EligibilityError) as exc:
        ResidentFactory(establishment=establishment, iqama_expiry_date=date(2026, 4, 15))
        issue(hr_officer, ResidentFactory._meta.model.objects.latest("pk"), SINGLE_2M, key="short")
    assert [v.code for v in exc.value.violations] == [ErrorCode.IQAMA_DOES_NOT_COVER_VISA]
