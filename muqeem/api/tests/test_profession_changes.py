"""Profession change by API: catalogue, dry run, change, refusal, isolation, scope, replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, idem
from muqeem.eservices.profession_change import services as change_services
from muqeem.eservices.profession_change.models import ProfessionChange
from muqeem.establishments.models import Establishment
from muqeem.residents.models import Profession, ResidentStatus
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

ELIGIBILITY = "/api/v1/profession-changes/eligibility/"
CHANGE = "/api/v1/profession-changes/"


@pytest.fixture
def driver(db):
    return Profession.objects.get_or_create(
        code="832201", defaults={"name_ar": "سائق", "name_en": "Driver"}
    )[0]


def test_catalogue_lists_active_professions_for_any_key(make_client, driver):
    Profession.objects.get_or_create(
        code="999001", defaults={"name_ar": "x", "name_en": "Withdrawn", "is_active": False}
    )
    response = make_client([Permission.REPORTS]).get("/api/v1/professions/")
    assert response.status_code == 200
    codes = [p["code"] for p in response.json()["results"]]
    assert driver.code in codes and "999001" not in codes
    assert codes == sorted(codes)


def test_change_by_api_and_replay(api, resident, driver):
    body = {"iqama_number": resident.iqama_number, "new_profession_code": driver.code}
    dry = api.post(ELIGIBILITY, body, format="json", **idem())
    assert dry.status_code == 200, dry.content
    quote = dry.json()
    assert quote["eligible"] is True and quote["new_profession"]["code"] == driver.code

    headers = idem()
    body["expected_total_halalas"] = quote["fees"]["total_halalas"]
    done = api.post(CHANGE, body, format="json", **headers)
    assert done.status_code == 201, done.content
    assert done.json()["new_profession"]["code"] == driver.code
    assert done.json()["old_profession"]["code"] == "741101"
    resident.refresh_from_db()
    assert resident.profession_id == driver.code

    replay = api.post(CHANGE, body, format="json", **headers)
    assert replay.status_code == 201 and replay.content == done.content
    assert replay["Idempotent-Replayed"] == "true"
    assert ProfessionChange.objects.count() == 1


def test_refusal_lists_every_violation(api, establishment, monkeypatch):
    blocked = ResidentFactory(
        establishment=establishment,
        status=ResidentStatus.ABSENT_FROM_WORK,
        inside_kingdom=False,
        iqama_expiry_date=timezone.localdate() - timedelta(days=3),
    )
    monkeypatch.setattr(change_services, "pending_transfer_exists", lambda resident: True)
    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=100)
    expected = {
        "RESIDENT_STATUS_BLOCKS_SERVICE",
        "RESIDENT_OUTSIDE_KINGDOM",
        "IQAMA_EXPIRED",
        "PROFESSION_NOT_FOUND",
        "TRANSFER_PENDING",
        "INSUFFICIENT_BALANCE",
    }
    body = {"iqama_number": blocked.iqama_number, "new_profession_code": "999999"}
    dry = api.post(ELIGIBILITY, body, format="json", **idem())
    assert dry.status_code == 200
    assert {v["code"] for v in dry.json()["violations"]} == expected
    refused = api.post(CHANGE, body, format="json", **idem())
    assert refused.status_code == 422
    assert refused.json()["code"] == "ELIGIBILITY_FAILED"
    assert {v["code"] for v in refused.json()["violations"]} == expected
    assert not ProfessionChange.objects.exists()


def test_another_establishments_resident_is_a_404_like_a_missing_one(api, other_resident, driver):
    for url in (ELIGIBILITY, CHANGE):
        a = api.post(
            url,
            {"iqama_number": other_resident.iqama_number, "new_profession_code": driver.code},
            format="json",
            **idem(),
        )
        b = api.post(
            url,
            {"iqama_number": "2999999994", "new_profession_code": driver.code},
            format="json",
            **idem(),
        )
        assert a.status_code == b.status_code == 404
        ja, jb = a.json(), b.json()
        ja.pop("request_id"), jb.pop("request_id")
        assert ja == jb
    assert not ProfessionChange.objects.exists()


def test_a_key_without_profession_change_is_refused(make_client, resident, driver):
    others = [p for p in ALL_API_PERMISSIONS if p != Permission.PROFESSION_CHANGE]
    client = make_client(others)
    body = {"iqama_number": resident.iqama_number, "new_profession_code": driver.code}
    for url in (ELIGIBILITY, CHANGE):
        response = client.post(url, body, format="json", **idem())
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"
