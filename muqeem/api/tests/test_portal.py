"""The main user's pages: list, create (the key shown once), revoke."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from muqeem.api.models import ApiKey
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db]
BASE = "/settings/api-keys/"


@pytest.fixture
def portal(main_user):
    client = Client()
    client.force_login(main_user)
    return client


def test_create_shows_the_key_once_and_it_works(portal, resident):
    form = portal.get(BASE + "new/")
    assert form.status_code == 200
    assert b'value="user_management"' not in form.content
    response = portal.post(BASE + "new/", {"name": "ZenHR", "permissions": ["view_residents"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = re.search(r"mqk_[A-Za-z0-9_-]{43}", response.content.decode()).group(0)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/residents/").status_code == 200
    assert api.get("/api/v1/visas/5000000001/").status_code == 403

    listing = portal.get(BASE).content.decode()
    key = ApiKey.objects.get()
    assert key.prefix in listing and secret not in listing


def test_create_needs_a_name_and_a_permission(portal):
    response = portal.post(BASE + "new/", {"name": "", "permissions": []})
    assert response.status_code == 200
    assert not ApiKey.objects.exists()


def test_revoke(portal, make_client):
    client = make_client()
    response = portal.post(f"{BASE}{client.api_key.pk}/revoke/")
    assert response.status_code == 302
    client.api_key.refresh_from_db()
    assert client.api_key.revoked_at is not None
    assert client.get("/api/v1/residents/").status_code == 401


def test_another_establishments_key_cannot_be_revoked(other_main_user, make_client):
    client = make_client()
    other = Client()
    other.force_login(other_main_user)
    assert other.post(f"{BASE}{client.api_key.pk}/revoke/").status_code == 404
    assert other.get(BASE).content.decode().count(client.api_key.prefix) == 0


def test_a_sub_user_without_users_management_is_refused(establishment):
    clerk = UserFactory(establishment=establishment, service_permissions=["view_residents"])
    client = Client()
    client.force_login(clerk)
    assert client.get(BASE).status_code == 403


def test_anonymous_is_sent_to_login(db):
    response = Client().get(BASE)
    assert response.status_code == 302 and "login" in response["Location"]
