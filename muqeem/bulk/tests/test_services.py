"""Bulk batches through the services: dry run, run, idempotent re-upload, permissions, big files."""

from __future__ import annotations

import io

import pytest
from django.db.models import Sum

from muqeem.bulk.errors import BulkError, BulkErrorCode
from muqeem.bulk.models import BatchStatus, BulkBatch, BulkRow, RowStatus
from muqeem.bulk.services import (
    bulk_batch_confirm,
    bulk_batch_execute,
    bulk_batch_resume,
    bulk_batch_upload,
    bulk_batch_validate,
    row_idempotency_key,
)
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.ids import make_iqama_number
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue, visa_issue_check
from muqeem.eservices.iqama_renewal.services import iqama_renew, iqama_renewal_check
from muqeem.fees.models import JournalKind, LedgerJournal
from muqeem.residents.models import Resident
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory, UserFactory

from .conftest import cancel, csv_bytes, issue, line, renew, xlsx_bytes

pytestmark = pytest.mark.django_db


def upload(actor, content: bytes, name: str = "batch.csv") -> BulkBatch:
    return bulk_batch_upload(
        actor=actor, filename=name, size=len(content), content=io.BytesIO(content)
    )


def rows_of(batch: BulkBatch) -> dict[int, BulkRow]:
    return {r.row_number: r for r in BulkRow.objects.filter(batch=batch)}


def charges(establishment) -> int:
    return LedgerJournal.objects.filter(
        establishment=establishment, kind=JournalKind.CHARGE
    ).count()


def bulk_requests(batch: BulkBatch) -> int:
    prefix = row_idempotency_key(
        establishment_id=batch.establishment_id, file_sha256=batch.file_sha256, row_number=0
    )[:-1]
    return ServiceRequest.objects.filter(idempotency_key__startswith=prefix).count()


@pytest.fixture
def people(establishment, other_resident, hr_officer):
    """Residents of the officer's establishment, one per situation, plus a visa to cancel."""
    holder = ResidentFactory(establishment=establishment)
    visa = visa_issue(
        actor=hr_officer,
        iqama_number=holder.iqama_number,
        terms=VisaTerms(visa_type="single", unit="days", value=30),
        idempotency_key="setup-visa",
    ).visa
    return {
        "good1": ResidentFactory(establishment=establishment),
        "good2": ResidentFactory(establishment=establishment),
        "fined": ResidentFactory(establishment=establishment, unpaid_traffic_fines_halalas=150_000),
        "traveller": ResidentFactory(establishment=establishment),
        "other": other_resident,
        "visa": visa,
    }


def mixed_file(people) -> bytes:
    arabic_six = "٦"
    return csv_bytes(
        [
            renew(people["good1"].iqama_number, 12),  # row 2: valid
            renew(people["good2"].iqama_number, arabic_six),  # row 3: valid, Arabic digits
            renew(people["fined"].iqama_number, 12),  # row 4: unpaid traffic fines
            renew(people["other"].iqama_number, 12),  # row 5: another establishment's
            renew("1234567890", 12),  # row 6: not an iqama number
            issue(people["traveller"].iqama_number),  # row 7: valid visa
            cancel(people["visa"].number),  # row 8: valid cancellation, no fee
            line("fly_to_the_moon", iqama_number=people["good1"].iqama_number),  # row 9
            renew(people["good1"].iqama_number, 12),  # row 10: repeats row 2
            renew(people["traveller"].iqama_number, "twelve"),  # row 11: not a number
        ]
    )


EXPECTED = {
    2: (RowStatus.VALID, []),
    3: (RowStatus.VALID, []),
    4: (RowStatus.INVALID, ["UNPAID_TRAFFIC_FINES"]),
    5: (RowStatus.INVALID, ["RESIDENT_NOT_FOUND"]),
    6: (RowStatus.INVALID, ["IQAMA_NUMBER_INVALID"]),
    7: (RowStatus.VALID, []),
    8: (RowStatus.VALID, []),
    9: (RowStatus.INVALID, ["BULK_OPERATION_UNKNOWN"]),
    10: (RowStatus.INVALID, ["BULK_DUPLICATE_ROW"]),
    11: (RowStatus.INVALID, ["VALIDATION_FAILED"]),
}


def test_dry_run_gives_each_row_its_services_answer(
    hr_officer, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, mixed_file(people))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED
    rows = rows_of(batch)
    assert {n: (r.status, r.codes) for n, r in rows.items()} == EXPECTED
    assert (batch.rows_total, batch.rows_valid, batch.rows_invalid) == (10, 4, 6)
    # Both languages are stored for every reason.
    for row in rows.values():
        for violation in row.violations:
            assert set(violation["messages"]) == {"ar", "en"}
            assert violation["messages"]["ar"] != violation["messages"]["en"]
    assert rows[3].input["months"] == "6"
    assert rows[2].detail["name_en"] == people["good1"].name_en
    # Nothing ran: no request, no charge.
    assert bulk_requests(batch) == 0


def test_total_fee_is_the_sum_of_the_services_quotes(
    hr_officer, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, mixed_file(people))
    batch.refresh_from_db()
    quotes = [
        iqama_renewal_check(
            actor=hr_officer, iqama_number=people["good1"].iqama_number, period_months=12
        ).quote.total_halalas,
        iqama_renewal_check(
            actor=hr_officer, iqama_number=people["good2"].iqama_number, period_months=6
        ).quote.total_halalas,
        visa_issue_check(
            actor=hr_officer,
            iqama_number=people["traveller"].iqama_number,
            terms=VisaTerms(visa_type="single", unit="days", value=60),
        ).quote.total_halalas,
    ]
    assert all(q > 0 for q in quotes)
    assert batch.fees_quoted_halalas == sum(quotes)
    rows = rows_of(batch)
    assert [rows[n].fee_quoted_halalas for n in (2, 3, 7, 8)] == [*quotes, 0]


def test_run_creates_requests_and_charges_each_row_once(
    hr_officer, establishment, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, mixed_file(people))
    batch.refresh_from_db()
    establishment.refresh_from_db()
    balance_before, charges_before = establishment.balance_halalas, charges(establishment)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    batch.refresh_from_db()
    establishment.refresh_from_db()

    assert batch.status == BatchStatus.DONE
    assert batch.finished_at is not None
    rows = rows_of(batch)
    done = [n for n, r in rows.items() if r.status == RowStatus.DONE]
    assert done == [2, 3, 7, 8]
    assert all(rows[n].request_number for n in done)
    assert (batch.rows_done, batch.rows_failed, batch.rows_to_run) == (4, 0, 4)
    assert bulk_requests(batch) == 4
    # Renewals and the visa issue are charged, the cancellation is free: three debits.
    assert charges(establishment) == charges_before + 3
    assert balance_before - establishment.balance_halalas == batch.fees_quoted_halalas
    assert batch.fees_charged_halalas == batch.fees_quoted_halalas
    good2 = Resident.objects.get(pk=people["good2"].pk)
    assert good2.iqama_expiry_date.isoformat() == rows[3].detail["new_expiry"]
    assert Visa.objects.get(pk=people["visa"].pk).status == VisaStatus.CANCELLED
    assert Visa.objects.filter(resident=people["traveller"], status=VisaStatus.ISSUED).count() == 1


def test_reupload_of_the_same_file_repeats_nothing(
    hr_officer, establishment, people, django_capture_on_commit_callbacks
):
    content = mixed_file(people)
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(hr_officer, content)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_batch_confirm(actor=hr_officer, batch_id=first.pk)
    establishment.refresh_from_db()
    balance, charged = establishment.balance_halalas, charges(establishment)
    first_rows = rows_of(first)

    with django_capture_on_commit_callbacks(execute=True):
        second = upload(hr_officer, content, name="same-file-renamed.csv")
    second.refresh_from_db()
    rows = rows_of(second)
    assert second.file_sha256 == first.file_sha256
    for n in (2, 3, 7, 8):
        assert rows[n].status == RowStatus.SKIPPED
        assert rows[n].request_number == first_rows[n].request_number
    assert second.rows_valid == 0
    assert second.rows_skipped == 4
    with pytest.raises(BulkError) as refused:
        bulk_batch_confirm(actor=hr_officer, batch_id=second.pk)
    assert refused.value.code == BulkErrorCode.BULK_NOT_CONFIRMABLE
    establishment.refresh_from_db()
    assert (establishment.balance_halalas, charges(establishment)) == (balance, charged)
    assert bulk_requests(second) == 4


def test_two_uploads_checked_before_either_ran_charge_once(
    hr_officer, establishment, people, django_capture_on_commit_callbacks
):
    """The second run finds every row done by the first: the services replay them."""
    content = csv_bytes([renew(people["good1"].iqama_number), renew(people["good2"].iqama_number)])
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(hr_officer, content)
        second = upload(hr_officer, content)
    assert BulkBatch.objects.get(pk=second.pk).rows_valid == 2
    charges_before = charges(establishment)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_batch_confirm(actor=hr_officer, batch_id=first.pk)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_batch_confirm(actor=hr_officer, batch_id=second.pk)
    second.refresh_from_db()
    assert second.status == BatchStatus.DONE
    assert [r.status for r in rows_of(second).values()] == [RowStatus.SKIPPED] * 2
    assert second.fees_charged_halalas == 0
    assert charges(establishment) == charges_before + 2


def test_running_a_batch_twice_runs_each_row_once(
    hr_officer, establishment, people, django_capture_on_commit_callbacks
):
    content = csv_bytes([renew(people["good1"].iqama_number)])
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, content)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
        # A double-clicked confirm is refused under the batch's lock.
        with pytest.raises(BulkError):
            bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    assert len(callbacks) == 1
    charges_before = charges(establishment)
    # The task delivered twice (a retry, two workers): the second finds nothing left to do.
    bulk_batch_execute(batch_id=batch.pk)
    bulk_batch_execute(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert batch.rows_done == 1
    assert charges(establishment) == charges_before + 1


def test_resume_after_a_worker_died_mid_row(
    hr_officer, establishment, people, django_capture_on_commit_callbacks
):
    """The service committed but the worker died before recording it: resuming replays the row
    and reports it done, charged once."""
    content = csv_bytes([renew(people["good1"].iqama_number), renew(people["good2"].iqama_number)])
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, content)
    with django_capture_on_commit_callbacks(execute=False):
        bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    row = BulkRow.objects.get(batch=batch, row_number=2)
    key = row_idempotency_key(
        establishment_id=batch.establishment_id, file_sha256=batch.file_sha256, row_number=2
    )
    iqama_renew(
        actor=hr_officer,
        iqama_number=people["good1"].iqama_number,
        period_months=12,
        idempotency_key=key,
    )
    BulkRow.objects.filter(pk=row.pk).update(status=RowStatus.PROCESSING, attempts=1)
    BulkBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED)
    charges_before = charges(establishment)

    with django_capture_on_commit_callbacks(execute=True):
        bulk_batch_resume(actor=hr_officer, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert {r.row_number: r.status for r in rows_of(batch).values()} == {
        2: RowStatus.DONE,
        3: RowStatus.DONE,
    }
    assert charges(establishment) == charges_before + 1


def test_run_stops_rows_when_the_balance_runs_out(
    hr_officer, establishment, people, django_capture_on_commit_callbacks
):
    content = csv_bytes([renew(people["good1"].iqama_number), renew(people["good2"].iqama_number)])
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, content)
    batch.refresh_from_db()
    one_row = rows_of(batch)[2].fee_quoted_halalas
    # Leave just enough for one renewal.
    from muqeem.establishments.models import Establishment

    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=one_row)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    rows = rows_of(batch)
    assert rows[2].status == RowStatus.DONE
    assert rows[3].status == RowStatus.FAILED
    assert rows[3].codes == ["INSUFFICIENT_BALANCE"]


# --- Permissions ------------------------------------------------------------------------------


def test_bulk_permission_is_required_to_upload(establishment, people):
    officer = UserFactory(establishment=establishment, service_permissions=["iqama_renewal"])
    with pytest.raises(DomainError) as refused:
        upload(officer, csv_bytes([renew(people["good1"].iqama_number)]))
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert not BulkBatch.objects.exists()


def test_each_row_needs_its_service_permission(
    establishment, people, django_capture_on_commit_callbacks
):
    officer = UserFactory(establishment=establishment, service_permissions=["bulk", "exit_reentry"])
    content = csv_bytes(
        [
            renew(people["good1"].iqama_number),
            renew(people["good2"].iqama_number),
            issue(people["traveller"].iqama_number),
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(officer, content)
    rows = rows_of(batch)
    assert rows[2].codes == rows[3].codes == ["PERMISSION_DENIED"]
    assert rows[2].status == rows[3].status == RowStatus.INVALID
    assert rows[4].status == RowStatus.VALID
    with django_capture_on_commit_callbacks(execute=True):
        bulk_batch_confirm(actor=officer, batch_id=batch.pk)
    assert bulk_requests(batch) == 1
    assert Resident.objects.get(pk=people["good1"].pk).iqama_expiry_date == (
        people["good1"].iqama_expiry_date
    )


def test_permission_withdrawn_before_the_run_fails_the_rows(
    hr_officer, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, csv_bytes([renew(people["good1"].iqama_number)]))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    hr_officer.service_permissions = ["bulk"]
    hr_officer.save()
    for callback in callbacks:
        callback()
    row = BulkRow.objects.get(batch=batch)
    assert (row.status, row.codes) == (RowStatus.FAILED, ["PERMISSION_DENIED"])
    assert bulk_requests(batch) == 0


def test_a_batch_of_another_establishment_cannot_be_confirmed(
    hr_officer, other_officer, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, csv_bytes([renew(people["good1"].iqama_number)]))
    with pytest.raises(DomainError) as refused:
        bulk_batch_confirm(actor=other_officer, batch_id=batch.pk)
    assert refused.value.code == ErrorCode.NOT_FOUND
    assert BulkBatch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED


# --- Size -------------------------------------------------------------------------------------


def test_two_thousand_rows_are_checked_in_the_task(
    hr_officer, establishment, django_capture_on_commit_callbacks
):
    real = Resident.objects.bulk_create(
        [
            ResidentFactory.build(establishment=establishment, iqama_number=number)
            for number in factory_iqama_numbers(200, start=60_000_000)
        ]
    )
    numbers = [r.iqama_number for r in real] + factory_iqama_numbers(1800, start=70_000_000)
    content = xlsx_bytes([renew(n, 12) for n in numbers])
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, content, name="big.xlsx")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED
    assert (batch.rows_total, batch.rows_valid, batch.rows_invalid) == (2000, 200, 1800)
    assert batch.rows_pending == 0
    assert batch.progress_percent == 100
    not_found = BulkRow.objects.filter(batch=batch, status=RowStatus.INVALID)
    assert {tuple(r.codes) for r in not_found} == {("RESIDENT_NOT_FOUND",)}
    total = BulkRow.objects.filter(batch=batch, status=RowStatus.VALID).aggregate(
        s=Sum("fee_quoted_halalas")
    )["s"]
    assert batch.fees_quoted_halalas == total


def factory_iqama_numbers(count: int, *, start: int):
    return [make_iqama_number(start + i) for i in range(count)]


def test_validation_is_safe_to_run_twice(hr_officer, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        batch = upload(hr_officer, mixed_file(people))
    bulk_batch_validate(batch_id=batch.pk)
    bulk_batch_validate(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED
    assert (batch.rows_valid, batch.rows_invalid) == (4, 6)


def test_upload_only_stores_the_rows_the_checks_run_in_the_task(
    hr_officer, people, django_capture_on_commit_callbacks
):
    from muqeem.audit.models import AuditEvent, AuditEventType

    checked = AuditEvent.objects.filter(event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED)
    before = checked.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = upload(hr_officer, mixed_file(people))
    assert batch.status == BatchStatus.VALIDATING
    assert batch.rows_pending == batch.rows_total == 10
    assert checked.count() == before
    assert len(callbacks) == 1
    callbacks[0]()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED
    # Each row that reached a service's check was audited by that service, as on the single page.
    assert checked.count() > before


def test_a_silent_run_can_be_resumed_a_live_one_cannot(
    hr_officer, people, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from muqeem.bulk.services import batch_can_resume

    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(hr_officer, csv_bytes([renew(people["good1"].iqama_number)]))
    with django_capture_on_commit_callbacks(execute=False):
        bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
    batch.refresh_from_db()
    assert not batch_can_resume(batch)
    with pytest.raises(BulkError):
        bulk_batch_resume(actor=hr_officer, batch_id=batch.pk)
    BulkBatch.objects.filter(pk=batch.pk).update(progress_at=timezone.now() - timedelta(minutes=10))
    batch.refresh_from_db()
    assert batch_can_resume(batch)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_batch_resume(actor=hr_officer, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert batch.rows_done == 1


def test_a_batch_sends_one_summary_sms_not_one_per_renewal(
    hr_officer, establishment, settings, tmp_path, django_capture_on_commit_callbacks
):
    import json

    from muqeem.bulk.services import batches as bulk_batches
    from muqeem.bulk.services import bulk_batch_execute, bulk_batch_validate
    from muqeem.bulk.tests.conftest import renew, xlsx_bytes
    from tests.factories import ResidentFactory

    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    residents = [ResidentFactory(establishment=establishment) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(
            hr_officer, xlsx_bytes([renew(r.iqama_number) for r in residents]), name="b.xlsx"
        )
        bulk_batch_validate(batch_id=batch.pk)
        bulk_batches.bulk_batch_confirm(actor=hr_officer, batch_id=batch.pk)
        bulk_batch_execute(batch_id=batch.pk)
    sent = [
        json.loads(line) for line in settings.SMS_FILE_PATH.read_text(encoding="utf-8").splitlines()
    ]
    to_establishment = [m for m in sent if m["to"] == establishment.registered_mobile]
    assert len(to_establishment) == 1
    assert "3" in to_establishment[0]["body"]
