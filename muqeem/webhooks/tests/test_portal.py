"""The main user's pages: endpoints, the secret shown once, the delivery log, redeliver; another
establishment's endpoints and deliveries are 404; nobody but the main user gets in."""

from __future__ import annotations

import pytest
from django.test import Client

from muqeem.webhooks.models import WebhookDelivery, WebhookEndpoint
from muqeem.webhooks.services import webhook_event_emit
from muqeem.webhooks.tests.conftest import Receiver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BASE = "/settings/webhooks/"


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def portal(main_user):
    return _login(main_user)


def test_create_shows_the_secret_once(portal, receiver):
    assert portal.get(BASE + "new/").status_code == 200
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    response = portal.post(BASE + "new/", {"url": url, "event_types": ["visa.used"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert endpoint.event_types == ["visa.used"]
    listing = portal.get(BASE).content.decode()
    assert url in listing and endpoint.secret not in listing
    assert endpoint.secret not in portal.get(f"{BASE}{endpoint.pk}/").content.decode()


def test_create_refuses_plain_http_and_no_events(portal):
    response = portal.post(BASE + "new/", {"url": "http://hr.example.com/", "event_types": []})
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()
    response = portal.post(
        BASE + "new/", {"url": "http://hr.example.com/", "event_types": ["visa.used"]}
    )
    assert b"https://" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_delivery_log_shows_response_codes_and_redeliver_works(
    portal, main_user, establishment, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(main_user)
    Receiver.statuses = [500, 200]
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_event_emit(
            establishment_id=establishment.pk, event_type="visa.used", data={"v": 1}
        )
    page = portal.get(f"{BASE}{endpoint.pk}/").content.decode()
    assert "500" in page and f'id="redeliver-{delivery.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(f"{BASE}deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert again.last_response_code == 200 and again.event_id == delivery.event_id


def test_disable_and_enable(portal, main_user, make_endpoint):
    endpoint, _ = make_endpoint(main_user)
    assert portal.post(f"{BASE}{endpoint.pk}/active/", {"active": "0"}).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    portal.post(f"{BASE}{endpoint.pk}/active/", {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active


def test_another_establishments_endpoints_and_deliveries_are_404(
    other_main_user, main_user, establishment, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(main_user)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_event_emit(
            establishment_id=establishment.pk, event_type="visa.used", data={}
        )
    other = _login(other_main_user)
    assert other.get(f"{BASE}{endpoint.pk}/").status_code == 404
    assert other.post(f"{BASE}{endpoint.pk}/active/", {"active": "0"}).status_code == 404
    assert other.post(f"{BASE}deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert other.get(f"{BASE}999999/").status_code == 404
    assert endpoint.url not in other.get(BASE).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert WebhookDelivery.objects.count() == 1


def test_only_the_main_user(establishment, main_user, make_endpoint):
    endpoint, _ = make_endpoint(main_user)
    sub_user = UserFactory(establishment=establishment, is_main_user=False)
    managing_sub_user = UserFactory(
        establishment=establishment, is_main_user=False, service_permissions=["user_management"]
    )
    for user in (sub_user, managing_sub_user):
        client = _login(user)
        for path in (BASE, BASE + "new/", f"{BASE}{endpoint.pk}/"):
            assert client.get(path).status_code in (403, 404), (user, path)
    assert Client().get(BASE).status_code == 302  # to the login page
