"""Passport update by API: dry run, update, refusal, isolation, scope, replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, idem
from muqeem.eservices.passport_update.models import PassportUpdate
from muqeem.residents.models import ResidentStatus
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

ELIGIBILITY = "/api/v1/passport-updates/eligibility/"
UPDATE = "/api/v1/passport-updates/"


def _terms(resident, number="z9876543"):
    today = timezone.localdate()
    return {
        "iqama_number": resident.iqama_number,
        "passport_number": number,
        "issue_date": (today - timedelta(days=10)).isoformat(),
        "expiry_date": (today + timedelta(days=3650)).isoformat(),
    }


def test_update_by_api_and_replay(api, resident):
    old = resident.passport_number
    body = _terms(resident)
    dry = api.post(ELIGIBILITY, body, format="json", **idem())
    assert dry.status_code == 200, dry.content
    assert dry.json()["eligible"] is True and dry.json()["violations"] == []
    assert dry.json()["passport_number"] == "Z9876543"

    headers = idem()
    done = api.post(UPDATE, body, format="json", **headers)
    assert done.status_code == 201, done.content
    result = done.json()
    assert result["status"] == "completed"
    assert result["previous_passport_number"] == old
    assert result["passport_number"] == "Z9876543"
    resident.refresh_from_db()
    assert resident.passport_number == "Z9876543"

    replay = api.post(UPDATE, body, format="json", **headers)
    assert replay.status_code == 201 and replay.content == done.content
    assert replay["Idempotent-Replayed"] == "true"
    assert PassportUpdate.objects.count() == 1

    conflict = api.post(UPDATE, _terms(resident, "Y1234567"), format="json", **headers)
    assert conflict.status_code == 409


def test_refusal_lists_every_violation(api, establishment):
    blocked = ResidentFactory(
        establishment=establishment, status=ResidentStatus.FINAL_EXIT_ISSUED, inside_kingdom=False
    )
    today = timezone.localdate()
    body = {
        "iqama_number": blocked.iqama_number,
        "passport_number": "AB1",
        "issue_date": today.isoformat(),
        "expiry_date": (today - timedelta(days=1)).isoformat(),
    }
    expected = {
        "PASSPORT_NUMBER_INVALID",
        "PASSPORT_DATES_INVALID",
        "RESIDENT_STATUS_BLOCKS_SERVICE",
        "RESIDENT_OUTSIDE_KINGDOM",
    }
    dry = api.post(ELIGIBILITY, body, format="json", **idem())
    assert dry.status_code == 200
    assert {v["code"] for v in dry.json()["violations"]} == expected
    refused = api.post(UPDATE, body, format="json", **idem())
    assert refused.status_code == 422
    assert refused.json()["code"] == "ELIGIBILITY_FAILED"
    assert {v["code"] for v in refused.json()["violations"]} == expected
    assert not PassportUpdate.objects.exists()


def test_another_establishments_resident_is_a_404_like_a_missing_one(api, other_resident):
    missing = {**_terms(other_resident), "iqama_number": "2999999994"}
    for url in (ELIGIBILITY, UPDATE):
        a = api.post(url, _terms(other_resident), format="json", **idem())
        b = api.post(url, missing, format="json", **idem())
        assert a.status_code == b.status_code == 404
        ja, jb = a.json(), b.json()
        ja.pop("request_id"), jb.pop("request_id")
        assert ja == jb
    assert not PassportUpdate.objects.exists()


def test_a_key_without_passport_update_is_refused(make_client, resident):
    others = [p for p in ALL_API_PERMISSIONS if p != Permission.PASSPORT_UPDATE]
    client = make_client(others)
    for url in (ELIGIBILITY, UPDATE):
        response = client.post(url, _terms(resident), format="json", **idem())
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"
