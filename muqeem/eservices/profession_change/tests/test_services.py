from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, QuoteChanged
from muqeem.eservices.profession_change import services as change_services
from muqeem.eservices.profession_change.models import ProfessionChange
from muqeem.eservices.profession_change.services import (
    profession_change,
    profession_change_check,
    profession_change_get,
)
from muqeem.establishments.models import Establishment
from muqeem.fees.models import LedgerJournal, LedgerLine, ScheduleEntry
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import ResidentHistoryEntry, ResidentHistoryKind, ResidentStatus
from muqeem.workflow import services as workflow_services
from muqeem.workflow.models import RequestEvent, ServiceRequest
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _change(officer, resident, code, key="k1", **kwargs):
    return profession_change(
        actor=officer,
        iqama_number=resident.iqama_number,
        new_profession_code=code,
        idempotency_key=key,
        **kwargs,
    )


def _check(officer, resident, code):
    return profession_change_check(
        actor=officer, iqama_number=resident.iqama_number, new_profession_code=code
    )


def test_paid_change_moves_the_profession_charges_the_fee_and_records_everything(
    hr_officer, resident, establishment, electrician, driver
):
    assert resident.profession_id == electrician.code
    balance = establishment.balance_halalas
    check = _check(hr_officer, resident, driver.code)
    assert check.eligible and not check.correction
    assert check.quote.total_halalas == 200_000

    result = _change(
        hr_officer,
        resident,
        driver.code,
        expected_version=check.resident.version,
        expected_total_halalas=check.quote.total_halalas,
    )

    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert resident.profession_id == driver.code
    assert resident.profession_corrections_used == 0
    assert resident.version == 2
    assert result.request.status == "completed"
    assert result.request.fee_total_halalas == 200_000
    assert establishment.balance_halalas == balance - 200_000
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    journal = LedgerJournal.objects.get(service_request=result.request)
    assert sum(line.amount_halalas for line in journal.lines.all()) == 0
    assert {
        line.fee_code: line.amount_halalas for line in journal.lines.all() if line.fee_code
    } == {"profession_change_fee": 200_000}
    assert [e.action for e in RequestEvent.objects.filter(request=result.request)] == [
        "submit",
        "complete",
    ]
    change = ProfessionChange.objects.get(request=result.request)
    assert (change.old_profession_id, change.new_profession_id, change.is_correction) == (
        electrician.code,
        driver.code,
        False,
    )
    entry = ResidentHistoryEntry.objects.get(resident=resident, service_request=result.request)
    assert entry.kind == ResidentHistoryKind.PROFESSION_CHANGED
    assert entry.establishment_id == establishment.pk
    assert entry.old == {"profession": "741101"}
    assert entry.new == {"profession": "832201", "correction": False}
    audit = AuditEvent.objects.get(
        event_type=AuditEventType.PROFESSION_CHANGED, service_request=result.request
    )
    assert audit.extra_data == {
        "old": "741101",
        "new": "832201",
        "correction": False,
        "fee_halalas": 200_000,
    }


def test_generic_title_is_corrected_free_once_then_charged(
    hr_officer, establishment, worker, technician, electrician
):
    resident = ResidentFactory(establishment=establishment, profession=worker)
    balance = establishment.balance_halalas

    first = _change(hr_officer, resident, technician.code, key="c1")
    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert first.change.is_correction
    assert first.request.fee_total_halalas == 0
    assert first.request.fee_lines == [
        {"code": "profession_change_fee", "amount_halalas": 0, "basis": {"correction": 1}}
    ]
    assert resident.profession_id == technician.code
    assert resident.profession_corrections_used == 1
    assert establishment.balance_halalas == balance
    assert not LedgerJournal.objects.filter(service_request=first.request).exists()
    assert ResidentHistoryEntry.objects.get(service_request=first.request).new == {
        "profession": technician.code,
        "correction": True,
    }

    # Still a generic title, but the free correction is used: the second one costs SAR 2,000.
    check = _check(hr_officer, resident, electrician.code)
    assert not check.correction and check.quote.total_halalas == 200_000
    second = _change(hr_officer, resident, electrician.code, key="c2")
    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert not second.change.is_correction
    assert resident.profession_corrections_used == 1
    assert establishment.balance_halalas == balance - 200_000


def test_every_blocker_is_listed_at_once_and_nothing_changes(
    hr_officer, establishment, electrician, monkeypatch
):
    blocked = ResidentFactory(
        establishment=establishment,
        status=ResidentStatus.ABSENT_FROM_WORK,
        inside_kingdom=False,
        iqama_expiry_date=timezone.localdate() - timedelta(days=3),
    )
    monkeypatch.setattr(change_services, "pending_transfer_exists", lambda resident: True)
    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=100)
    expected = [
        ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
        ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
        ErrorCode.IQAMA_EXPIRED,
        ErrorCode.PROFESSION_NOT_FOUND,
        ErrorCode.TRANSFER_PENDING,
        ErrorCode.INSUFFICIENT_BALANCE,
    ]

    check = _check(hr_officer, blocked, "999999")
    assert [v.code for v in check.violations] == expected
    with pytest.raises(EligibilityError) as exc:
        _change(hr_officer, blocked, "999999")
    assert [v.code for v in exc.value.violations] == expected

    blocked.refresh_from_db()
    assert blocked.profession_id == electrician.code and blocked.version == 1
    assert ServiceRequest.objects.count() == 0
    assert ResidentHistoryEntry.objects.count() == 0


def test_same_or_withdrawn_profession_is_refused(hr_officer, resident, electrician, driver):
    assert [v.code for v in _check(hr_officer, resident, electrician.code).violations] == [
        ErrorCode.PROFESSION_UNCHANGED
    ]
    driver.is_active = False
    driver.save()
    assert [v.code for v in _check(hr_officer, resident, driver.code).violations] == [
        ErrorCode.PROFESSION_NOT_FOUND
    ]
    assert [v.code for v in _check(hr_officer, resident, "").violations] == [
        ErrorCode.PROFESSION_NOT_FOUND
    ]


def test_same_key_replays_without_a_second_change_or_charge(
    hr_officer, resident, establishment, driver
):
    first = _change(hr_officer, resident, driver.code, key="double-click")
    second = _change(hr_officer, resident, driver.code, key="double-click")
    assert second.replayed and not first.replayed
    assert second.request.pk == first.request.pk
    assert second.change.pk == first.change.pk
    assert ServiceRequest.objects.count() == 1
    assert LedgerJournal.objects.filter(kind="charge").count() == 1
    assert ResidentHistoryEntry.objects.count() == 1
    resident.refresh_from_db()
    assert resident.version == 2


def test_same_key_with_another_profession_is_a_conflict(hr_officer, resident, driver, worker):
    _change(hr_officer, resident, driver.code, key="reused")
    with pytest.raises(DomainError) as exc:
        _change(hr_officer, resident, worker.code, key="reused")
    assert exc.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


def test_second_tab_with_the_same_quote_is_refused_and_not_charged(
    hr_officer, resident, establishment, driver, worker
):
    check = _check(hr_officer, resident, driver.code)
    quote = {
        "expected_version": check.resident.version,
        "expected_total_halalas": check.quote.total_halalas,
    }
    _change(hr_officer, resident, driver.code, key="tab-1", **quote)
    establishment.refresh_from_db()
    balance = establishment.balance_halalas
    with pytest.raises(QuoteChanged):
        _change(hr_officer, resident, worker.code, key="tab-2", **quote)
    establishment.refresh_from_db()
    resident.refresh_from_db()
    assert establishment.balance_halalas == balance
    assert resident.profession_id == driver.code
    assert ServiceRequest.objects.count() == 1


def test_a_fee_change_after_the_quote_is_refused(hr_officer, resident, driver):
    check = _check(hr_officer, resident, driver.code)
    ScheduleEntry.objects.create(
        key="profession.change_fee", value=250_000, effective_from=timezone.localdate()
    )
    with pytest.raises(QuoteChanged):
        _change(
            hr_officer,
            resident,
            driver.code,
            expected_version=check.resident.version,
            expected_total_halalas=check.quote.total_halalas,
        )
    assert ServiceRequest.objects.count() == 0


def test_failure_after_the_ledger_write_leaves_no_trace(
    hr_officer, resident, establishment, electrician, driver, monkeypatch
):
    balance = establishment.balance_halalas
    counts = (
        ServiceRequest.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
    )

    def boom(**kwargs):
        raise RuntimeError("injected failure after the ledger write")

    monkeypatch.setattr(workflow_services, "service_request_transition", boom)
    with pytest.raises(RuntimeError):
        _change(hr_officer, resident, driver.code)
    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert resident.profession_id == electrician.code
    assert resident.version == 1
    assert establishment.balance_halalas == balance
    assert (
        ServiceRequest.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert ResidentHistoryEntry.objects.count() == 0
    assert ProfessionChange.objects.count() == 0


def test_another_establishments_resident_is_the_same_not_found_as_a_missing_one(
    hr_officer, other_resident, driver
):
    with pytest.raises(DomainError) as foreign:
        _check(hr_officer, other_resident, driver.code)
    with pytest.raises(DomainError) as missing:
        profession_change_check(
            actor=hr_officer, iqama_number="2000000006", new_profession_code=driver.code
        )
    assert foreign.value.code == missing.value.code == ErrorCode.RESIDENT_NOT_FOUND
    assert foreign.value.as_dict() | {"request_id": ""} == missing.value.as_dict() | {
        "request_id": ""
    }
    with pytest.raises(DomainError) as change_foreign:
        _change(hr_officer, other_resident, driver.code)
    assert change_foreign.value.code == ErrorCode.RESIDENT_NOT_FOUND
    other_resident.refresh_from_db()
    assert other_resident.version == 1 and other_resident.profession_id != driver.code


def test_a_request_is_read_only_by_its_establishment(hr_officer, other_officer, resident, driver):
    result = _change(hr_officer, resident, driver.code)
    assert (
        profession_change_get(actor=hr_officer, request_number=result.request.number).change.pk
        == result.change.pk
    )
    for number in (result.request.number, "1999999999", "nonsense"):
        with pytest.raises(DomainError) as exc:
            profession_change_get(actor=other_officer, request_number=number)
        assert exc.value.code == ErrorCode.NOT_FOUND


def test_check_changes_nothing_but_the_audit_trail(hr_officer, resident, driver):
    _check(hr_officer, resident, driver.code)
    resident.refresh_from_db()
    assert resident.version == 1
    assert ServiceRequest.objects.count() == 0
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED, resident=resident
        ).count()
        == 1
    )


def test_arabic_indic_digits_are_accepted(hr_officer, resident, driver):
    to_arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    check = profession_change_check(
        actor=hr_officer,
        iqama_number=resident.iqama_number.translate(to_arabic),
        new_profession_code=driver.code.translate(to_arabic),
    )
    assert check.eligible and check.new_profession == driver
