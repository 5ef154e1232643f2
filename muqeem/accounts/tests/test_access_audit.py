"""Access-control refusals are in the tamper-evident audit log (ASVS 7.2.2): each refusal is exactly
one `ACCESS_DENIED` event with the user, URL name, method, reason code, request id and IP, never the
path or a key; the hash chain still verifies; a failure to record it never turns the refusal into a
500; the staff audit viewer names the event in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from muqeem.accounts.permissions import Permission
from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.api.services import api_key_create
from muqeem.audit.chain import audit_seal_run, audit_verify_run
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.oversight.labels import event_label
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"


def _client(user: Any) -> Client:
    client = Client(REMOTE_ADDR=IP)
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def _denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).order_by("pk"))


def _one_denial(response: Any, *, user: Any, reason: str, view: str, method: str) -> AuditEvent:
    (event,) = _denials()
    assert event.actor_user_id == (user.pk if user is not None else None)
    assert event.extra_data == {"reason": reason, "view": view, "method": method}
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == IP
    return event


@pytest.fixture
def api_key(establishment: Any) -> Any:
    cache.clear()  # the per-key rate limit lives in the cache
    main = UserFactory(establishment=establishment, is_main_user=True)
    yield api_key_create(actor=main, name="HR", permissions=[Permission.IQAMA_RENEWAL.value])
    cache.clear()


def _portal_refusal(kind: str, establishment: Any, resident: Any) -> tuple[Any, Any, str, str]:
    """(response, user, view, method) of one refusal of the given kind."""
    if kind == "service_permission":
        user = UserFactory(establishment=establishment, service_permissions=[])
        url = reverse("residents:file", args=[resident.iqama_number])
        return _client(user).get(url), user, "residents:file", "GET"
    if kind == "not_staff":
        user = UserFactory(establishment=establishment)
        return _client(user).get(reverse("authority:home")), user, "authority:home", "GET"
    if kind == "staff_role":
        user = UserFactory(establishment=None, is_staff=True, staff_role="auditor")
        url = reverse("authority:schedule_key", args=["renewal.iqama_fee_per_year"])
        response = _client(user).post(url, {"value": "700", "effective_from": "2099-01-01"})
        return response, user, "authority:schedule_key", "POST"
    user = UserFactory(establishment=None, is_staff=True, staff_role="operator")
    return _client(user).get(reverse("web:home")), user, "web:home", "GET"


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("service_permission", 403),
        ("not_staff", 404),
        ("staff_role", 403),
        ("not_establishment_user", 404),
    ],
)
def test_each_portal_refusal_is_one_audit_event(
    kind: str, status: int, establishment: Any, resident: Any
) -> None:
    response, user, view, method = _portal_refusal(kind, establishment, resident)
    assert response.status_code == status
    event = _one_denial(response, user=user, reason=kind, view=view, method=method)
    # The URL name is recorded, never the path with the resident's iqama number.
    assert resident.iqama_number not in str(event.extra_data)


def test_a_refused_api_call_is_one_audit_event_without_the_key(api_key: Any) -> None:
    key, secret = api_key
    client = APIClient(REMOTE_ADDR=IP)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get("/api/v1/residents/")
    assert response.status_code == 403
    event = _one_denial(
        response,
        user=key.service_user,
        reason="api_permission",
        view=response.wsgi_request.resolver_match.view_name,
        method="GET",
    )
    assert secret not in str(event.extra_data) and secret[:12] not in str(event.extra_data)


def test_an_api_call_with_an_unknown_key_is_one_audit_event_without_the_key() -> None:
    cache.clear()
    client = APIClient(REMOTE_ADDR=IP)
    client.credentials(HTTP_AUTHORIZATION="Bearer mqk_not-a-real-key")
    response = client.get("/api/v1/residents/")
    assert response.status_code == 401
    event = _one_denial(
        response,
        user=None,
        reason="api_credential",
        view=response.wsgi_request.resolver_match.view_name,
        method="GET",
    )
    assert "mqk_not-a-real-key" not in str(event.extra_data)


def test_an_allowed_request_records_no_refusal(hr_officer: Any) -> None:
    assert _client(hr_officer).get(reverse("web:home")).status_code == 200
    assert _denials() == []


def test_the_chain_seals_and_verifies_refusals(establishment: Any, resident: Any) -> None:
    for kind in ("service_permission", "not_staff", "staff_role", "not_establishment_user"):
        _portal_refusal(kind, establishment, resident)
    assert len(_denials()) == 4
    sealed = audit_seal_run(settle_seconds=0)
    assert sealed.pending == 0
    result = audit_verify_run()
    assert result.ok, result.broken
    assert result.links == AuditEvent.objects.count()


def test_a_failure_to_record_the_refusal_does_not_turn_it_into_a_500(
    monkeypatch: pytest.MonkeyPatch, establishment: Any, resident: Any, caplog: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr("muqeem.core.access_log.audit_record", broken)
    response, *_ = _portal_refusal("service_permission", establishment, resident)
    assert response.status_code == 403
    assert _denials() == []
    assert any("could not be recorded" in r.getMessage() for r in caplog.records)
    # The connection is still usable for the rest of the request and the next one.
    assert AuditEvent.objects.exists()


def test_the_staff_audit_viewer_names_the_refusal(establishment: Any, resident: Any) -> None:
    _portal_refusal("not_staff", establishment, resident)
    (event,) = _denials()
    auditor = UserFactory(establishment=None, is_staff=True, staff_role="auditor")
    client = _client(auditor)
    client.cookies["muqeem_language"] = "en"
    html = client.get(reverse("oversight:audit_event", args=[event.pk])).content.decode()
    assert "Access refused" in html and "ACCESS_DENIED" in html
    listing = client.get(
        reverse("oversight:audit"), {"event_type": int(AuditEventType.ACCESS_DENIED)}
    ).content.decode()
    assert f'href="{reverse("oversight:audit_event", args=[event.pk])}' in listing
    with translation.override("en"):
        assert event_label(AuditEventType.ACCESS_DENIED) == "Access refused"
