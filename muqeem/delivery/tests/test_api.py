"""Saudi Post's endpoint: who may call it, what a retry does, and that every refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from muqeem.delivery.models import DeliveryEvent, DeliveryOrder, DeliveryStatus
from muqeem.delivery.tests.conftest import credential_client
from muqeem.integrations.models import IntegrationKind
from muqeem.integrations.services import integration_credential_revoke
from muqeem.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db


def url(tracking: str) -> str:
    return f"/api/postal/v1/deliveries/{tracking}/events/"


def post(client, order_or_tracking, status="printed", event="evt-1", **extra):
    tracking = (
        order_or_tracking.tracking_number
        if isinstance(order_or_tracking, DeliveryOrder)
        else order_or_tracking
    )
    return client.post(url(tracking), {"event_id": event, "status": status} | extra, format="json")


def state(order: DeliveryOrder) -> tuple:
    order.refresh_from_db()
    return (
        order.status,
        order.version,
        DeliveryEvent.objects.filter(order=order).count(),
        SmsMessage.objects.count(),
    )


def test_a_reported_status_moves_the_order(postal_client, order):
    when = timezone.now() - timedelta(hours=2)
    response = post(postal_client, order, occurred_at=when.isoformat(), note="Riyadh hub")
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "event_id": "evt-1",
        "tracking_number": order.tracking_number,
        "status": "printed",
        "occurred_at": body["occurred_at"],
        "order_status": "printed",
        "replayed": False,
    }
    order.refresh_from_db()
    assert order.status == DeliveryStatus.PRINTED
    assert order.status_changed_at == when
    event = order.events.last()
    assert event.credential == postal_client.credential
    assert event.note == "Riyadh hub"
    assert event.external_id == f"postal:{postal_client.credential.pk}:evt-1"


def test_a_retried_message_is_recorded_once(postal_client, order):
    assert post(postal_client, order, event="same").status_code == 201
    before = state(order)
    again = post(postal_client, order, event="same")
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert state(order) == before


def test_a_retry_after_later_events_still_replays(postal_client, order):
    post(postal_client, order, "printed", "e1")
    post(postal_client, order, "shipped", "e2")
    again = post(postal_client, order, "printed", "e1")
    assert again.status_code == 200
    assert again.json()["order_status"] == "shipped"


def test_the_same_event_id_with_another_status_is_a_conflict(postal_client, order):
    post(postal_client, order, "printed", "e1")
    before = state(order)
    response = post(postal_client, order, "shipped", "e1")
    assert response.status_code == 409
    assert response.json()["code"] == "IDEMPOTENCY_CONFLICT"
    assert state(order) == before


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        ((), "shipped"),  # skips printed
        ((), "delivered"),
        ((), "requested"),  # not a move
        (("printed",), "printed"),  # the same status again under a new event id
        (("printed", "shipped"), "printed"),  # backwards
        (("printed", "shipped", "delivered"), "returned_to_sender"),  # after the end
    ],
)
def test_an_out_of_order_status_is_refused_in_both_languages(postal_client, order, setup, status):
    for i, step in enumerate(setup):
        assert post(postal_client, order, step, f"setup-{i}").status_code == 201
    before = state(order)
    response = post(postal_client, order, status, "late")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "DELIVERY_STATUS_NOT_ALLOWED"
    assert body["messages"]["ar"] and body["messages"]["en"] and body["request_id"]
    assert state(order) == before
    assert not DeliveryEvent.objects.filter(external_id__endswith=":late").exists()


@pytest.mark.parametrize("status", ["teleported", "PRINTED!", "cancelled"])
def test_an_unknown_status_is_refused(postal_client, order, status):
    before = state(order)
    response = post(postal_client, order, status)
    assert response.status_code == 409
    assert response.json()["code"] == "DELIVERY_STATUS_NOT_ALLOWED"
    assert status.lower() in response.json()["messages"]["en"]
    assert state(order) == before


def test_status_is_read_case_insensitively(postal_client, order):
    assert post(postal_client, order, " Printed ").status_code == 201


@pytest.mark.parametrize("tracking", ["WSL9999999999", "WSL0", "ABC", "8000000001"])
def test_an_unknown_tracking_number_is_404(postal_client, order, tracking):
    before = state(order)
    response = post(postal_client, tracking)
    assert response.status_code == 404
    assert response.json()["code"] == "DELIVERY_NOT_FOUND"
    assert state(order) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"event_id", "status"}),
        ({"event_id": "", "status": ""}, {"event_id", "status"}),
        ({"event_id": "e", "status": "printed", "occurred_at": "yesterday"}, {"occurred_at"}),
        ({"event_id": "x" * 61, "status": "printed"}, {"event_id"}),
        ({"event_id": "e", "status": "printed", "note": "n" * 201}, {"note"}),
    ],
)
def test_bad_input_is_a_validation_error(postal_client, order, body, fields):
    before = state(order)
    response = postal_client.post(url(order.tracking_number), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert set(response.json()["fields"]) == fields
    assert state(order) == before


def test_a_time_in_the_future_is_a_validation_error(postal_client, order):
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    response = post(postal_client, order, occurred_at=later)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"occurred_at"}


def test_not_json_is_refused(postal_client, order):
    before = state(order)
    response = postal_client.post(
        url(order.tracking_number), "status=printed", content_type="text/plain"
    )
    assert response.status_code == 415
    assert state(order) == before


@pytest.mark.parametrize(
    "kind", [IntegrationKind.BORDER, IntegrationKind.BANK, IntegrationKind.AGENCY]
)
def test_other_partners_credentials_are_forbidden(order, kind):
    before = state(order)
    response = post(credential_client(kind), order)
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
    assert state(order) == before


def test_no_credential_or_a_bad_or_revoked_one_is_unauthenticated(postal_client, order):
    before = state(order)
    assert post(APIClient(), order).status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer mqi_not-a-key")
    assert post(wrong, order).status_code == 401
    basic = APIClient()
    basic.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert post(basic, order).status_code == 401
    integration_credential_revoke(credential=postal_client.credential)
    revoked = post(postal_client, order)
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "CREDENTIAL_INVALID"
    assert state(order) == before


def test_an_establishment_session_is_not_a_credential(client, hr_officer, order):
    client.force_login(hr_officer)
    response = client.post(
        url(order.tracking_number),
        {"event_id": "e", "status": "printed"},
        content_type="application/json",
    )
    assert response.status_code == 401
    order.refresh_from_db()
    assert order.status == DeliveryStatus.REQUESTED


def test_two_postal_systems_have_their_own_event_ids(postal_client, order):
    other_post = credential_client(IntegrationKind.POSTAL, "Second carrier")
    assert post(postal_client, order, "printed", "e1").status_code == 201
    # Same id from another sender is another event, judged on its own (here: out of order).
    assert post(other_post, order, "printed", "e1").status_code == 409
    assert post(other_post, order, "shipped", "e1").status_code == 201


def test_get_is_not_allowed(postal_client, order):
    response = postal_client.get(url(order.tracking_number))
    assert response.status_code == 405
