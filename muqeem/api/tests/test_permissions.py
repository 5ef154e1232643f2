"""Each operation declares the permission it needs; a key without it gets 403 `PERMISSION_DENIED`,
whatever the establishment's data."""

from __future__ import annotations

import pytest

from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, idem
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.eservices.final_exit.services import final_exit_issue
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visa(hr_officer, establishment):
    return visa_issue(
        actor=hr_officer,
        iqama_number=ResidentFactory(establishment=establishment).iqama_number,
        terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 10),
        idempotency_key="perm-visa",
    ).visa


@pytest.fixture
def final_exit(hr_officer, establishment):
    return final_exit_issue(
        actor=hr_officer,
        identifier=ResidentFactory(establishment=establishment).iqama_number,
        idempotency_key="perm-fe",
    ).final_exit


def _operations(resident, visa, final_exit):
    # Each write on its own resident, so one operation's effect cannot block another's.
    iqama = resident.iqama_number

    def fresh():
        return ResidentFactory(establishment=resident.establishment).iqama_number

    return [
        ("get", "/api/v1/residents/", None, Permission.VIEW_RESIDENTS),
        ("get", f"/api/v1/residents/{iqama}/", None, Permission.VIEW_RESIDENTS),
        ("get", f"/api/v1/residents/{iqama}/history/", None, Permission.VIEW_RESIDENTS),
        (
            "post",
            "/api/v1/iqama-renewals/eligibility/",
            {"iqama_number": iqama, "period_months": 12},
            Permission.IQAMA_RENEWAL,
        ),
        (
            "post",
            "/api/v1/iqama-renewals/",
            {"iqama_number": fresh(), "period_months": 12},
            Permission.IQAMA_RENEWAL,
        ),
        (
            "post",
            "/api/v1/visas/eligibility/",
            {
                "iqama_number": iqama,
                "visa_type": "single",
                "duration_unit": "days",
                "duration_value": 10,
            },
            Permission.EXIT_REENTRY,
        ),
        (
            "post",
            "/api/v1/visas/",
            {
                "iqama_number": fresh(),
                "visa_type": "single",
                "duration_unit": "days",
                "duration_value": 10,
            },
            Permission.EXIT_REENTRY,
        ),
        ("get", f"/api/v1/visas/{visa.number}/", None, Permission.EXIT_REENTRY),
        ("get", f"/api/v1/visas/{visa.number}/document/", None, Permission.EXIT_REENTRY),
        (
            "post",
            f"/api/v1/visas/{visa.number}/extend/eligibility/",
            {"months": 1},
            Permission.EXIT_REENTRY,
        ),
        ("post", f"/api/v1/visas/{visa.number}/cancel/", {}, Permission.EXIT_REENTRY),
        (
            "post",
            "/api/v1/final-exits/eligibility/",
            {"iqama_number": iqama},
            Permission.FINAL_EXIT,
        ),
        ("post", "/api/v1/final-exits/", {"iqama_number": fresh()}, Permission.FINAL_EXIT),
        ("get", f"/api/v1/requests/{visa.request.number}/", None, Permission.EXIT_REENTRY),
        ("get", f"/api/v1/final-exits/{final_exit.number}/", None, Permission.FINAL_EXIT),
        (
            "post",
            f"/api/v1/final-exits/{final_exit.number}/cancel/eligibility/",
            {},
            Permission.FINAL_EXIT,
        ),
        ("post", f"/api/v1/final-exits/{final_exit.number}/cancel/", {}, Permission.FINAL_EXIT),
    ]


def _call(client, method, url, body):
    if method == "get":
        return client.get(url)
    return client.post(url, body, format="json", **idem())


def test_every_operation_refuses_a_key_without_its_permission(
    make_client, resident, visa, final_exit
):
    for method, url, body, permission in _operations(resident, visa, final_exit):
        others = [p for p in ALL_API_PERMISSIONS if p != permission]
        response = _call(make_client(others), method, url, body)
        assert response.status_code == 403, url
        assert response.json()["code"] == "PERMISSION_DENIED", url


def test_every_operation_accepts_a_key_with_only_its_permission(
    make_client, resident, visa, final_exit
):
    for method, url, body, permission in _operations(resident, visa, final_exit):
        response = _call(make_client([permission]), method, url, body)
        assert response.status_code in (200, 201), (url, response.content[:300])


def test_a_permission_taken_from_the_service_user_is_refused_too(make_client, resident):
    client = make_client([Permission.VIEW_RESIDENTS])
    user = client.api_key.service_user
    user.service_permissions = []
    user.save(update_fields=["service_permissions"])
    assert client.get("/api/v1/residents/").status_code == 403


def test_balance_needs_only_a_valid_key(make_client):
    response = make_client([Permission.REPORTS]).get("/api/v1/balance/")
    assert response.status_code == 200
    assert response.json()["balance_halalas"] > 0
