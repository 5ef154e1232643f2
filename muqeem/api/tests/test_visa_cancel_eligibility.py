"""Checking a visa's cancellation by API: dry run, refusal, isolation, permission."""

from __future__ import annotations

import pytest

from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, idem
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus

pytestmark = pytest.mark.django_db


def _issue(client, resident) -> str:
    terms = {
        "iqama_number": resident.iqama_number,
        "visa_type": "single",
        "duration_unit": "days",
        "duration_value": 30,
    }
    issued = client.post("/api/v1/visas/", terms, format="json", **idem())
    assert issued.status_code == 201, issued.content
    return issued.json()["visa_number"]


def _check(client, number):
    return client.post(f"/api/v1/visas/{number}/cancel/eligibility/", {}, format="json", **idem())


def test_an_unused_visa_can_be_cancelled_for_free_and_the_check_changes_nothing(api, resident):
    number = _issue(api, resident)
    check = _check(api, number)
    assert check.status_code == 200, check.content
    data = check.json()
    assert data["eligible"] is True and data["violations"] == []
    assert data["visa_number"] == number and data["deadline"]
    assert data["fees"] == {"lines": [], "total_halalas": 0}
    assert Visa.objects.get().status == VisaStatus.ISSUED


def test_a_cancelled_visa_is_not_eligible_with_the_violation(api, resident):
    number = _issue(api, resident)
    cancelled = api.post(f"/api/v1/visas/{number}/cancel/", {}, format="json", **idem())
    assert cancelled.status_code == 200
    check = _check(api, number)
    assert check.status_code == 200, check.content
    data = check.json()
    assert data["eligible"] is False
    # The window is only checked for an unused visa: not cancellable is the whole list.
    assert [v["code"] for v in data["violations"]] == ["VISA_NOT_CANCELLABLE"]
    assert data["fees"]["total_halalas"] == 0


def test_another_establishments_visa_is_a_404_like_a_missing_one(api, other_api, other_resident):
    theirs = _issue(other_api, other_resident)
    a = _check(api, theirs)
    b = _check(api, "5999999999")
    assert a.status_code == b.status_code == 404
    ja, jb = a.json(), b.json()
    ja.pop("request_id"), jb.pop("request_id")
    assert ja == jb


def test_a_key_without_exit_reentry_is_refused(api, make_client, resident):
    number = _issue(api, resident)
    client = make_client([p for p in ALL_API_PERMISSIONS if p != Permission.EXIT_REENTRY])
    response = _check(client, number)
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
