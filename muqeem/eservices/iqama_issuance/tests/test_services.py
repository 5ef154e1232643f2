from __future__ import annotations

from datetime import timedelta

import factory
import pytest
from django.db import transaction
from django.utils import timezone

from conftest import fund
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.dates import add_months
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, QuoteChanged
from muqeem.core.ids import iqama_number_problem, make_iqama_number
from muqeem.delivery.models import DeliveryOrder, DeliveryReason
from muqeem.eservices.iqama_issuance.models import (
    FIRST_SERIAL,
    IqamaIssuance,
    IqamaNumberAllocator,
)
from muqeem.eservices.iqama_issuance.services import (
    iqama_issuance_check,
    iqama_issuance_get,
    iqama_issue,
    iqama_number_allocate,
)
from muqeem.establishments.models import Establishment
from muqeem.fees.models import LedgerJournal, LedgerLine, ScheduleEntry
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import ResidentHistoryEntry, ResidentHistoryKind, ResidentStatus
from muqeem.workflow import services as workflow_services
from muqeem.workflow.models import RequestEvent, ServiceRequest
from tests.factories import (
    DependentFactory,
    EstablishmentFactory,
    ResidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# SAR 650 + 100 + 9,600 + 30 postage for a worker without dependents.
WORKER_TOTAL = 1_038_000


def _today():
    return timezone.localdate()


_border_serial = iter(range(10_000, 99_999))


def new_arrival(establishment, *, days_ago=20, **fields):
    """A worker still on a border number, nothing blocking the first iqama."""
    defaults = {
        "iqama_number": None,
        "iqama_issue_date": None,
        "iqama_expiry_date": None,
        "border_number": f"3{next(_border_serial):09d}",
        "arrival_date": _today() - timedelta(days=days_ago),
    }
    return ResidentFactory(establishment=establishment, **(defaults | fields))


@pytest.fixture
def arrival(establishment):
    return new_arrival(establishment)


def _issue(officer, resident, key="k1", **kwargs):
    return iqama_issue(
        actor=officer, border_number=resident.border_number, idempotency_key=key, **kwargs
    )


def test_issuance_gives_a_new_iqama_a_wasel_order_and_charges_the_quote(
    hr_officer, arrival, establishment
):
    balance = establishment.balance_halalas
    check = iqama_issuance_check(actor=hr_officer, border_number=arrival.border_number)
    assert check.eligible
    assert check.quote.total_halalas == WORKER_TOTAL

    result = _issue(
        hr_officer,
        arrival,
        expected_version=check.resident.version,
        expected_total_halalas=check.quote.total_halalas,
    )

    arrival.refresh_from_db()
    establishment.refresh_from_db()
    today = _today()
    number = arrival.iqama_number
    assert number is not None and iqama_number_problem(number) is None
    assert number == result.issuance.iqama_number
    assert arrival.border_number == result.issuance.border_number  # kept for the record
    assert arrival.iqama_issue_date == today
    assert arrival.iqama_expiry_date == add_months(today, 12) == result.issuance.expires_on
    assert arrival.work_permit_paid_until == arrival.iqama_expiry_date
    assert arrival.iqama_card_version == 1
    assert arrival.version == check.resident.version + 1

    delivery = result.delivery
    assert delivery.reason == DeliveryReason.NEW_ISSUANCE
    assert delivery.resident_id == arrival.pk and delivery.card_version == 1
    assert delivery.service_request_id == result.request.pk
    assert delivery.tracking_number.startswith("WSL")
    assert delivery.postal_code == establishment.postal_code

    assert result.request.status == "completed"
    assert result.request.fee_total_halalas == WORKER_TOTAL
    assert {line["code"] for line in result.request.fee_lines} == {
        "iqama_fee",
        "work_permit_fee",
        "expat_levy",
        "wasel_delivery_fee",
    }
    assert establishment.balance_halalas == balance - WORKER_TOTAL
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    journal = LedgerJournal.objects.get(service_request=result.request)
    assert sum(line.amount_halalas for line in journal.lines.all()) == 0
    assert [e.action for e in RequestEvent.objects.filter(request=result.request)] == [
        "submit",
        "complete",
    ]
    kinds = set(
        ResidentHistoryEntry.objects.filter(
            resident=arrival, service_request=result.request
        ).values_list("kind", flat=True)
    )
    assert kinds == {ResidentHistoryKind.IQAMA_ISSUED, ResidentHistoryKind.CARD_ORDERED}
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.IQAMA_ISSUED, service_request=result.request
        ).count()
        == 1
    )


def test_the_new_iqama_number_opens_the_residents_other_services(hr_officer, arrival):
    from muqeem.eservices.iqama_renewal.services import iqama_renewal_check

    number = _issue(hr_officer, arrival).issuance.iqama_number
    check = iqama_renewal_check(actor=hr_officer, iqama_number=number, period_months=3)
    assert check.resident.pk == arrival.pk


def test_checking_again_after_issuance_says_the_iqama_was_already_issued(hr_officer, arrival):
    _issue(hr_officer, arrival)
    check = iqama_issuance_check(actor=hr_officer, border_number=arrival.border_number)
    assert [v.code for v in check.violations] == [ErrorCode.IQAMA_ALREADY_ISSUED]
    with pytest.raises(EligibilityError):
        _issue(hr_officer, arrival, key="k2")


def test_late_issuance_adds_the_fine(hr_officer, establishment):
    late = new_arrival(establishment, days_ago=91)
    check = iqama_issuance_check(actor=hr_officer, border_number=late.border_number)
    assert check.late
    assert check.deadline == late.arrival_date + timedelta(days=90)
    result = _issue(hr_officer, late)
    fees = {line["code"]: line["amount_halalas"] for line in result.request.fee_lines}
    assert fees["iqama_issuance_late_fine"] == 50_000
    assert result.request.fee_total_halalas == WORKER_TOTAL + 50_000
    assert result.issuance.was_late


def test_on_the_last_day_of_the_window_there_is_no_fine(hr_officer, establishment):
    on_time = new_arrival(establishment, days_ago=90)
    check = iqama_issuance_check(actor=hr_officer, border_number=on_time.border_number)
    assert not check.late
    assert check.quote.total_halalas == WORKER_TOTAL


def test_only_active_dependents_pay_the_dependents_levy(hr_officer, arrival):
    DependentFactory(resident=arrival)
    DependentFactory(resident=arrival, is_active=False)
    check = iqama_issuance_check(actor=hr_officer, border_number=arrival.border_number)
    fees = {line.code: line.amount_halalas for line in check.quote.lines}
    assert fees["dependents_levy"] == 480_000
    assert check.quote.total_halalas == WORKER_TOTAL + 480_000


def test_every_blocker_is_listed_at_once_and_nothing_is_charged(db):
    establishment = EstablishmentFactory(building_number="12")  # not a national address
    fund(establishment, 1)  # SAR 1 does not cover the fees
    officer = UserFactory(establishment=establishment)
    blocked = new_arrival(
        establishment,
        iqama_number=make_iqama_number(44_000_001),
        status=ResidentStatus.ABSENT_FROM_WORK,
        inside_kingdom=False,
        medical_exam_passed=False,
        insurance_active=False,
        fingerprint_registered=False,
        passport_expiry_date=_today() + timedelta(days=30),
        unpaid_traffic_fines_halalas=20_000,
    )
    check = iqama_issuance_check(actor=officer, border_number=blocked.border_number)
    expected = [
        ErrorCode.IQAMA_ALREADY_ISSUED,
        ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
        ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
        ErrorCode.MEDICAL_EXAM_NOT_PASSED,
        ErrorCode.INSURANCE_INACTIVE,
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
        ErrorCode.PASSPORT_VALIDITY_TOO_SHORT,
        ErrorCode.UNPAID_TRAFFIC_FINES,
        ErrorCode.NATIONAL_ADDRESS_INVALID,
        ErrorCode.INSUFFICIENT_BALANCE,
    ]
    assert [v.code for v in check.violations] == expected
    with pytest.raises(EligibilityError) as exc:
        _issue(officer, blocked)
    assert [v.code for v in exc.value.violations] == expected
    establishment.refresh_from_db()
    assert establishment.balance_halalas == 100
    assert ServiceRequest.objects.count() == 0
    assert DeliveryOrder.objects.count() == 0


def test_an_incomplete_national_address_alone_blocks_before_anything_changes(db):
    establishment = EstablishmentFactory(additional_number="")
    fund(establishment, 100_000)
    officer = UserFactory(establishment=establishment)
    arrival = new_arrival(establishment)
    with pytest.raises(EligibilityError) as exc:
        _issue(officer, arrival)
    assert [v.code for v in exc.value.violations] == [ErrorCode.NATIONAL_ADDRESS_INVALID]
    arrival.refresh_from_db()
    assert arrival.iqama_number is None


def test_after_a_probation_final_exit_no_iqama_can_be_issued(hr_officer, arrival):
    from muqeem.eservices.final_exit.models import FinalExitKind
    from muqeem.eservices.final_exit.services import final_exit_issue

    final_exit_issue(
        actor=hr_officer,
        identifier=arrival.border_number,
        idempotency_key="probation",
        kind=FinalExitKind.PROBATION,
    )
    check = iqama_issuance_check(actor=hr_officer, border_number=arrival.border_number)
    assert ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE in [v.code for v in check.violations]


def test_same_idempotency_key_replays_without_a_second_number_or_charge(hr_officer, arrival):
    first = _issue(hr_officer, arrival, key="double-click")
    second = _issue(hr_officer, arrival, key="double-click")
    assert second.replayed and second.request.pk == first.request.pk
    assert second.issuance.iqama_number == first.issuance.iqama_number
    assert ServiceRequest.objects.count() == 1
    assert LedgerJournal.objects.filter(kind="charge").count() == 1
    assert DeliveryOrder.objects.count() == 1
    assert IqamaNumberAllocator.objects.get().next_serial == FIRST_SERIAL + 1


def test_same_key_for_another_border_number_is_a_conflict(hr_officer, arrival, establishment):
    _issue(hr_officer, arrival, key="reused")
    with pytest.raises(DomainError) as exc:
        _issue(hr_officer, new_arrival(establishment), key="reused")
    assert exc.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


def test_second_tab_with_the_same_quote_is_refused_and_not_charged(
    hr_officer, arrival, establishment
):
    check = iqama_issuance_check(actor=hr_officer, border_number=arrival.border_number)
    quote = {
        "expected_version": check.resident.version,
        "expected_total_halalas": check.quote.total_halalas,
    }
    _issue(hr_officer, arrival, key="tab-1", **quote)
    establishment.refresh_from_db()
    balance = establishment.balance_halalas
    with pytest.raises(QuoteChanged):
        _issue(hr_officer, arrival, key="tab-2", **quote)
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance
    assert ServiceRequest.objects.count() == 1


def test_a_fee_change_after_the_quote_is_refused_for_requote(hr_officer, arrival):
    check = iqama_issuance_check(actor=hr_officer, border_number=arrival.border_number)
    ScheduleEntry.objects.create(key="wasel.delivery_fee", value=4000, effective_from=_today())
    with pytest.raises(QuoteChanged):
        _issue(
            hr_officer,
            arrival,
            expected_version=check.resident.version,
            expected_total_halalas=check.quote.total_halalas,
        )
    assert ServiceRequest.objects.count() == 0
    arrival.refresh_from_db()
    assert arrival.iqama_number is None


def test_failure_after_the_ledger_write_leaves_no_trace(
    hr_officer, arrival, establishment, monkeypatch
):
    balance = establishment.balance_halalas
    allocator_before = IqamaNumberAllocator.objects.get().next_serial
    counts = (
        ServiceRequest.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
        DeliveryOrder.objects.count(),
        IqamaIssuance.objects.count(),
        ResidentHistoryEntry.objects.count(),
    )

    def boom(**kwargs):
        raise RuntimeError("injected failure after the ledger write")

    monkeypatch.setattr(workflow_services, "service_request_transition", boom)
    with pytest.raises(RuntimeError):
        _issue(hr_officer, arrival)

    arrival.refresh_from_db()
    establishment.refresh_from_db()
    assert arrival.iqama_number is None and arrival.iqama_expiry_date is None
    assert arrival.version == 1
    assert establishment.balance_halalas == balance
    assert IqamaNumberAllocator.objects.get().next_serial == allocator_before
    assert (
        ServiceRequest.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
        DeliveryOrder.objects.count(),
        IqamaIssuance.objects.count(),
        ResidentHistoryEntry.objects.count(),
    ) == counts
    # The number the failed attempt drew goes to the next issuance instead: nothing was issued.
    monkeypatch.undo()
    result = _issue(hr_officer, arrival, key="retry")
    assert result.issuance.iqama_number == make_iqama_number(allocator_before)


def test_another_establishments_border_number_is_the_same_not_found_as_a_missing_one(
    hr_officer, other_establishment
):
    foreign = new_arrival(other_establishment)
    with pytest.raises(DomainError) as foreign_exc:
        iqama_issuance_check(actor=hr_officer, border_number=foreign.border_number)
    with pytest.raises(DomainError) as missing_exc:
        iqama_issuance_check(actor=hr_officer, border_number="3999999999")
    assert foreign_exc.value.code == missing_exc.value.code == ErrorCode.RESIDENT_NOT_FOUND
    assert foreign_exc.value.as_dict() == missing_exc.value.as_dict()
    with pytest.raises(DomainError) as issue_exc:
        _issue(hr_officer, foreign)
    assert issue_exc.value.code == ErrorCode.RESIDENT_NOT_FOUND
    foreign.refresh_from_db()
    assert foreign.iqama_number is None and foreign.version == 1


@pytest.mark.parametrize(
    "bad", ["", "123", "2000000006", "1000000000", "30000000000", "3abcdefghi", "5000000000"]
)
def test_invalid_border_numbers_are_refused_with_a_clear_code(hr_officer, bad):
    with pytest.raises(DomainError) as exc:
        iqama_issuance_check(actor=hr_officer, border_number=bad)
    assert exc.value.code == ErrorCode.BORDER_NUMBER_INVALID
    assert exc.value.messages["en"] and exc.value.messages["ar"]


def test_arabic_indic_digits_and_spaces_are_accepted(hr_officer, arrival):
    typed = " ".join(arrival.border_number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")))
    check = iqama_issuance_check(actor=hr_officer, border_number=typed)
    assert check.resident.pk == arrival.pk


def test_each_issuance_gets_a_different_valid_iqama_number(hr_officer, establishment):
    numbers = [
        _issue(hr_officer, new_arrival(establishment), key=f"n{i}").issuance.iqama_number
        for i in range(5)
    ]
    assert len(set(numbers)) == 5
    assert all(iqama_number_problem(n) is None for n in numbers)
    assert all(n.startswith("2") and len(n) == 10 for n in numbers)
    assert numbers == [make_iqama_number(FIRST_SERIAL + i) for i in range(5)]


def test_numbers_already_held_by_a_resident_or_a_dependent_are_skipped(hr_officer, establishment):
    held = ResidentFactory(
        establishment=establishment, iqama_number=make_iqama_number(FIRST_SERIAL)
    )
    DependentFactory(resident=held, iqama_number=make_iqama_number(FIRST_SERIAL + 1))
    result = _issue(hr_officer, new_arrival(establishment))
    assert result.issuance.iqama_number == make_iqama_number(FIRST_SERIAL + 2)
    assert IqamaNumberAllocator.objects.get().next_serial == FIRST_SERIAL + 3


def test_a_long_run_of_numbers_in_use_is_skipped_in_batches(establishment):
    taken = [make_iqama_number(FIRST_SERIAL + i) for i in range(120)]
    ResidentFactory.create_batch(
        len(taken), establishment=establishment, iqama_number=factory.Iterator(taken)
    )
    with transaction.atomic():
        number = iqama_number_allocate()
    assert number == make_iqama_number(FIRST_SERIAL + 120)


def test_a_missing_counter_row_is_recreated(hr_officer, arrival):
    IqamaNumberAllocator.objects.all().delete()
    result = _issue(hr_officer, arrival)
    assert result.issuance.iqama_number == make_iqama_number(FIRST_SERIAL)


def test_the_result_is_readable_only_by_the_issuing_establishment(
    hr_officer, other_officer, arrival
):
    result = _issue(hr_officer, arrival)
    found = iqama_issuance_get(actor=hr_officer, request_number=result.request.number)
    assert found.issuance.iqama_number == result.issuance.iqama_number
    for actor, number in (
        (other_officer, result.request.number),
        (hr_officer, "1999999999"),
        (hr_officer, "not-a-number"),
    ):
        with pytest.raises(DomainError) as exc:
            iqama_issuance_get(actor=actor, request_number=number)
        assert exc.value.code == ErrorCode.NOT_FOUND


def test_an_sms_goes_to_the_establishment_with_the_new_number(hr_officer, arrival, establishment):
    from muqeem.notifications.models import SmsMessage

    result = _issue(hr_officer, arrival)
    sms = SmsMessage.objects.get(to=establishment.registered_mobile)
    assert result.issuance.iqama_number in sms.body
    assert result.delivery.tracking_number in sms.body


def test_a_balance_one_halala_short_blocks_before_anything_is_written(
    hr_officer, arrival, establishment
):
    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=WORKER_TOTAL - 1)
    with pytest.raises(EligibilityError) as exc:
        _issue(hr_officer, arrival)
    assert [v.code for v in exc.value.violations] == [ErrorCode.INSUFFICIENT_BALANCE]
