"""Races on PostgreSQL: an agency retrying a fine while the first is in flight, two fines for one
resident at once, a payment sent twice at once, and one file confirmed twice at once."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from muqeem.agency.models import AgencyRecord, ImportKind, TrafficFine
from muqeem.agency.services import (
    agency_import_apply,
    agency_import_check,
    traffic_fine_issue,
    traffic_fine_pay,
)
from tests.concurrency import race
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def operator(db):
    return UserFactory(establishment=None, is_staff=True, staff_role="operator")


def issue(operator, resident, number, amount=10_000):
    return lambda: traffic_fine_issue(
        number=number,
        iqama_number=resident.iqama_number,
        amount_halalas=amount,
        violation="Speeding",
        issued_on=date.today(),
        actor=operator,
    )


def test_the_same_fine_sent_twice_at_once_is_recorded_once(operator, resident):
    outcomes = race(issue(operator, resident, "R-1"), issue(operator, resident, "R-1"))
    assert outcomes == Counter({"done": 1, "replayed": 1})
    resident.refresh_from_db()
    assert resident.unpaid_traffic_fines_halalas == 10_000
    assert TrafficFine.objects.count() == 1


def test_two_fines_at_once_both_count(operator, resident):
    outcomes = race(
        issue(operator, resident, "A-1", 10_000), issue(operator, resident, "B-1", 25_000)
    )
    assert outcomes == Counter({"done": 2})
    resident.refresh_from_db()
    assert resident.unpaid_traffic_fines_halalas == 35_000


def test_a_payment_sent_twice_at_once_is_recorded_once(operator, resident):
    issue(operator, resident, "P-1")()

    def pay():
        return traffic_fine_pay(number="P-1", payment_reference="S-1", actor=operator)

    assert race(pay, pay) == Counter({"done": 1, "replayed": 1})
    resident.refresh_from_db()
    assert resident.unpaid_traffic_fines_halalas == 0
    assert AgencyRecord.objects.filter(kind="traffic_fine_paid").count() == 1


def test_one_file_confirmed_twice_at_once_is_applied_once(operator, resident):
    data = f"iqama_number,registered_vehicles\n{resident.iqama_number},3\n".encode()
    checked = agency_import_check(kind=ImportKind.VEHICLES, data=data, actor=operator)

    def confirm():
        return agency_import_apply(agency_import_id=checked.pk, actor=operator)

    assert race(confirm, confirm) == Counter({"done": 1, "replayed": 1})
    resident.refresh_from_db()
    assert resident.registered_vehicles == 3
    assert AgencyRecord.objects.filter(resident=resident).count() == 1
