from __future__ import annotations

from datetime import date, timedelta

import pytest

from muqeem.agency.models import AgencyRecord
from muqeem.agency.services import (
    absence_report,
    absence_withdraw,
    insurance_status_set,
    traffic_fine_issue,
    traffic_fine_pay,
    vehicles_count_set,
)
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import DomainError
from muqeem.residents.models import ResidentHistoryEntry, ResidentStatus
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "reported", "action", "new_status", "new_reported", "recorded"),
    [
        (ResidentStatus.ACTIVE, False, "report", ResidentStatus.ABSENT_FROM_WORK, True, True),
        (
            ResidentStatus.ABSENT_FROM_WORK,
            True,
            "report",
            ResidentStatus.ABSENT_FROM_WORK,
            True,
            False,
        ),
        (ResidentStatus.ABSENT_FROM_WORK, True, "withdraw", ResidentStatus.ACTIVE, False, True),
        (ResidentStatus.ACTIVE, False, "withdraw", ResidentStatus.ACTIVE, False, False),
        # Outside the kingdom: the report is kept, the travel status is not overwritten.
        (
            ResidentStatus.OUTSIDE_KINGDOM,
            False,
            "report",
            ResidentStatus.OUTSIDE_KINGDOM,
            True,
            True,
        ),
        (
            ResidentStatus.OUTSIDE_KINGDOM,
            True,
            "withdraw",
            ResidentStatus.OUTSIDE_KINGDOM,
            False,
            True,
        ),
    ],
)
def test_absence_reports(
    operator, establishment, status, reported, action, new_status, new_reported, recorded
):
    resident = ResidentFactory(
        establishment=establishment, status=status, absent_from_work_reported=reported
    )
    service = absence_report if action == "report" else absence_withdraw
    result = service(iqama_number=resident.iqama_number, actor=operator)
    resident.refresh_from_db()
    assert (resident.status, resident.absent_from_work_reported) == (new_status, new_reported)
    assert result.changed is recorded
    assert AgencyRecord.objects.filter(resident=resident).exists() is recorded
    status_changed = status != new_status
    assert ResidentHistoryEntry.objects.filter(resident=resident).exists() is status_changed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("operator", True), ("supervisor", True), ("auditor", False), ("officer", False)],
)
def test_only_operating_staff_change_facts(establishment, who, allowed):
    resident = ResidentFactory(establishment=establishment)
    if who == "officer":
        actor = UserFactory(establishment=establishment)
    else:
        actor = UserFactory(establishment=None, is_staff=True, staff_role=who)
    calls = [
        lambda: vehicles_count_set(iqama_number=resident.iqama_number, count=1, actor=actor),
        lambda: traffic_fine_issue(
            number=f"W-{who}",
            iqama_number=resident.iqama_number,
            amount_halalas=100,
            violation="Parking",
            issued_on=date.today(),
            actor=actor,
        ),
        lambda: absence_report(iqama_number=resident.iqama_number, actor=actor),
    ]
    for call in calls:
        if allowed:
            call()
        else:
            with pytest.raises(DomainError) as refused:
                call()
            assert refused.value.code == "STAFF_ROLE_NOT_ALLOWED"
    assert AgencyRecord.objects.exists() is allowed


def test_an_amount_carried_from_before_is_kept_until_settled(operator, establishment):
    resident = ResidentFactory(establishment=establishment, unpaid_traffic_fines_halalas=30_000)
    traffic_fine_issue(
        number="N-1",
        iqama_number=resident.iqama_number,
        amount_halalas=5_000,
        violation="Parking",
        issued_on=date.today(),
        actor=operator,
    )
    resident.refresh_from_db()
    assert resident.unpaid_traffic_fines_halalas == 35_000
    traffic_fine_pay(number="N-1", actor=operator)
    resident.refresh_from_db()
    assert resident.unpaid_traffic_fines_halalas == 30_000


def test_every_change_is_audited_and_bumps_the_version(operator, resident):
    version = resident.version
    insurance_status_set(
        iqama_number=resident.iqama_number,
        active=True,
        expiry_date=date.today() + timedelta(days=400),
        actor=operator,
    )
    resident.refresh_from_db()
    assert resident.version == version + 1
    event = AuditEvent.objects.get(event_type=AuditEventType.AGENCY_RECORD_CHANGED)
    assert event.actor_user == operator and event.resident_id == resident.pk
    record = AgencyRecord.objects.get()
    assert record.old["insurance_expiry_date"] != record.new["insurance_expiry_date"]
    with pytest.raises(RuntimeError, match="append-only"):
        record.save()
    with pytest.raises(RuntimeError, match="append-only"):
        record.delete()


def test_paying_a_paid_fine_without_the_same_reference_is_refused(operator, resident):
    traffic_fine_issue(
        number="D-1",
        iqama_number=resident.iqama_number,
        amount_halalas=100,
        violation="Parking",
        issued_on=date.today(),
        actor=operator,
    )
    traffic_fine_pay(number="D-1", actor=operator)
    with pytest.raises(DomainError) as refused:
        traffic_fine_pay(number="d-1", actor=operator)
    assert refused.value.code == "TRAFFIC_FINE_ALREADY_PAID"


@pytest.mark.postgres
def test_postgresql_refuses_to_change_or_delete_a_record(operator, resident):
    from django.db import DatabaseError, transaction

    vehicles_count_set(iqama_number=resident.iqama_number, count=2, actor=operator)
    record = AgencyRecord.objects.get()
    attempts = [
        lambda: AgencyRecord.objects.filter(pk=record.pk).update(new={"registered_vehicles": 9}),
        lambda: AgencyRecord.objects.filter(pk=record.pk).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    record.refresh_from_db()
    assert record.new == {"registered_vehicles": 2}
