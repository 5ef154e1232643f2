"""Evidence for docs/security.md items no other test covered: authentication decisions are in the
audit log (ASVS 7.1.3, 7.2.1) without the secret typed, and the CSRF protection of the portal's forms
(ASVS 4.2.2, 13.2.3)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from muqeem.audit.models import AuditEvent, AuditEventType
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_failure_and_logout_are_audited_without_the_secret_typed(client, hr_officer):
    client.post(
        reverse("accounts:login"),
        {"username": hr_officer.username, "password": "Secret-typed-wrong-1"},
        REMOTE_ADDR="203.0.113.7",
    )
    failed = AuditEvent.objects.get(event_type=AuditEventType.LOGIN_FAILED)
    assert failed.ip == "203.0.113.7" and failed.actor_user is None
    assert "Secret-typed-wrong-1" not in str(failed.extra_data)
    assert hr_officer.username not in str(failed.extra_data)

    client.post(
        reverse("accounts:login"), {"username": hr_officer.username, "password": TEST_PASSWORD}
    )
    login = AuditEvent.objects.get(event_type=AuditEventType.LOGIN)
    assert login.actor_user_id == hr_officer.pk
    assert login.actor_establishment_id == hr_officer.establishment_id

    client.post(reverse("accounts:logout"))
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.LOGOUT, actor_user=hr_officer
    ).exists()


def test_the_login_form_refuses_a_post_without_the_csrf_token(hr_officer):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("accounts:login"), {"username": hr_officer.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session
    assert not AuditEvent.objects.filter(event_type=AuditEventType.LOGIN).exists()


def test_logging_in_issues_a_new_session_key(client, hr_officer):
    client.get(reverse("accounts:login"))
    session = client.session
    session["probe"] = "before login"
    session.save()
    before = session.session_key
    client.post(
        reverse("accounts:login"), {"username": hr_officer.username, "password": TEST_PASSWORD}
    )
    assert client.session.session_key != before
    assert client.session.get("_auth_user_id") == str(hr_officer.pk)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_text_a_user_entered_is_escaped_in_pages(hr_officer, establishment, language):
    from muqeem.reports.tests.builders import logged_in
    from tests.factories import ResidentFactory

    payload = '<script>alert("x")</script>'
    resident = ResidentFactory(establishment=establishment, name_en=payload, name_ar=payload)
    client = logged_in(hr_officer)
    client.cookies["muqeem_language"] = language
    for url in (
        reverse("residents:file", args=[resident.iqama_number]),
        reverse("residents:list"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert payload not in body
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
