"""Filing, deciding and using exception requests through the services themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaStatus, VisaType
from muqeem.eservices.exit_reentry.services import (
    VisaTerms,
    visa_cancel,
    visa_cancel_check,
    visa_issue,
)
from muqeem.eservices.iqama_renewal.services import iqama_renew, iqama_renewal_check
from muqeem.exception_requests.models import ExceptionRequest, ExceptionStatus
from muqeem.exception_requests.services import (
    exception_request_approve,
    exception_request_reject,
    exception_request_withdraw,
)
from muqeem.fees.models import LedgerJournal, Penalty, PenaltyStatus
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.notifications.models import SmsMessage

from .conftest import approved, file_request, old_unused_visa

pytestmark = pytest.mark.django_db


def renew(officer, resident, key):
    return iqama_renew(
        actor=officer, iqama_number=resident.iqama_number, period_months=3, idempotency_key=key
    )


def codes(exc_info) -> list[str]:
    return [str(v.code) for v in exc_info.value.violations]


def make_late_again(resident) -> None:
    resident.refresh_from_db()
    resident.iqama_expiry_date = today() - timedelta(days=10)
    resident.save(update_fields=["iqama_expiry_date"])


# --- The third late renewal ------------------------------------------------------------------


def test_approval_lets_exactly_one_late_renewal_through(hr_officer, supervisor, late_resident):
    with pytest.raises(EligibilityError) as refused:
        renew(hr_officer, late_resident, "r-1")
    assert codes(refused) == ["LATE_RENEWAL_LIMIT_REACHED"]

    exception = approved(hr_officer, supervisor, late_resident)
    assert exception.status == ExceptionStatus.APPROVED
    assert exception.valid_until == today() + timedelta(days=30)

    # The dry run no longer shows the refusal, and changes nothing.
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=late_resident.iqama_number, period_months=3
    )
    assert check.eligible
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.APPROVED

    result = renew(hr_officer, late_resident, "r-2")
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.USED
    assert exception.used_by_request == result.request
    assert exception.used_at is not None
    late_resident.refresh_from_db()
    assert late_resident.late_renewal_count == 3
    used = AuditEvent.objects.get(event_type=AuditEventType.EXCEPTION_REQUEST_USED)
    assert used.service_request == result.request
    assert used.extra_data["exception_request"] == exception.number

    # A replay of the same transaction is not a second use.
    assert renew(hr_officer, late_resident, "r-2").replayed

    # The next late renewal is refused again.
    make_late_again(late_resident)
    with pytest.raises(EligibilityError) as again:
        renew(hr_officer, late_resident, "r-3")
    assert codes(again) == ["LATE_RENEWAL_LIMIT_REACHED"]


def test_an_approval_does_not_waive_other_refusals(hr_officer, supervisor, late_resident):
    approved(hr_officer, supervisor, late_resident)
    late_resident.passport_expiry_date = today() - timedelta(days=1)
    late_resident.save(update_fields=["passport_expiry_date"])
    with pytest.raises(EligibilityError) as refused:
        renew(hr_officer, late_resident, "r-1")
    assert "LATE_RENEWAL_LIMIT_REACHED" in codes(refused)
    assert "PASSPORT_EXPIRED" in codes(refused)
    assert ExceptionRequest.objects.get().status == ExceptionStatus.APPROVED


def _reject(officer, supervisor, resident):
    e = file_request(officer, resident)
    exception_request_reject(actor=supervisor, number=e.number, reason="No evidence.")


def _withdraw(officer, supervisor, resident):
    e = file_request(officer, resident)
    exception_request_withdraw(actor=officer, number=e.number)


def _pending(officer, supervisor, resident):
    file_request(officer, resident)


def _expire(officer, supervisor, resident):
    e = approved(officer, supervisor, resident)
    ExceptionRequest.objects.filter(pk=e.pk).update(valid_until=today() - timedelta(days=1))


@pytest.mark.parametrize("make", [_reject, _withdraw, _pending, _expire])
def test_rejected_withdrawn_pending_or_expired_exceptions_do_not_let_it_through(
    make, hr_officer, supervisor, late_resident
):
    make(hr_officer, supervisor, late_resident)
    with pytest.raises(EligibilityError) as refused:
        renew(hr_officer, late_resident, "r-1")
    assert codes(refused) == ["LATE_RENEWAL_LIMIT_REACHED"]
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=late_resident.iqama_number, period_months=3
    )
    assert not check.eligible


def test_another_establishment_cannot_file_see_or_use_it(
    hr_officer, other_officer, supervisor, late_resident, other_establishment
):
    with pytest.raises(DomainError) as foreign:
        file_request(other_officer, late_resident)
    assert foreign.value.code == ErrorCode.RESIDENT_NOT_FOUND

    exception = approved(hr_officer, supervisor, late_resident)
    with pytest.raises(DomainError) as hidden:
        exception_request_withdraw(actor=other_officer, number=exception.number)
    assert hidden.value.code == ErrorCode.EXCEPTION_REQUEST_NOT_FOUND

    # The resident moves to another establishment: the approval stays with the one that filed it.
    late_resident.establishment = other_establishment
    late_resident.save(update_fields=["establishment"])
    with pytest.raises(EligibilityError) as refused:
        renew(other_officer, late_resident, "r-1")
    assert codes(refused) == ["LATE_RENEWAL_LIMIT_REACHED"]
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.APPROVED


# --- Late cancellation -----------------------------------------------------------------------


def test_late_visa_cancellation_goes_through_once(hr_officer, supervisor, resident):
    first = old_unused_visa(hr_officer, resident)
    second = old_unused_visa(hr_officer, resident)
    with pytest.raises(EligibilityError) as refused:
        visa_cancel(actor=hr_officer, visa_number=first.number, idempotency_key="c-1")
    assert codes(refused) == ["VISA_CANCEL_WINDOW_PASSED"]

    exception = approved(hr_officer, supervisor, resident, code="VISA_CANCEL_WINDOW_PASSED")
    assert exception.service_type == "exit_reentry_cancel"
    assert visa_cancel_check(actor=hr_officer, visa_number=first.number).eligible

    result = visa_cancel(actor=hr_officer, visa_number=first.number, idempotency_key="c-2")
    assert result.visa.status == VisaStatus.CANCELLED
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.USED
    assert exception.used_by_request == result.request

    with pytest.raises(EligibilityError):
        visa_cancel(actor=hr_officer, visa_number=second.number, idempotency_key="c-3")


# --- Fine waiver -----------------------------------------------------------------------------


def test_fine_waiver_waives_the_fine_without_a_charge_and_unblocks_the_next_visa(
    hr_officer, supervisor, fined_resident, establishment
):
    terms = VisaTerms(VisaType.SINGLE, DurationUnit.MONTHS, 2)
    with pytest.raises(EligibilityError) as refused:
        visa_issue(
            actor=hr_officer,
            iqama_number=fined_resident.iqama_number,
            terms=terms,
            idempotency_key="v-1",
        )
    assert codes(refused) == ["UNPAID_VISA_FINE"]
    establishment.refresh_from_db()
    balance = establishment.balance_halalas
    journals = LedgerJournal.objects.count()

    exception = approved(hr_officer, supervisor, fined_resident, code="UNPAID_VISA_FINE")

    penalty = Penalty.objects.get(resident=fined_resident)
    assert penalty.status == PenaltyStatus.WAIVED
    assert exception.status == ExceptionStatus.USED
    assert exception.waived_penalties == [{"penalty": penalty.pk, "amount_halalas": 100_000}]
    waived = AuditEvent.objects.get(event_type=AuditEventType.PENALTY_WAIVED)
    assert waived.extra_data["penalty"] == penalty.pk
    assert LedgerJournal.objects.count() == journals
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance

    result = visa_issue(
        actor=hr_officer,
        iqama_number=fined_resident.iqama_number,
        terms=terms,
        idempotency_key="v-2",
    )
    assert result.visa.status == VisaStatus.ISSUED
    establishment.refresh_from_db()
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )


# --- Filing rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["PASSPORT_EXPIRED", "INSUFFICIENT_BALANCE", "nonsense"])
def test_only_waivable_refusals_can_be_filed(hr_officer, late_resident, code):
    with pytest.raises(DomainError) as exc:
        file_request(hr_officer, late_resident, code=code)
    assert exc.value.code == ErrorCode.EXCEPTION_NOT_WAIVABLE
    assert ExceptionRequest.objects.count() == 0


def test_one_open_request_per_resident_and_service(hr_officer, supervisor, late_resident):
    first = file_request(hr_officer, late_resident)
    with pytest.raises(DomainError) as exc:
        file_request(hr_officer, late_resident)
    assert exc.value.code == ErrorCode.EXCEPTION_REQUEST_ALREADY_OPEN
    assert exc.value.params["number"] == first.number

    # Another service for the same resident is a separate request.
    file_request(hr_officer, late_resident, code="VISA_CANCEL_WINDOW_PASSED")

    # An approval is still open; once it is past its validity, a new request may be filed.
    exception_request_approve(actor=supervisor, number=first.number)
    with pytest.raises(DomainError):
        file_request(hr_officer, late_resident)
    ExceptionRequest.objects.filter(pk=first.pk).update(valid_until=today() - timedelta(days=1))
    file_request(hr_officer, late_resident)
    first.refresh_from_db()
    assert first.status == ExceptionStatus.EXPIRED


def test_a_reason_is_required_to_file_and_to_reject(hr_officer, supervisor, late_resident):
    with pytest.raises(DomainError) as exc:
        file_request(hr_officer, late_resident, reason="   ")
    assert exc.value.code == ErrorCode.REASON_REQUIRED
    exception = file_request(hr_officer, late_resident)
    with pytest.raises(DomainError) as exc:
        exception_request_reject(actor=supervisor, number=exception.number, reason="")
    assert exc.value.code == ErrorCode.REASON_REQUIRED
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.PENDING


def test_decided_or_withdrawn_requests_cannot_be_changed(hr_officer, supervisor, late_resident):
    exception = file_request(hr_officer, late_resident)
    exception_request_reject(actor=supervisor, number=exception.number, reason="No.")
    for action in (
        lambda: exception_request_approve(actor=supervisor, number=exception.number),
        lambda: exception_request_reject(actor=supervisor, number=exception.number, reason="x"),
        lambda: exception_request_withdraw(actor=hr_officer, number=exception.number),
    ):
        with pytest.raises(DomainError) as exc:
            action()
        assert exc.value.code == ErrorCode.EXCEPTION_REQUEST_NOT_PENDING


@pytest.mark.parametrize("who", ["operator", "auditor", "hr_officer"])
def test_only_a_supervisor_decides(who, request, hr_officer, late_resident):
    actor = request.getfixturevalue(who)
    exception = file_request(hr_officer, late_resident)
    for decide in (exception_request_approve, exception_request_reject):
        with pytest.raises(DomainError) as exc:
            decide(actor=actor, number=exception.number, reason="x")
        assert exc.value.code == ErrorCode.STAFF_ROLE_NOT_ALLOWED
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.PENDING


def test_every_step_is_audited_and_decisions_are_sent_by_sms(
    hr_officer, supervisor, late_resident, establishment
):
    a = file_request(hr_officer, late_resident)
    exception_request_approve(actor=supervisor, number=a.number, reason="Hospital report.")
    b = file_request(hr_officer, late_resident, code="VISA_CANCEL_WINDOW_PASSED")
    exception_request_reject(actor=supervisor, number=b.number, reason="Not justified.")
    c = file_request(hr_officer, late_resident, code="VISA_EXTENSION_WINDOW_PASSED")
    exception_request_withdraw(actor=hr_officer, number=c.number)

    types = list(
        AuditEvent.objects.filter(resident=late_resident)
        .order_by("pk")
        .values_list("event_type", flat=True)
    )
    assert types == [
        AuditEventType.EXCEPTION_REQUEST_FILED,
        AuditEventType.EXCEPTION_REQUEST_APPROVED,
        AuditEventType.EXCEPTION_REQUEST_FILED,
        AuditEventType.EXCEPTION_REQUEST_REJECTED,
        AuditEventType.EXCEPTION_REQUEST_FILED,
        AuditEventType.EXCEPTION_REQUEST_WITHDRAWN,
    ]
    sms = list(SmsMessage.objects.order_by("pk"))
    assert [m.to for m in sms] == [establishment.registered_mobile] * 2
    assert a.number in sms[0].body and "approved" in sms[0].body
    assert b.number in sms[1].body and "Not justified." in sms[1].body


def test_demo_files_one_pending_request_once(establishment):
    from muqeem.exception_requests.demo import DEMO_OFFICER, seed_demo
    from tests.factories import ResidentFactory, UserFactory

    assert seed_demo() == []  # no demo data yet: nothing to do
    UserFactory(username=DEMO_OFFICER, establishment=establishment)
    ResidentFactory(
        establishment=establishment,
        late_renewal_count=2,
        iqama_expiry_date=today() - timedelta(days=20),
    )
    lines = seed_demo()
    exception = ExceptionRequest.objects.get()
    assert exception.status == ExceptionStatus.PENDING
    assert exception.attachments.count() == 1
    assert exception.number in lines[0]
    assert seed_demo() == []
    assert ExceptionRequest.objects.count() == 1


def _request_row(officer, resident, service_type):
    from django.utils import timezone

    from muqeem.workflow.machine import RequestStatus
    from muqeem.workflow.models import ServiceRequest

    now = timezone.now()
    return ServiceRequest.objects.create(
        service_type=service_type,
        establishment=resident.establishment,
        resident=resident,
        status=RequestStatus.COMPLETED,
        submitted_by=officer,
        idempotency_key=f"{service_type}-{resident.pk}",
        payload_hash="x",
        created_at=now,
        updated_at=now,
    )


def test_late_final_exit_cancellation_goes_through_once_free(
    hr_officer, supervisor, resident, establishment
):
    from muqeem.eservices.final_exit.models import FinalExit, FinalExitKind, FinalExitStatus
    from muqeem.eservices.final_exit.services import final_exit_cancel, final_exit_cancel_check

    final_exit = FinalExit.objects.create(
        request=_request_row(hr_officer, resident, "final_exit_issue"),
        establishment=establishment,
        resident=resident,
        kind=FinalExitKind.REGULAR,
        issued_on=today() - timedelta(days=70),
        leave_by=today() + timedelta(days=20),
        passport_number=resident.passport_number,
    )
    with pytest.raises(EligibilityError) as refused:
        final_exit_cancel(actor=hr_officer, number=final_exit.number, idempotency_key="fx-1")
    assert codes(refused) == ["FINAL_EXIT_CANCEL_WINDOW_PASSED"]

    exception = approved(hr_officer, supervisor, resident, code="FINAL_EXIT_CANCEL_WINDOW_PASSED")
    assert final_exit_cancel_check(actor=hr_officer, number=final_exit.number).eligible
    result = final_exit_cancel(actor=hr_officer, number=final_exit.number, idempotency_key="fx-2")
    assert result.final_exit.status == FinalExitStatus.CANCELLED
    assert result.request.fee_total_halalas == 0
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.USED
    assert exception.used_by_request == result.request


def test_late_visa_extension_goes_through_once(hr_officer, supervisor, establishment):
    from muqeem.eservices.exit_reentry.models import Visa
    from muqeem.eservices.exit_reentry.services import visa_extend
    from muqeem.residents.models import ResidentStatus
    from tests.factories import ResidentFactory

    abroad = ResidentFactory(
        establishment=establishment,
        inside_kingdom=False,
        status=ResidentStatus.OUTSIDE_KINGDOM,
        iqama_expiry_date=today() + timedelta(days=400),
    )
    visa = Visa.objects.create(
        request=_request_row(hr_officer, abroad, "exit_reentry_issue"),
        establishment=establishment,
        resident=abroad,
        visa_type=VisaType.SINGLE,
        duration_unit=DurationUnit.MONTHS,
        duration_value=2,
        months_charged=2,
        issued_on=today() - timedelta(days=200),
        travel_by=today() - timedelta(days=110),
        first_departure_on=today() - timedelta(days=190),
        expires_on=today() - timedelta(days=70),
        status=VisaStatus.USED,
        passport_number=abroad.passport_number,
    )
    with pytest.raises(EligibilityError) as refused:
        visa_extend(actor=hr_officer, visa_number=visa.number, months=1, idempotency_key="x-1")
    assert codes(refused) == ["VISA_EXTENSION_WINDOW_PASSED"]

    exception = approved(hr_officer, supervisor, abroad, code="VISA_EXTENSION_WINDOW_PASSED")
    result = visa_extend(actor=hr_officer, visa_number=visa.number, months=1, idempotency_key="x-2")
    assert result.visa.expires_on > today()
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.USED
    with pytest.raises(EligibilityError):
        visa.refresh_from_db()
        visa.expires_on = today() - timedelta(days=70)
        visa.save(update_fields=["expires_on"])
        visa_extend(actor=hr_officer, visa_number=visa.number, months=1, idempotency_key="x-3")


def test_refusals_of_two_services_are_refused_by_the_service_too(hr_officer, late_resident):
    with pytest.raises(DomainError) as exc:
        file_request(
            hr_officer,
            late_resident,
            code=["LATE_RENEWAL_LIMIT_REACHED", "VISA_CANCEL_WINDOW_PASSED"],
        )
    assert exc.value.code == ErrorCode.VALIDATION_FAILED
    with pytest.raises(DomainError) as exc:
        file_request(hr_officer, late_resident, code=["LATE_RENEWAL_LIMIT_REACHED", "nonsense"])
    assert exc.value.code == ErrorCode.EXCEPTION_NOT_WAIVABLE
    with pytest.raises(DomainError) as exc:
        file_request(hr_officer, late_resident, code=[])
    assert exc.value.code == ErrorCode.EXCEPTION_NOT_WAIVABLE
    assert ExceptionRequest.objects.count() == 0
