"""Reports read from the replica alias; their audit records, every other read and every write stay
on default. The replica here is the test settings' mirror of default: a second connection to the
same test database, which (like a real replica) sees only what default has committed, hence the
transactional tests. Each test counts the statements on each connection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openpyxl
import pytest
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.db_router import in_report, report_reads
from muqeem.reports.tests.builders import logged_in
from muqeem.residents.models import Resident
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "replica"]
)


@pytest.fixture(autouse=True)
def _close_replica() -> Iterator[None]:
    yield
    # The mirror's own connection must not outlive the test (PostgreSQL would refuse to drop the
    # test database while it is open).
    connections["replica"].close()


@contextmanager
def counted() -> Iterator[tuple[CaptureQueriesContext, CaptureQueriesContext]]:
    """The statements run on default and on the replica inside the block."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        yield primary, replica


def sql(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


def selects(captured: CaptureQueriesContext, table: str) -> list[str]:
    """Reads of `table`, including those through a server-side cursor (PostgreSQL's
    `DECLARE … CURSOR … FOR SELECT`, which `.iterator()` uses)."""
    return [
        s
        for s in sql(captured)
        if s.lstrip().upper().startswith(("SELECT", "DECLARE")) and table in s
    ]


def writes(captured: CaptureQueriesContext) -> list[str]:
    return [
        s for s in sql(captured) if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


@pytest.fixture
def replica_on() -> Iterator[None]:
    with override_settings(REPORTS_DATABASE="replica"):
        yield


@pytest.fixture
def auditor() -> Any:
    return UserFactory(
        username="auditor.replica", establishment=None, is_staff=True, staff_role="auditor"
    )


# --- The router itself --------------------------------------------------------------------------


def test_report_reads_go_to_the_replica_and_writes_to_default(replica_on, hr_officer):
    assert Resident.objects.all().db == "default"
    with report_reads():
        assert in_report()
        assert Resident.objects.all().db == "replica"
        # A locking read is a write's read: it stays on the primary.
        assert Resident.objects.select_for_update().db == "default"
        with counted() as (primary, replica):
            event = audit_record(event_type=AuditEventType.STATISTICS_VIEWED, actor=hr_officer)
            seen = AuditEvent.objects.filter(pk=event.pk).count()
    assert not in_report()
    assert seen == 1  # committed on default, so the replica sees it
    assert any("audit_auditevent" in s for s in writes(primary))
    assert writes(replica) == []
    assert selects(replica, "audit_auditevent")


def test_an_object_read_in_a_report_is_saved_on_default(replica_on, resident):
    with report_reads():
        loaded = Resident.objects.get(pk=resident.pk)
    assert loaded._state.db == "replica"
    loaded.name_en = "Saved On The Primary"
    with counted() as (primary, replica):
        loaded.save(update_fields=["name_en"])
    assert writes(replica) == []
    assert any("residents_resident" in s for s in writes(primary))


def test_without_a_replica_reports_read_default(auditor):
    """REPORTS_DATABASE is "default" (no DATABASE_REPLICA_URL): the same page, nothing on the
    replica connection."""
    client = logged_in(auditor)
    with counted() as (primary, replica):
        response = client.get(reverse("oversight:statistics"))
    assert response.status_code == 200
    assert sql(replica) == []
    assert selects(primary, "workflow_servicerequest")


# --- The reports --------------------------------------------------------------------------------


def test_statistics_read_the_replica_and_audit_on_default(replica_on, auditor):
    client = logged_in(auditor)
    with counted() as (primary, replica):
        response = client.get(reverse("oversight:statistics"))
    assert response.status_code == 200
    assert selects(replica, "workflow_servicerequest")
    assert selects(replica, "fees_ledger")
    assert writes(replica) == []
    # The statistics' queries ran on the replica only; default logged the viewing.
    assert selects(primary, "workflow_servicerequest") == []
    assert any("audit_auditevent" in s for s in writes(primary))
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.STATISTICS_VIEWED, actor_user=auditor
    ).exists()


def test_statistics_csv_reads_the_replica(replica_on, auditor):
    client = logged_in(auditor)
    with counted() as (primary, replica):
        response = client.get(reverse("oversight:statistics_csv", args=["transactions-daily"]))
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert body
    assert selects(replica, "workflow_servicerequest")
    assert selects(primary, "workflow_servicerequest") == []
    assert any("audit_auditevent" in s for s in writes(primary))


def test_streamed_audit_csv_reads_the_replica_while_it_is_sent(replica_on, auditor, hr_officer):
    earlier = audit_record(event_type=AuditEventType.LOGIN, actor=hr_officer)
    client = logged_in(auditor)
    with counted() as (primary, replica):
        response = client.get(reverse("oversight:audit_csv"))
        # The view has returned; the rows are read as the response is consumed.
        assert not in_report()
        text = b"".join(response.streaming_content).decode("utf-8")
    assert not in_report()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert str(earlier.pk) in {r[0] for r in rows[1:]}
    assert selects(replica, "audit_auditevent")
    assert writes(replica) == []
    # The export is recorded on default; the listing of events is not read there.
    assert any("audit_auditevent" in s for s in writes(primary))
    assert selects(primary, "audit_auditevent") == []
    assert AuditEvent.objects.filter(event_type=AuditEventType.AUDIT_EXPORTED).count() == 1


def test_audit_xlsx_reads_the_replica(replica_on, auditor, hr_officer):
    login = audit_record(event_type=AuditEventType.LOGIN, actor=hr_officer)
    client = logged_in(auditor)
    with counted() as (primary, replica):
        response = client.get(reverse("oversight:audit_xlsx"))
        data = b"".join(response.streaming_content)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert login.pk in {row[0] for row in sheet.iter_rows(values_only=True)}
    assert selects(replica, "audit_auditevent")
    assert selects(primary, "audit_auditevent") == []
    assert any("audit_auditevent" in s for s in writes(primary))


def test_residents_xlsx_reads_the_replica_and_audits_on_default(replica_on, hr_officer):
    residents = ResidentFactory.create_batch(3, establishment=hr_officer.establishment)
    client = logged_in(hr_officer)
    with counted() as (primary, replica):
        response = client.get(reverse("residents:export_xlsx"))
        data = b"".join(response.streaming_content)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert numbers == {r.iqama_number for r in residents}
    assert selects(replica, "residents_resident")
    assert writes(replica) == []
    assert selects(primary, "residents_resident") == []
    assert any("audit_auditevent" in s for s in writes(primary))
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.RESIDENT_SEARCHED, actor_user=hr_officer
    ).exists()


def test_residents_pdf_reads_the_replica(replica_on, hr_officer):
    ResidentFactory(establishment=hr_officer.establishment)
    client = logged_in(hr_officer)
    with counted() as (primary, replica):
        response = client.get(reverse("residents:export_pdf"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert selects(replica, "residents_resident")
    assert selects(primary, "residents_resident") == []
    assert any("audit_auditevent" in s for s in writes(primary))


def test_ordinary_pages_stay_on_default(replica_on, hr_officer):
    """Read-your-writes: the residents list (not a report) reads the primary."""
    resident = ResidentFactory(establishment=hr_officer.establishment)
    client = logged_in(hr_officer)
    with counted() as (primary, replica):
        listed = client.get(reverse("residents:list"))
        opened = client.get(reverse("residents:file", args=[resident.iqama_number]))
    assert listed.status_code == 200
    assert opened.status_code == 200
    assert resident.iqama_number in listed.content.decode()
    assert sql(replica) == []
    assert selects(primary, "residents_resident")
