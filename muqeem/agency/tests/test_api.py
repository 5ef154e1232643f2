from __future__ import annotations

from datetime import date, timedelta

import pytest

from muqeem.agency.models import AgencyRecord, TrafficFine
from muqeem.core.ids import make_iqama_number
from muqeem.eservices.iqama_renewal.services import iqama_renewal_check
from muqeem.integrations.models import IntegrationKind

from .conftest import credential_client

pytestmark = pytest.mark.django_db
BASE = "/api/agency/v1"


def _codes(hr_officer, resident) -> set[str]:
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
    )
    return {str(v.code) for v in check.violations}


def _fine(client, resident, number="TF-1", amount=50_000, **extra):
    body = {
        "fine_number": number,
        "iqama_number": resident.iqama_number,
        "amount_halalas": amount,
        "violation": "Speeding",
        "issued_on": date.today().isoformat(),
    }
    return client.post(f"{BASE}/traffic-fines/", body | extra, format="json")


def test_a_fine_from_the_api_blocks_renewal_until_paid(traffic_client, hr_officer, resident):
    assert "UNPAID_TRAFFIC_FINES" not in _codes(hr_officer, resident)
    out = _fine(traffic_client, resident)
    assert out.status_code == 201, out.json()
    assert out.json()["unpaid_traffic_fines_halalas"] == 50_000
    assert "UNPAID_TRAFFIC_FINES" in _codes(hr_officer, resident)
    read = traffic_client.get(f"{BASE}/traffic-fines/tf-1/")
    assert read.status_code == 200 and read.json()["status"] == "issued"
    paid = traffic_client.post(
        f"{BASE}/traffic-fines/TF-1/payment/", {"payment_reference": "S-1"}, format="json"
    )
    assert paid.status_code == 200, paid.json()
    assert paid.json()["status"] == "paid"
    assert "UNPAID_TRAFFIC_FINES" not in _codes(hr_officer, resident)


def test_a_retried_fine_is_a_replay_and_different_data_a_conflict(traffic_client, resident):
    assert _fine(traffic_client, resident).status_code == 201
    again = _fine(traffic_client, resident)
    assert again.status_code == 200 and again.json()["replayed"] is True
    conflict = _fine(traffic_client, resident, amount=60_000)
    assert conflict.status_code == 409 and conflict.json()["code"] == "IDEMPOTENCY_CONFLICT"
    resident.refresh_from_db()
    assert resident.unpaid_traffic_fines_halalas == 50_000
    assert TrafficFine.objects.count() == 1
    assert AgencyRecord.objects.filter(kind="traffic_fine_issued").count() == 1


def test_paying_twice(traffic_client, resident):
    _fine(traffic_client, resident)
    url = f"{BASE}/traffic-fines/TF-1/payment/"
    assert traffic_client.post(url, {"payment_reference": "S-1"}, format="json").status_code == 200
    replay = traffic_client.post(url, {"payment_reference": "S-1"}, format="json")
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    other = traffic_client.post(url, {"payment_reference": "S-2"}, format="json")
    assert other.status_code == 409 and other.json()["code"] == "TRAFFIC_FINE_ALREADY_PAID"
    missing = traffic_client.post(f"{BASE}/traffic-fines/NOPE/payment/", {}, format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "TRAFFIC_FINE_NOT_FOUND"


@pytest.mark.parametrize(
    ("kind", "method", "path", "body"),
    [
        (IntegrationKind.INSURANCE, "put", "insurance", {"active": False}),
        (IntegrationKind.BIOMETRIC, "put", "fingerprint", {"registered": False}),
        (IntegrationKind.VEHICLES, "put", "vehicles", {"count": 2}),
        (IntegrationKind.LABOUR, "post", "absence-report", {}),
    ],
)
def test_each_endpoint_takes_only_its_own_agency_credential(kind, method, path, body, resident):
    url = f"{BASE}/residents/{resident.iqama_number}/{path}/"
    agencies = {
        IntegrationKind.INSURANCE,
        IntegrationKind.BIOMETRIC,
        IntegrationKind.VEHICLES,
        IntegrationKind.LABOUR,
    }
    for other in [IntegrationKind.TRAFFIC, IntegrationKind.BORDER, *sorted(agencies - {kind})]:
        refused = getattr(credential_client(other), method)(url, body, format="json")
        assert refused.status_code == 403, (other, refused.content)
        assert refused.json()["code"] == "PERMISSION_DENIED"
        assert refused.json()["messages"]["ar"]
    assert AgencyRecord.objects.count() == 0
    ok = getattr(credential_client(kind), method)(url, body, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["changed"] is True
    assert AgencyRecord.objects.count() == 1


def test_traffic_endpoints_refuse_other_agencies(insurance_client, resident):
    assert _fine(insurance_client, resident).status_code == 403
    assert TrafficFine.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "body", "field", "expected"),
    [
        ("insurance", {"active": False}, "insurance_active", False),
        ("fingerprint", {"registered": False}, "fingerprint_registered", False),
        ("vehicles", {"count": 3}, "registered_vehicles", 3),
    ],
)
def test_setting_a_fact_and_setting_it_again(path, body, field, expected, resident):
    kind = {
        "insurance": IntegrationKind.INSURANCE,
        "fingerprint": IntegrationKind.BIOMETRIC,
        "vehicles": IntegrationKind.VEHICLES,
    }[path]
    client = credential_client(kind)
    url = f"{BASE}/residents/{resident.iqama_number}/{path}/"
    first = client.put(url, body | {"reference": "r1"}, format="json")
    assert first.status_code == 200 and first.json()[field] == expected
    version = first.json()
    resident.refresh_from_db()
    assert getattr(resident, field) == expected
    replay = client.put(url, body | {"reference": "r1"}, format="json")
    assert replay.json()["replayed"] is True and replay.json() != version
    same = client.put(url, body, format="json")
    assert same.json()["changed"] is False
    assert AgencyRecord.objects.filter(resident=resident).count() == 1


def test_a_reference_reused_with_other_data_is_a_conflict(resident):
    client = credential_client(IntegrationKind.VEHICLES)
    url = f"{BASE}/residents/{resident.iqama_number}/vehicles/"
    assert client.put(url, {"count": 1, "reference": "x"}, format="json").status_code == 200
    conflict = client.put(url, {"count": 2, "reference": "x"}, format="json")
    assert conflict.status_code == 409 and conflict.json()["code"] == "IDEMPOTENCY_CONFLICT"


def test_absence_report_and_withdrawal_block_and_unblock(hr_officer, resident):
    client = credential_client(IntegrationKind.LABOUR)
    url = f"{BASE}/residents/{resident.iqama_number}/absence-report/"
    out = client.post(url, {}, format="json")
    assert out.status_code == 200
    assert out.json()["status"] == "absent_from_work"
    assert out.json()["absent_from_work_reported"] is True
    assert {"ABSENT_FROM_WORK_REPORTED", "RESIDENT_STATUS_BLOCKS_SERVICE"} <= _codes(
        hr_officer, resident
    )
    back = client.delete(url, format="json")
    assert back.status_code == 200 and back.json()["status"] == "active"
    codes = _codes(hr_officer, resident)
    assert "ABSENT_FROM_WORK_REPORTED" not in codes
    assert "RESIDENT_STATUS_BLOCKS_SERVICE" not in codes


def test_unknown_resident_and_bad_input(traffic_client, resident):
    client = credential_client(IntegrationKind.INSURANCE)
    bad = client.put(f"{BASE}/residents/123/insurance/", {"active": True}, format="json")
    assert bad.status_code == 400
    missing = client.put(
        f"{BASE}/residents/{make_iqama_number(99_999_999)}/insurance/",
        {"active": True, "expiry_date": (date.today() + timedelta(days=9)).isoformat()},
        format="json",
    )
    assert missing.status_code == 404 and missing.json()["code"] == "RESIDENT_UNKNOWN"
    no_expiry = client.put(
        f"{BASE}/residents/{resident.iqama_number}/insurance/", {"active": True}, format="json"
    )
    assert no_expiry.status_code == 400 and "expiry_date" in no_expiry.json()["fields"]
    future = _fine(
        traffic_client, resident, issued_on=(date.today() + timedelta(days=1)).isoformat()
    )
    assert future.status_code == 400 and "issued_on" in future.json()["fields"]


def test_no_credential_is_401(client, resident):
    from rest_framework.test import APIClient

    out = APIClient().put(
        f"{BASE}/residents/{resident.iqama_number}/vehicles/", {"count": 1}, format="json"
    )
    assert out.status_code == 401 and out.json()["code"] == "CREDENTIAL_INVALID"
