"""Transfer of services across two establishments, end to end through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from muqeem.core.errors import DomainError, EligibilityError, ErrorCode
from muqeem.eservices.iqama_renewal.services import iqama_renewal_check
from muqeem.eservices.service_transfer.models import TransferRequest
from muqeem.eservices.service_transfer.services import (
    transfer_approve,
    transfer_consent,
    transfer_reject,
    transfer_request_check,
    transfer_request_create,
    transfer_withdraw,
    transfers_inbox,
)
from muqeem.fees.models import LedgerJournal, ScheduleEntry
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import ResidentHistoryEntry
from muqeem.web.jobs import daily_jobs_run
from muqeem.workflow.machine import RequestStatus
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db
START = date(2026, 3, 1)


def at(d: date):
    return time_machine.travel(f"{d.isoformat()} 10:00 +0300", tick=False)


@pytest.fixture
def worker(establishment):
    """Sponsored by `establishment` (hr_officer's); `other_establishment` (other_officer) wants them."""
    with at(START):
        return ResidentFactory(
            establishment=establishment, iqama_expiry_date=START + timedelta(days=200)
        )


def ask(new_officer, resident, key="t1", moi=None):
    return transfer_request_create(
        actor=new_officer,
        iqama_number=resident.iqama_number,
        sponsor_moi=moi or resident.establishment.moi_number,
        idempotency_key=key,
    ).transfer


def test_request_inbox_approve_pay_and_move(
    hr_officer, other_officer, worker, establishment, other_establishment
):
    with at(START):
        transfer = ask(other_officer, worker)
        assert transfer.request.status == RequestStatus.SUBMITTED
        assert [t.pk for t in transfers_inbox(actor=hr_officer)] == [transfer.pk]
        assert transfers_inbox(actor=other_officer) == []
        new_balance = other_establishment.balance_halalas
        transfer_approve(actor=hr_officer, number=transfer.request.number)
    worker.refresh_from_db()
    other_establishment.refresh_from_db()
    transfer.request.refresh_from_db()
    assert worker.establishment_id == other_establishment.pk
    assert worker.transfer_count == 1
    assert transfer.request.status == RequestStatus.COMPLETED
    assert (
        other_establishment.balance_halalas == new_balance - 200000
    )  # the new sponsor pays SAR 2,000
    assert other_establishment.balance_halalas == establishment_ledger_balance(
        establishment=other_establishment
    )
    kinds = set(
        ResidentHistoryEntry.objects.filter(resident=worker).values_list("kind", "establishment_id")
    )
    assert kinds == {
        ("transferred_out", establishment.pk),
        ("transferred_in", other_establishment.pk),
    }
    # The old sponsor now gets "not found" for the resident, exactly as for a number that does not exist.
    with at(START), pytest.raises(DomainError) as exc:
        iqama_renewal_check(actor=hr_officer, iqama_number=worker.iqama_number, period_months=3)
    assert exc.value.code == ErrorCode.RESIDENT_NOT_FOUND
    with at(START):
        assert (
            iqama_renewal_check(
                actor=other_officer, iqama_number=worker.iqama_number, period_months=3
            ).resident.pk
            == worker.pk
        )


def test_fee_grows_with_the_residents_transfers(hr_officer, other_officer, worker):
    worker.transfer_count = 2
    worker.save()
    with at(START):
        check = transfer_request_check(
            actor=other_officer,
            iqama_number=worker.iqama_number,
            sponsor_moi=worker.establishment.moi_number,
        )
    assert check.quote.total_halalas == 600000
    worker.transfer_count = 1
    worker.save()
    with at(START):
        check = transfer_request_check(
            actor=other_officer,
            iqama_number=worker.iqama_number,
            sponsor_moi=worker.establishment.moi_number,
        )
    assert check.quote.total_halalas == 400000


def test_wrong_sponsor_number_and_unknown_iqama_look_the_same(other_officer, worker):
    with pytest.raises(DomainError) as wrong:
        transfer_request_check(
            actor=other_officer, iqama_number=worker.iqama_number, sponsor_moi="7999999999"
        )
    with pytest.raises(DomainError) as unknown:
        transfer_request_check(
            actor=other_officer,
            iqama_number="2000000006",
            sponsor_moi=worker.establishment.moi_number,
        )
    assert wrong.value.code == unknown.value.code == ErrorCode.SPONSOR_MISMATCH


def test_reject_needs_a_reason_and_nothing_moves(hr_officer, other_officer, worker, establishment):
    with at(START):
        transfer = ask(other_officer, worker)
        with pytest.raises(DomainError) as exc:
            transfer_reject(actor=hr_officer, number=transfer.request.number, reason="  ")
        assert exc.value.code == ErrorCode.REASON_REQUIRED
        transfer_reject(
            actor=hr_officer, number=transfer.request.number, reason="Still under contract"
        )
        transfer_reject(
            actor=hr_officer, number=transfer.request.number, reason="Still under contract"
        )  # retry
    transfer.refresh_from_db()
    transfer.request.refresh_from_db()
    worker.refresh_from_db()
    assert transfer.request.status == RequestStatus.REJECTED
    assert transfer.rejection_reason == "Still under contract"
    assert worker.establishment_id == establishment.pk
    assert not LedgerJournal.objects.filter(service_request=transfer.request).exists()
    with at(START), pytest.raises(DomainError) as exc:
        transfer_approve(actor=hr_officer, number=transfer.request.number)
    assert exc.value.code == ErrorCode.TRANSFER_NOT_PENDING


def test_only_the_current_sponsor_answers_and_only_the_new_one_withdraws(
    hr_officer, other_officer, worker
):
    with at(START):
        transfer = ask(other_officer, worker)
        with pytest.raises(DomainError) as exc:
            transfer_approve(actor=other_officer, number=transfer.request.number)
        assert exc.value.code == ErrorCode.TRANSFER_NOT_FOUND
        with pytest.raises(DomainError):
            transfer_withdraw(actor=hr_officer, number=transfer.request.number)
        transfer_withdraw(actor=other_officer, number=transfer.request.number)
    transfer.request.refresh_from_db()
    assert transfer.request.status == RequestStatus.CANCELLED


def test_a_third_establishment_cannot_see_the_transfer(other_officer, worker, django_user_model):
    from tests.factories import EstablishmentFactory, UserFactory

    outsider = UserFactory(establishment=EstablishmentFactory())
    with at(START):
        transfer = ask(other_officer, worker)
        with pytest.raises(DomainError) as exc:
            transfer_approve(actor=outsider, number=transfer.request.number)
    assert exc.value.code == ErrorCode.TRANSFER_NOT_FOUND


def test_unanswered_requests_expire(hr_officer, other_officer, worker):
    with at(START):
        transfer = ask(other_officer, worker)
    assert transfer.expires_on == START + timedelta(days=10)
    with at(START + timedelta(days=10)):
        assert daily_jobs_run(on=START + timedelta(days=10))["transfers_expired"] == 0
    with at(START + timedelta(days=11)):
        assert daily_jobs_run(on=START + timedelta(days=11))["transfers_expired"] == 1
        assert daily_jobs_run(on=START + timedelta(days=11))["transfers_expired"] == 0
        transfer.request.refresh_from_db()
        assert transfer.request.status == RequestStatus.EXPIRED
        with pytest.raises(DomainError) as exc:
            transfer_approve(actor=hr_officer, number=transfer.request.number)
    assert exc.value.code == ErrorCode.TRANSFER_NOT_PENDING


def test_one_pending_request_per_resident(other_officer, worker):
    from tests.factories import EstablishmentFactory, UserFactory

    third = UserFactory(establishment=EstablishmentFactory())
    from conftest import fund

    fund(third.establishment, 10_000)
    with at(START):
        ask(other_officer, worker)
        check = transfer_request_check(
            actor=third,
            iqama_number=worker.iqama_number,
            sponsor_moi=worker.establishment.moi_number,
        )
    assert [v.code for v in check.violations] == [ErrorCode.TRANSFER_PENDING]


def test_blockers_are_checked_again_at_approval(hr_officer, other_officer, worker):
    with at(START):
        transfer = ask(other_officer, worker)
        worker.unpaid_traffic_fines_halalas = 10000
        worker.save()
        with pytest.raises(EligibilityError) as exc:
            transfer_approve(actor=hr_officer, number=transfer.request.number)
    assert [v.code for v in exc.value.violations] == [ErrorCode.UNPAID_TRAFFIC_FINES]
    transfer.request.refresh_from_db()
    assert transfer.request.status == RequestStatus.SUBMITTED


def test_worker_consent_when_the_schedule_requires_it(
    hr_officer, other_officer, worker, settings, tmp_path, django_capture_on_commit_callbacks
):
    import json
    import re

    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    ScheduleEntry.objects.create(
        key="transfer.worker_consent_required", value=True, effective_from=date(2026, 1, 1)
    )
    worker.mobile = "966512345678"
    worker.save()
    with at(START):
        with django_capture_on_commit_callbacks(execute=True):
            transfer = ask(other_officer, worker)
        with pytest.raises(EligibilityError) as exc:
            transfer_approve(actor=hr_officer, number=transfer.request.number)
        assert [v.code for v in exc.value.violations] == [ErrorCode.WORKER_CONSENT_REQUIRED]
        messages = [json.loads(line) for line in settings.SMS_FILE_PATH.read_text().splitlines()]
        code = re.search(
            r"\b(\d{6})\b", next(m for m in messages if m["to"] == "966512345678")["body"]
        ).group(1)
        with pytest.raises(DomainError) as wrong:
            transfer_consent(
                actor=other_officer,
                number=transfer.request.number,
                code="000000" if code != "000000" else "111111",
            )
        assert wrong.value.code == ErrorCode.SECURITY_CODE_INVALID
        transfer_consent(actor=other_officer, number=transfer.request.number, code=code)
        transfer_approve(actor=hr_officer, number=transfer.request.number)
    worker.refresh_from_db()
    assert worker.establishment_id == other_officer.establishment_id


def test_request_is_idempotent(other_officer, worker):
    with at(START):
        a = ask(other_officer, worker, key="same")
        b = transfer_request_create(
            actor=other_officer,
            iqama_number=worker.iqama_number,
            sponsor_moi=worker.establishment.moi_number,
            idempotency_key="same",
        )
    assert b.replayed and b.transfer.pk == a.pk
    assert TransferRequest.objects.count() == 1
