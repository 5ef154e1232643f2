"""Transfers by API: the new sponsor asks, the current sponsor answers; a third establishment sees
nothing."""

from __future__ import annotations

import pytest

from muqeem.accounts.permissions import Permission
from muqeem.api.services import api_key_create
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, client_for, idem
from muqeem.eservices.service_transfer.models import TransferRequest
from muqeem.establishments.models import Establishment
from muqeem.residents.models import ResidentStatus
from tests.factories import EstablishmentFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

MISSING_NUMBER = "1999999999"


def _terms(resident):
    return {"iqama_number": resident.iqama_number, "sponsor_moi": resident.establishment.moi_number}


def _ask(other_api, resident):
    response = other_api.post("/api/v1/transfers/", _terms(resident), format="json", **idem())
    assert response.status_code == 201, response.content
    return response.json()["transfer_number"]


@pytest.fixture
def third_api(db):
    establishment = EstablishmentFactory()
    main = UserFactory(establishment=establishment, is_main_user=True)
    _key, secret = api_key_create(actor=main, name="Third", permissions=ALL_API_PERMISSIONS)
    return client_for(secret)


def test_ask_inbox_approve_moves_the_resident(api, other_api, resident, other_establishment):
    dry = other_api.post(
        "/api/v1/transfers/eligibility/", _terms(resident), format="json", **idem()
    )
    assert dry.status_code == 200, dry.content
    assert dry.json()["eligible"] is True
    total = dry.json()["fees"]["total_halalas"]

    headers = idem()
    asked = other_api.post("/api/v1/transfers/", _terms(resident), format="json", **headers)
    assert asked.status_code == 201, asked.content
    number = asked.json()["transfer_number"]
    assert asked.json()["status"] == "submitted" and asked.json()["direction"] == "outgoing"
    replay = other_api.post("/api/v1/transfers/", _terms(resident), format="json", **headers)
    assert replay.status_code == 201 and replay.content == asked.content
    assert TransferRequest.objects.count() == 1

    inbox = api.get("/api/v1/transfers/inbox/").json()["results"]
    assert [t["transfer_number"] for t in inbox] == [number]
    assert inbox[0]["direction"] == "incoming"
    assert other_api.get("/api/v1/transfers/inbox/").json()["results"] == []

    before = other_establishment.balance_halalas
    approve_headers = idem()
    approved = api.post(
        f"/api/v1/transfers/{number}/approve/", {}, format="json", **approve_headers
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "completed"
    again = api.post(f"/api/v1/transfers/{number}/approve/", {}, format="json", **approve_headers)
    assert again.content == approved.content and again["Idempotent-Replayed"] == "true"
    resident.refresh_from_db()
    other_establishment.refresh_from_db()
    assert resident.establishment_id == other_establishment.pk
    assert other_establishment.balance_halalas == before - total
    assert other_api.get(f"/api/v1/transfers/{number}/").json()["status"] == "completed"


def test_reject_needs_a_reason_and_withdraw_is_the_new_sponsors(api, other_api, resident):
    number = _ask(other_api, resident)
    no_reason = api.post(f"/api/v1/transfers/{number}/reject/", {}, format="json", **idem())
    assert no_reason.status_code == 400
    # Only the new sponsor withdraws; to the current sponsor it is not theirs to withdraw.
    wrong_side = api.post(f"/api/v1/transfers/{number}/withdraw/", {}, format="json", **idem())
    assert wrong_side.status_code == 404
    rejected = api.post(
        f"/api/v1/transfers/{number}/reject/", {"reason": "Still needed"}, format="json", **idem()
    )
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Still needed"

    second = _ask(other_api, resident)
    withdrawn = other_api.post(f"/api/v1/transfers/{second}/withdraw/", {}, format="json", **idem())
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == "cancelled"
    late = api.post(f"/api/v1/transfers/{second}/approve/", {}, format="json", **idem())
    assert late.status_code == 409
    assert late.json()["code"] == "TRANSFER_NOT_PENDING"


def test_refusal_lists_every_violation(api, other_api, establishment, other_establishment):
    blocked = ResidentFactory(
        establishment=establishment,
        status=ResidentStatus.ABSENT_FROM_WORK,
        unpaid_traffic_fines_halalas=20_000,
    )
    Establishment.objects.filter(pk=other_establishment.pk).update(balance_halalas=100)
    dry = other_api.post("/api/v1/transfers/eligibility/", _terms(blocked), format="json", **idem())
    assert dry.status_code == 200, dry.content
    codes = {v["code"] for v in dry.json()["violations"]}
    assert {"UNPAID_TRAFFIC_FINES", "INSUFFICIENT_BALANCE"} <= codes and len(codes) >= 3
    refused = other_api.post("/api/v1/transfers/", _terms(blocked), format="json", **idem())
    assert refused.status_code == 422
    assert refused.json()["code"] == "ELIGIBILITY_FAILED"
    assert {v["code"] for v in refused.json()["violations"]} == codes
    assert not TransferRequest.objects.exists()


def test_a_third_establishment_gets_the_same_404_as_for_a_missing_one(
    other_api, resident, third_api
):
    number = _ask(other_api, resident)
    calls = [
        ("get", "/api/v1/transfers/{}/", None),
        ("post", "/api/v1/transfers/{}/approve/", {}),
        ("post", "/api/v1/transfers/{}/reject/", {"reason": "x"}),
        ("post", "/api/v1/transfers/{}/withdraw/", {}),
    ]
    for method, url, body in calls:
        if method == "get":
            a, b = third_api.get(url.format(number)), third_api.get(url.format(MISSING_NUMBER))
        else:
            a = third_api.post(url.format(number), body, format="json", **idem())
            b = third_api.post(url.format(MISSING_NUMBER), body, format="json", **idem())
        assert a.status_code == b.status_code == 404, url
        ja, jb = a.json(), b.json()
        ja.pop("request_id"), jb.pop("request_id")
        assert ja == jb and ja["code"] == "TRANSFER_NOT_FOUND"
    assert third_api.get("/api/v1/transfers/inbox/").json()["results"] == []
    assert TransferRequest.objects.get().request.status == "submitted"


def test_a_key_without_service_transfer_is_refused(make_client, resident):
    client = make_client([p for p in ALL_API_PERMISSIONS if p != Permission.SERVICE_TRANSFER])
    for response in (
        client.get("/api/v1/transfers/inbox/"),
        client.get(f"/api/v1/transfers/{MISSING_NUMBER}/"),
        client.post("/api/v1/transfers/eligibility/", _terms(resident), format="json", **idem()),
        client.post("/api/v1/transfers/", _terms(resident), format="json", **idem()),
        client.post(f"/api/v1/transfers/{MISSING_NUMBER}/approve/", {}, format="json", **idem()),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"
