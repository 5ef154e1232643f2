from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from muqeem.border.services import border_crossing_record
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.eservices.final_exit.models import FinalExitKind, FinalExitStatus
from muqeem.eservices.final_exit.services import (
    final_exit_cancel,
    final_exit_check,
    final_exit_issue,
)
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import ResidentStatus
from muqeem.web.jobs import daily_jobs_run
from tests.factories import DependentFactory, ResidentFactory

pytestmark = pytest.mark.django_db
START = date(2026, 3, 1)


def at(d: date):
    return time_machine.travel(f"{d.isoformat()} 10:00 +0300", tick=False)


@pytest.fixture
def leaver(establishment):
    with at(START):
        return ResidentFactory(
            establishment=establishment, iqama_expiry_date=START + timedelta(days=200)
        )


def test_issue_then_depart_closes_the_file_and_takes_dependents(hr_officer, leaver):
    spouse = DependentFactory(resident=leaver)
    with at(START):
        result = final_exit_issue(
            actor=hr_officer,
            identifier=leaver.iqama_number,
            idempotency_key="fe",
            dependent_ids=[spouse.pk],
        )
    assert result.final_exit.leave_by == START + timedelta(days=60)
    assert result.request.fee_total_halalas == 0
    leaver.refresh_from_db()
    assert leaver.status == ResidentStatus.FINAL_EXIT_ISSUED
    with at(date(2026, 4, 1)):
        crossing = border_crossing_record(
            iqama_number=leaver.iqama_number,
            direction="departure",
            on=date(2026, 4, 1),
            external_id="dep",
        )
    assert crossing.crossing.final_exit_id == result.final_exit.pk
    leaver.refresh_from_db()
    spouse.refresh_from_db()
    assert leaver.status == ResidentStatus.DEPARTED_FINAL and not leaver.inside_kingdom
    assert not spouse.inside_kingdom and not spouse.is_active


def test_unused_final_exit_expires_and_then_costs_to_cancel(hr_officer, leaver, establishment):
    with at(START):
        fe = final_exit_issue(
            actor=hr_officer, identifier=leaver.iqama_number, idempotency_key="fe"
        ).final_exit
    with at(date(2026, 5, 1)):
        daily_jobs_run(on=date(2026, 5, 1))
        daily_jobs_run(on=date(2026, 5, 1))
    fe.refresh_from_db()
    assert fe.status == FinalExitStatus.EXPIRED
    establishment.refresh_from_db()
    before = establishment.balance_halalas
    with at(date(2026, 5, 2)):
        final_exit_cancel(actor=hr_officer, number=fe.number, idempotency_key="c")
    establishment.refresh_from_db()
    leaver.refresh_from_db()
    assert establishment.balance_halalas == before - 100000
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    assert leaver.status == ResidentStatus.ACTIVE


def test_free_cancel_within_sixty_days(hr_officer, leaver, establishment):
    with at(START):
        fe = final_exit_issue(
            actor=hr_officer, identifier=leaver.iqama_number, idempotency_key="fe"
        ).final_exit
        before = establishment.balance_halalas
    with at(date(2026, 3, 20)):
        final_exit_cancel(actor=hr_officer, number=fe.number, idempotency_key="c")
    establishment.refresh_from_db()
    fe.refresh_from_db()
    assert fe.status == FinalExitStatus.CANCELLED
    assert establishment.balance_halalas == before


def test_blockers_listed_together(hr_officer, establishment):
    with at(START):
        r = ResidentFactory(
            establishment=establishment,
            iqama_expiry_date=START - timedelta(days=1),
            registered_vehicles=1,
            unpaid_traffic_fines_halalas=30000,
        )
        check = final_exit_check(actor=hr_officer, identifier=r.iqama_number)
    assert [v.code for v in check.violations] == [
        ErrorCode.IQAMA_EXPIRED,
        ErrorCode.UNPAID_TRAFFIC_FINES,
        ErrorCode.VEHICLE_REGISTERED,
    ]


def test_a_valid_exit_reentry_visa_blocks_final_exit(hr_officer, leaver):
    with at(START):
        visa_issue(
            actor=hr_officer,
            iqama_number=leaver.iqama_number,
            terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 30),
            idempotency_key="v",
        )
        check = final_exit_check(actor=hr_officer, identifier=leaver.iqama_number)
    assert [v.code for v in check.violations] == [ErrorCode.VISA_ALREADY_VALID]


def test_probation_final_exit_on_border_number_is_free_and_not_cancellable(
    hr_officer, establishment
):
    with at(START):
        newcomer = ResidentFactory(
            establishment=establishment,
            iqama_number=None,
            border_number="3123456789",
            arrival_date=START - timedelta(days=30),
        )
        fe = final_exit_issue(
            actor=hr_officer,
            identifier="3123456789",
            kind=FinalExitKind.PROBATION,
            idempotency_key="p",
        ).final_exit
        with pytest.raises(EligibilityError) as exc:
            final_exit_cancel(actor=hr_officer, number=fe.number, idempotency_key="c")
    assert exc.value.violations[0].code == ErrorCode.FINAL_EXIT_NOT_CANCELLABLE
    newcomer.refresh_from_db()
    assert newcomer.status == ResidentStatus.FINAL_EXIT_ISSUED


def test_probation_after_ninety_days_is_refused(hr_officer, establishment):
    with at(START):
        ResidentFactory(
            establishment=establishment,
            iqama_number=None,
            border_number="4123456780",
            arrival_date=START - timedelta(days=91),
        )
        check = final_exit_check(
            actor=hr_officer, identifier="4123456780", kind=FinalExitKind.PROBATION
        )
    assert [v.code for v in check.violations] == [ErrorCode.PROBATION_PERIOD_OVER]


def test_bad_border_number_is_a_clear_error(hr_officer):
    with pytest.raises(DomainError) as exc:
        final_exit_check(actor=hr_officer, identifier="2123", kind=FinalExitKind.PROBATION)
    assert exc.value.code == ErrorCode.BORDER_NUMBER_INVALID
