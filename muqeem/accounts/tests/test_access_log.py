"""Access-control failures are logged (ASVS 7.2.2): one `muqeem.access` line per refusal, with the
user id, the URL name, a reason code and the request id, and no personal data."""

from __future__ import annotations

import logging

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


def _client(user, *, code_entered: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if code_entered:
        session = client.session
        session[SESSION_FLAG] = "verified"
        session.save()
    return client


def _denials(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "muqeem.access"]


def _assert_one_denial(caplog, response, *, reason: str, user, view: str) -> None:
    (record,) = _denials(caplog)
    assert record.levelno == logging.WARNING
    assert (record.reason, record.user_id, record.view) == (reason, user.pk, view)  # type: ignore[attr-defined]
    assert record.request_id == response["X-Request-ID"]  # type: ignore[attr-defined]
    line = record.getMessage()
    assert user.username not in line


def test_a_sub_user_refused_a_service_is_logged(caplog, establishment, resident):
    user = UserFactory(establishment=establishment, service_permissions=[])
    with caplog.at_level(logging.INFO, logger="muqeem.access"):
        response = _client(user).get(reverse("residents:file", args=[resident.iqama_number]))
    assert response.status_code == 403
    _assert_one_denial(
        caplog, response, reason="service_permission", user=user, view="residents:file"
    )
    # The URL name is logged, never the path with the resident's iqama number.
    assert resident.iqama_number not in _denials(caplog)[0].getMessage()


def test_an_establishment_user_in_the_staff_console_is_logged(caplog, hr_officer):
    with caplog.at_level(logging.INFO, logger="muqeem.access"):
        response = _client(hr_officer).get(reverse("authority:home"))
    assert response.status_code == 404
    _assert_one_denial(caplog, response, reason="not_staff", user=hr_officer, view="authority:home")


def test_a_staff_role_refused_a_change_is_logged(caplog):
    auditor = UserFactory(establishment=None, is_staff=True, staff_role="auditor")
    path = reverse("authority:schedule_key", args=["renewal.iqama_fee_per_year"])
    client = _client(auditor)
    with caplog.at_level(logging.INFO, logger="muqeem.access"):
        assert client.get(path).status_code == 200  # reading is allowed and not logged
        assert not _denials(caplog)
        response = client.post(path, {"value": "700", "effective_from": "2099-01-01"})
    assert response.status_code == 403
    _assert_one_denial(
        caplog, response, reason="staff_role", user=auditor, view="authority:schedule_key"
    )


def test_staff_in_the_establishment_portal_are_logged(caplog):
    staff = UserFactory(establishment=None, is_staff=True, staff_role="operator")
    with caplog.at_level(logging.INFO, logger="muqeem.access"):
        response = _client(staff).get(reverse("web:home"))
    assert response.status_code == 404
    _assert_one_denial(
        caplog, response, reason="not_establishment_user", user=staff, view="web:home"
    )


def test_refused_api_calls_are_logged_without_the_key(caplog, establishment):
    cache.clear()  # the per-key rate limit lives in the cache
    main = UserFactory(establishment=establishment, is_main_user=True)
    key, secret = api_key_create(
        actor=main, name="HR", permissions=[Permission.IQAMA_RENEWAL.value]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    with caplog.at_level(logging.INFO, logger="muqeem.access"):
        response = client.get("/api/v1/residents/")
    assert response.status_code == 403
    (record,) = _denials(caplog)
    assert record.reason == "api_permission"  # type: ignore[attr-defined]
    assert record.user_id == key.service_user_id  # type: ignore[attr-defined]
    assert record.request_id == response["X-Request-ID"]  # type: ignore[attr-defined]
    assert secret not in record.getMessage()

    caplog.clear()
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Bearer mqk_not-a-real-key")
    with caplog.at_level(logging.INFO, logger="muqeem.access"):
        response = stranger.get("/api/v1/residents/")
    assert response.status_code == 401
    (record,) = _denials(caplog)
    assert record.reason == "api_credential" and record.user_id is None  # type: ignore[attr-defined]
    assert "mqk_not-a-real-key" not in record.getMessage()
    cache.clear()


def test_an_allowed_request_logs_no_denial(caplog, hr_officer):
    with caplog.at_level(logging.INFO, logger="muqeem.access"):
        assert _client(hr_officer).get(reverse("web:home")).status_code == 200
    assert not _denials(caplog)
