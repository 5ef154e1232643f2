"""No cross-origin reads (ASVS 14.5.3): the portal and the API send no CORS headers at all, so a
page on another site cannot read a response with the user's cookies or a key, whatever `Origin`
it claims."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from muqeem.accounts.permissions import Permission
from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.api.services import api_key_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORIGINS = ["https://evil.example", "null", "http://127.0.0.1:8000"]


def _no_cors(response: Any) -> None:
    for header in response.headers:
        assert not header.lower().startswith("access-control-"), header


@pytest.mark.parametrize("origin", ORIGINS)
def test_portal_pages_answer_another_origin_without_cors_headers(
    origin: str, hr_officer: Any
) -> None:
    client = Client()
    _no_cors(client.get(reverse("accounts:login"), HTTP_ORIGIN=origin))
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    page = client.get(reverse("web:home"), HTTP_ORIGIN=origin)
    assert page.status_code == 200
    _no_cors(page)
    # A preflight is not answered with a grant either.
    preflight = client.options(
        reverse("web:home"),
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    _no_cors(preflight)


@pytest.mark.parametrize("origin", ORIGINS)
def test_the_api_answers_another_origin_without_cors_headers(
    origin: str, establishment: Any
) -> None:
    cache.clear()  # the per-key rate limit lives in the cache
    main = UserFactory(establishment=establishment, is_main_user=True)
    _key, secret = api_key_create(
        actor=main, name="HR", permissions=[Permission.VIEW_RESIDENTS.value]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get("/api/v1/residents/", HTTP_ORIGIN=origin)
    assert response.status_code == 200
    _no_cors(response)
    preflight = APIClient().options(
        "/api/v1/residents/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    _no_cors(preflight)
    cache.clear()
