from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, QuoteChanged
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.eservices.passport_update import services as update_services
from muqeem.eservices.passport_update.rules import NewPassport
from muqeem.eservices.passport_update.services import (
    passport_update,
    passport_update_check,
    passport_update_get,
)
from muqeem.fees.models import LedgerJournal, LedgerLine
from muqeem.residents.models import (
    PassportRecord,
    ResidentHistoryEntry,
    ResidentHistoryKind,
    ResidentStatus,
)
from muqeem.workflow.models import RequestEvent, ServiceRequest
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def new_passport(number="z9876543", *, issued_days_ago=10, valid_years=10) -> NewPassport:
    today = _today()
    return NewPassport.of(
        number=number,
        issue_date=today - timedelta(days=issued_days_ago),
        expiry_date=today + timedelta(days=365 * valid_years),
    )


def _update(officer, resident, new=None, key="k1", **kwargs):
    return passport_update(
        actor=officer,
        iqama_number=resident.iqama_number,
        new=new or new_passport(),
        idempotency_key=key,
        **kwargs,
    )


def _visa(officer, resident, key):
    return visa_issue(
        actor=officer,
        iqama_number=resident.iqama_number,
        terms=VisaTerms("single", "days", 30),
        idempotency_key=key,
    ).visa


def test_update_keeps_the_old_passport_and_moves_the_record_and_valid_visas(
    hr_officer, resident, establishment
):
    # A visa already travelled on keeps its passport; the one still valid follows the resident.
    old_visa = _visa(hr_officer, resident, "visa-1")
    Visa.objects.filter(pk=old_visa.pk).update(status=VisaStatus.RETURNED)
    valid_visa = _visa(hr_officer, resident, "visa-2")
    resident.refresh_from_db()
    establishment.refresh_from_db()
    balance = establishment.balance_halalas
    journals = LedgerJournal.objects.count()
    old = (resident.passport_number, resident.passport_issue_date, resident.passport_expiry_date)

    check = passport_update_check(
        actor=hr_officer, iqama_number=resident.iqama_number, new=new_passport()
    )
    assert check.eligible
    assert [v.pk for v in check.visas] == [valid_visa.pk]

    result = _update(hr_officer, resident, expected_version=check.resident.version)

    resident.refresh_from_db()
    assert resident.passport_number == "Z9876543"  # upper-cased
    assert resident.passport_issue_date == _today() - timedelta(days=10)
    assert resident.passport_expiry_date == _today() + timedelta(days=3650)
    assert resident.version == check.resident.version + 1

    record = PassportRecord.objects.get(resident=resident)
    assert (record.passport_number, record.issue_date, record.expiry_date) == old
    assert record.service_request_id == result.request.pk
    assert result.update.previous_passport == record

    valid_visa.refresh_from_db()
    old_visa.refresh_from_db()
    assert valid_visa.passport_number == "Z9876543"
    assert valid_visa.version == 2
    assert old_visa.passport_number == old[0]
    assert result.update.visa_numbers == [valid_visa.number]

    # Free: no journal, no balance change, a zero fee on the request.
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance
    assert LedgerJournal.objects.count() == journals
    assert result.request.fee_total_halalas == 0
    assert result.request.status == "completed"
    assert [e.action for e in RequestEvent.objects.filter(request=result.request)] == [
        "submit",
        "complete",
    ]
    history = ResidentHistoryEntry.objects.get(
        resident=resident, kind=ResidentHistoryKind.PASSPORT_UPDATED
    )
    assert history.old["passport_number"] == old[0]
    assert history.new["number"] == "Z9876543"
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.PASSPORT_UPDATED, service_request=result.request
        ).count()
        == 1
    )


def test_a_second_update_stacks_the_passports_in_history(hr_officer, resident):
    first_number = resident.passport_number
    _update(hr_officer, resident, new_passport("A1111111"), key="one")
    _update(hr_officer, resident, new_passport("B2222222"), key="two")
    resident.refresh_from_db()
    assert resident.passport_number == "B2222222"
    assert list(
        PassportRecord.objects.filter(resident=resident)
        .order_by("pk")
        .values_list("passport_number", flat=True)
    ) == [first_number, "A1111111"]


def test_every_blocker_is_listed_at_once_and_nothing_changes(hr_officer, establishment):
    blocked = ResidentFactory(
        establishment=establishment,
        status=ResidentStatus.FINAL_EXIT_ISSUED,
        inside_kingdom=False,
    )
    bad = NewPassport("AB1", _today(), _today() - timedelta(days=1))
    expected = [
        ErrorCode.PASSPORT_NUMBER_INVALID,
        ErrorCode.PASSPORT_DATES_INVALID,
        ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
        ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
    ]
    check = passport_update_check(actor=hr_officer, iqama_number=blocked.iqama_number, new=bad)
    assert [v.code for v in check.violations] == expected
    with pytest.raises(EligibilityError) as exc:
        _update(hr_officer, blocked, bad)
    assert [v.code for v in exc.value.violations] == expected
    assert ServiceRequest.objects.count() == 0
    assert PassportRecord.objects.count() == 0


def test_the_same_number_is_refused_whatever_its_case(hr_officer, resident):
    same = new_passport(resident.passport_number.lower())
    check = passport_update_check(actor=hr_officer, iqama_number=resident.iqama_number, new=same)
    assert [v.code for v in check.violations] == [ErrorCode.PASSPORT_NUMBER_UNCHANGED]


def test_departed_for_good_is_refused(hr_officer, establishment):
    departed = ResidentFactory(
        establishment=establishment, status=ResidentStatus.DEPARTED_FINAL, inside_kingdom=False
    )
    with pytest.raises(EligibilityError) as exc:
        _update(hr_officer, departed)
    assert ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE in [v.code for v in exc.value.violations]


def test_same_idempotency_key_replays_without_a_second_record(hr_officer, resident):
    first = _update(hr_officer, resident, key="double-click")
    second = _update(hr_officer, resident, key="double-click")
    assert second.replayed and second.request.pk == first.request.pk
    assert ServiceRequest.objects.count() == 1
    assert PassportRecord.objects.count() == 1


def test_same_key_with_another_passport_is_a_conflict(hr_officer, resident):
    _update(hr_officer, resident, new_passport("A1111111"), key="reused")
    with pytest.raises(DomainError) as exc:
        _update(hr_officer, resident, new_passport("B2222222"), key="reused")
    assert exc.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


def test_second_tab_with_the_same_check_is_refused(hr_officer, resident):
    check = passport_update_check(
        actor=hr_officer, iqama_number=resident.iqama_number, new=new_passport()
    )
    _update(hr_officer, resident, key="tab-1", expected_version=check.resident.version)
    with pytest.raises(QuoteChanged):
        _update(
            hr_officer,
            resident,
            new_passport("C3333333"),
            key="tab-2",
            expected_version=check.resident.version,
        )
    assert ServiceRequest.objects.count() == 1


def test_failure_after_the_visas_moved_leaves_no_trace(hr_officer, resident, monkeypatch):
    visa = _visa(hr_officer, resident, "visa")
    resident.refresh_from_db()
    before = (resident.passport_number, resident.version)
    counts = (
        ServiceRequest.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
        ResidentHistoryEntry.objects.count(),
    )

    def boom(**kwargs):
        raise RuntimeError("injected failure after the writes")

    monkeypatch.setattr(update_services, "service_request_transition", boom)
    with pytest.raises(RuntimeError):
        _update(hr_officer, resident)

    resident.refresh_from_db()
    visa.refresh_from_db()
    assert (resident.passport_number, resident.version) == before
    assert visa.passport_number == before[0] and visa.version == 1
    assert PassportRecord.objects.count() == 0
    assert (
        ServiceRequest.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
        ResidentHistoryEntry.objects.count(),
    ) == counts


def test_another_establishments_iqama_number_is_the_same_not_found_as_a_missing_one(
    hr_officer, other_resident
):
    with pytest.raises(DomainError) as foreign:
        passport_update_check(
            actor=hr_officer, iqama_number=other_resident.iqama_number, new=new_passport()
        )
    with pytest.raises(DomainError) as missing:
        passport_update_check(actor=hr_officer, iqama_number="2000000006", new=new_passport())
    assert foreign.value.code == missing.value.code == ErrorCode.RESIDENT_NOT_FOUND
    assert foreign.value.as_dict() == missing.value.as_dict()
    with pytest.raises(DomainError) as update_foreign:
        _update(hr_officer, other_resident)
    assert update_foreign.value.code == ErrorCode.RESIDENT_NOT_FOUND
    other_resident.refresh_from_db()
    assert other_resident.version == 1


@pytest.mark.parametrize("bad", ["", "123", "2000000007", "1000000008"])
def test_invalid_iqama_numbers_are_refused_with_a_clear_code(hr_officer, bad):
    with pytest.raises(DomainError) as exc:
        passport_update_check(actor=hr_officer, iqama_number=bad, new=new_passport())
    assert exc.value.code == ErrorCode.IQAMA_NUMBER_INVALID


def test_the_result_is_readable_only_by_the_establishment(hr_officer, other_officer, resident):
    result = _update(hr_officer, resident)
    assert (
        passport_update_get(actor=hr_officer, request_number=result.request.number).update.pk
        == result.update.pk
    )
    with pytest.raises(DomainError) as exc:
        passport_update_get(actor=other_officer, request_number=result.request.number)
    assert exc.value.code == ErrorCode.NOT_FOUND


def test_dates_in_the_payload_round_trip(hr_officer, resident):
    new = NewPassport.of(
        number="k5555555", issue_date=date(2025, 12, 1), expiry_date=date(2035, 11, 30)
    )
    result = _update(hr_officer, resident, new)
    assert result.update.new_issue_date == date(2025, 12, 1)
    assert result.update.new_expiry_date == date(2035, 11, 30)
