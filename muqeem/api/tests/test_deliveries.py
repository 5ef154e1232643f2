"""Wasel deliveries by API: paged list, detail with events, isolation and scope."""

from __future__ import annotations

import pytest

from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS
from muqeem.api.tests.test_iqama_issuances import new_arrival
from muqeem.core.ids import public_number
from muqeem.delivery.models import TRACKING_NUMBER_BASE, DeliverySource, DeliveryStatus
from muqeem.delivery.services import delivery_status_update
from muqeem.eservices.iqama_issuance.services import iqama_issue

pytestmark = pytest.mark.django_db


def _deliver(officer, establishment, key):
    arrival = new_arrival(establishment)
    return iqama_issue(
        actor=officer, border_number=arrival.border_number, idempotency_key=key
    ).delivery


def test_list_pages_the_establishments_orders_and_detail_shows_events(
    make_client, hr_officer, establishment, other_officer, other_establishment
):
    ours = [_deliver(hr_officer, establishment, f"k{i}") for i in range(3)]
    _deliver(other_officer, other_establishment, "theirs")
    delivery_status_update(
        order_or_tracking=ours[0], status=DeliveryStatus.PRINTED, source=DeliverySource.STAFF
    )
    client = make_client([Permission.WASEL])

    first = client.get("/api/v1/deliveries/", {"limit": 2})
    assert first.status_code == 200, first.content
    page = first.json()
    assert len(page["results"]) == 2 and page["next_cursor"]
    second = client.get("/api/v1/deliveries/", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert second["next_cursor"] is None
    listed = [d["tracking_number"] for d in page["results"] + second["results"]]
    assert sorted(listed) == sorted(o.tracking_number for o in ours)
    # The most recently changed first.
    assert listed[0] == ours[0].tracking_number

    printed = client.get("/api/v1/deliveries/", {"status": "printed"}).json()
    assert [d["tracking_number"] for d in printed["results"]] == [ours[0].tracking_number]

    detail = client.get(f"/api/v1/deliveries/{ours[0].tracking_number}/")
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert body["status"] == "printed"
    assert [e["status"] for e in body["events"]][-1] == "printed"
    assert body["address"]["postal_code"] == establishment.postal_code


def test_another_establishments_delivery_is_a_404_like_a_missing_one(
    api, other_officer, other_establishment
):
    theirs = _deliver(other_officer, other_establishment, "theirs")
    missing = "WSL" + public_number(theirs.pk + 10_000, TRACKING_NUMBER_BASE)
    a = api.get(f"/api/v1/deliveries/{theirs.tracking_number}/")
    b = api.get(f"/api/v1/deliveries/{missing}/")
    assert a.status_code == b.status_code == 404
    ja, jb = a.json(), b.json()
    ja.pop("request_id"), jb.pop("request_id")
    assert ja == jb and ja["code"] == "DELIVERY_NOT_FOUND"
    assert api.get("/api/v1/deliveries/").json()["results"] == []


def test_bad_cursor_is_400(api):
    response = api.get("/api/v1/deliveries/", {"cursor": "nonsense"})
    assert response.status_code == 400


def test_a_key_without_wasel_is_refused(make_client):
    client = make_client([p for p in ALL_API_PERMISSIONS if p != Permission.WASEL])
    for url in ("/api/v1/deliveries/", "/api/v1/deliveries/WSL1/"):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"
