from __future__ import annotations

from datetime import date

import pytest

from muqeem.agency.models import AgencyRecord, TrafficFine
from muqeem.agency.services import traffic_fine_issue
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.eservices.iqama_renewal.services import iqama_renewal_check
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _codes(hr_officer, resident) -> set[str]:
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
    )
    return {str(v.code) for v in check.violations}


def _fact_url(resident, fact):
    return f"/authority/agency/residents/{resident.iqama_number}/{fact}/"


def test_lookup_shows_the_facts_and_forms(operator_client, resident):
    page = operator_client.get("/authority/agency/", {"iqama_number": resident.iqama_number})
    assert page.status_code == 200
    html = page.content.decode()
    assert resident.name_ar in html or resident.name_en in html
    for form_id in ("insurance-form", "fingerprint-form", "vehicles-form", "fine-form"):
        assert f'id="{form_id}"' in html


def test_lookup_of_an_unknown_or_invalid_number(operator_client):
    assert operator_client.get("/authority/agency/", {"iqama_number": "123"}).status_code == 400
    missing = operator_client.get("/authority/agency/", {"iqama_number": "2999999994"})
    assert missing.status_code == 404
    assert b'id="not-found"' in missing.content


def test_a_fine_recorded_on_the_page_blocks_renewal_until_paid(
    operator_client, hr_officer, resident
):
    out = operator_client.post(
        _fact_url(resident, "fine"),
        {
            "fine_number": "tf-77",
            "amount": "٣٠٠",
            "violation": "Red light",
            "issued_on": date.today().isoformat(),
        },
    )
    assert out.status_code == 302
    fine = TrafficFine.objects.get(number="TF-77")
    assert fine.amount_halalas == 30_000
    assert "UNPAID_TRAFFIC_FINES" in _codes(hr_officer, resident)
    paid = operator_client.post("/authority/agency/fines/TF-77/pay/", {"payment_reference": "P1"})
    assert paid.status_code == 302
    assert "UNPAID_TRAFFIC_FINES" not in _codes(hr_officer, resident)
    resident.refresh_from_db()
    assert resident.unpaid_traffic_fines_halalas == 0
    events = set(AuditEvent.objects.filter(resident=resident).values_list("event_type", flat=True))
    assert {AuditEventType.TRAFFIC_FINE_ISSUED, AuditEventType.TRAFFIC_FINE_PAID} <= events


@pytest.mark.parametrize(
    ("fact", "data", "field", "expected"),
    [
        ("insurance", {"active": "0", "expiry_date": ""}, "insurance_active", False),
        ("fingerprint", {"registered": "0"}, "fingerprint_registered", False),
        ("vehicles", {"count": "2"}, "registered_vehicles", 2),
        ("absence", {"action": "report"}, "absent_from_work_reported", True),
    ],
)
def test_each_fact_form_changes_the_fact(operator_client, resident, fact, data, field, expected):
    out = operator_client.post(_fact_url(resident, fact), data)
    assert out.status_code == 302
    resident.refresh_from_db()
    assert getattr(resident, field) == expected
    record = AgencyRecord.objects.get(resident=resident)
    assert record.recorded_by is not None and record.credential is None


def test_an_invalid_form_shows_the_error_and_changes_nothing(operator_client, resident):
    out = operator_client.post(_fact_url(resident, "insurance"), {"active": "1", "expiry_date": ""})
    assert out.status_code == 400
    assert b'id="error-box"' in out.content
    assert AgencyRecord.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/authority/agency/",
        "/authority/agency/fines/",
        "/authority/agency/imports/insurance/",
        "/authority/agency/imports/traffic_fines/template.csv",
    ],
)
def test_auditor_reads_every_page(auditor_client, url):
    page = auditor_client.get(url)
    assert page.status_code == 200


def test_auditor_sees_no_forms_and_cannot_post(auditor_client, resident):
    page = auditor_client.get("/authority/agency/", {"iqama_number": resident.iqama_number})
    assert b'id="insurance-form"' not in page.content
    assert b'id="read-only-note"' in page.content
    for fact, data in [("vehicles", {"count": "3"}), ("absence", {"action": "report"})]:
        assert auditor_client.post(_fact_url(resident, fact), data).status_code == 403
    assert auditor_client.post("/authority/agency/imports/vehicles/", {}).status_code == 403
    resident.refresh_from_db()
    assert resident.registered_vehicles == 0 and not resident.absent_from_work_reported


@pytest.mark.parametrize(
    "url",
    ["/authority/agency/", "/authority/agency/fines/", "/authority/agency/imports/insurance/"],
)
def test_establishment_users_get_404(client, hr_officer, url):
    client.force_login(hr_officer)
    assert client.get(url).status_code == 404


def test_establishment_user_cannot_post_either(client, hr_officer, resident):
    client.force_login(hr_officer)
    assert client.post(_fact_url(resident, "vehicles"), {"count": "5"}).status_code == 404
    resident.refresh_from_db()
    assert resident.registered_vehicles == 0


def test_fines_list_query_count_does_not_grow(
    operator_client, operator, establishment, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            r = ResidentFactory(establishment=establishment)
            traffic_fine_issue(
                number=f"Q-{r.pk}-{i}",
                iqama_number=r.iqama_number,
                amount_halalas=1000,
                violation="Parking",
                issued_on=date.today(),
                actor=operator,
            )

    add(3)
    with django_assert_max_num_queries(8):
        small = operator_client.get("/authority/agency/fines/")
    add(12)
    with django_assert_max_num_queries(8):
        large = operator_client.get("/authority/agency/fines/")
    assert small.status_code == large.status_code == 200
    assert large.content.count(b"data-fine=") == 15


def test_fines_list_filters(operator_client, operator, resident):
    traffic_fine_issue(
        number="F-1",
        iqama_number=resident.iqama_number,
        amount_halalas=500,
        violation="Parking",
        issued_on=date.today(),
        actor=operator,
    )
    unpaid = operator_client.get("/authority/agency/fines/")
    assert b'data-fine="F-1"' in unpaid.content
    paid = operator_client.get("/authority/agency/fines/", {"status": "paid"})
    assert b'data-fine="F-1"' not in paid.content
    found = operator_client.get("/authority/agency/fines/", {"q": resident.iqama_number})
    assert b'data-fine="F-1"' in found.content


def test_resident_page_query_count(
    operator_client, operator, resident, django_assert_max_num_queries
):
    for i in range(5):
        traffic_fine_issue(
            number=f"R-{i}",
            iqama_number=resident.iqama_number,
            amount_halalas=500,
            violation="Parking",
            issued_on=date.today(),
            actor=operator,
        )
    with django_assert_max_num_queries(10):
        page = operator_client.get("/authority/agency/", {"iqama_number": resident.iqama_number})
    assert page.content.count(b"data-fine=") == 5
