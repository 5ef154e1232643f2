"""Iqama issuance by API: dry run, issue, refusal with every violation, isolation, scope, replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import fund
from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, idem
from muqeem.core.ids import make_iqama_number
from muqeem.eservices.iqama_issuance.models import IqamaIssuance
from muqeem.residents.models import ResidentStatus
from tests.factories import EstablishmentFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

ELIGIBILITY = "/api/v1/iqama-issuances/eligibility/"
ISSUE = "/api/v1/iqama-issuances/"
_serial = iter(range(20_000, 99_999))


def new_arrival(establishment, **fields):
    defaults = {
        "iqama_number": None,
        "iqama_issue_date": None,
        "iqama_expiry_date": None,
        "border_number": f"3{next(_serial):09d}",
        "arrival_date": timezone.localdate() - timedelta(days=20),
    }
    return ResidentFactory(establishment=establishment, **(defaults | fields))


@pytest.fixture
def arrival(establishment):
    return new_arrival(establishment)


def test_issuance_by_api_returns_the_iqama_and_the_wasel_tracking(api, arrival, establishment):
    dry = api.post(ELIGIBILITY, {"border_number": arrival.border_number}, format="json", **idem())
    assert dry.status_code == 200, dry.content
    quote = dry.json()
    assert quote["eligible"] is True and quote["violations"] == []
    total = quote["fees"]["total_halalas"]

    headers = idem()
    body = {"border_number": arrival.border_number, "expected_total_halalas": total}
    done = api.post(ISSUE, body, format="json", **headers)
    assert done.status_code == 201, done.content
    issued = done.json()
    issuance = IqamaIssuance.objects.get(border_number=arrival.border_number)
    assert issued["iqama_number"] == issuance.iqama_number
    assert issued["expires_on"] == quote["expires_on"] == issuance.expires_on.isoformat()
    assert issued["tracking_number"] == issuance.delivery.tracking_number
    assert issued["tracking_number"].startswith("WSL")
    assert issued["status"] == "completed"
    assert issued["fees"]["total_halalas"] == total

    replay = api.post(ISSUE, body, format="json", **headers)
    assert replay.status_code == 201
    assert replay.content == done.content
    assert replay["Idempotent-Replayed"] == "true"
    assert IqamaIssuance.objects.filter(border_number=arrival.border_number).count() == 1

    conflict = api.post(ISSUE, {"border_number": arrival.border_number}, format="json", **headers)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "IDEMPOTENCY_CONFLICT"


def test_refusal_lists_every_violation(make_client):
    establishment = EstablishmentFactory(building_number="12")  # not a national address
    fund(establishment, 1)
    main = UserFactory(establishment=establishment, is_main_user=True)
    client = make_client(actor=main)
    blocked = new_arrival(
        establishment,
        iqama_number=make_iqama_number(44_100_001),
        status=ResidentStatus.ABSENT_FROM_WORK,
        inside_kingdom=False,
        medical_exam_passed=False,
        insurance_active=False,
        fingerprint_registered=False,
        passport_expiry_date=timezone.localdate() + timedelta(days=30),
        unpaid_traffic_fines_halalas=20_000,
    )
    expected = {
        "IQAMA_ALREADY_ISSUED",
        "RESIDENT_STATUS_BLOCKS_SERVICE",
        "RESIDENT_OUTSIDE_KINGDOM",
        "MEDICAL_EXAM_NOT_PASSED",
        "INSURANCE_INACTIVE",
        "FINGERPRINT_NOT_REGISTERED",
        "PASSPORT_VALIDITY_TOO_SHORT",
        "UNPAID_TRAFFIC_FINES",
        "NATIONAL_ADDRESS_INVALID",
        "INSUFFICIENT_BALANCE",
    }
    body = {"border_number": blocked.border_number}
    dry = client.post(ELIGIBILITY, body, format="json", **idem())
    assert dry.status_code == 200
    assert dry.json()["eligible"] is False
    assert {v["code"] for v in dry.json()["violations"]} == expected

    refused = client.post(ISSUE, body, format="json", **idem())
    assert refused.status_code == 422
    error = refused.json()
    assert error["code"] == "ELIGIBILITY_FAILED"
    assert {v["code"] for v in error["violations"]} == expected
    assert not IqamaIssuance.objects.exists()


def test_another_establishments_arrival_is_a_404_like_a_missing_one(api, other_establishment):
    theirs = new_arrival(other_establishment)
    missing = "3999999999"
    for url in (ELIGIBILITY, ISSUE):
        a = api.post(url, {"border_number": theirs.border_number}, format="json", **idem())
        b = api.post(url, {"border_number": missing}, format="json", **idem())
        assert a.status_code == b.status_code == 404
        ja, jb = a.json(), b.json()
        ja.pop("request_id"), jb.pop("request_id")
        assert ja == jb
    assert not IqamaIssuance.objects.exists()


def test_a_key_without_iqama_issuance_is_refused(make_client, arrival):
    others = [p for p in ALL_API_PERMISSIONS if p != Permission.IQAMA_ISSUANCE]
    client = make_client(others)
    for url in (ELIGIBILITY, ISSUE):
        response = client.post(
            url, {"border_number": arrival.border_number}, format="json", **idem()
        )
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"
    only = make_client([Permission.IQAMA_ISSUANCE])
    ok = only.post(ELIGIBILITY, {"border_number": arrival.border_number}, format="json", **idem())
    assert ok.status_code == 200
