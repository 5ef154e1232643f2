"""Evidence for docs/security.md items no other test covered: authentication decisions are in the
audit log (ASVS 7.1.3, 7.2.1) without the secret typed, the CSRF protection of the portal's forms
(ASVS 4.2.2, 13.2.3), the session id kept out of URLs (3.1.1); and that every test the document
names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
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


def test_the_session_id_never_appears_in_a_url_or_a_page(
    client, hr_officer, django_capture_on_commit_callbacks
):
    """ASVS 3.1.1: the session id travels only in its cookie, through login, the security code and
    a service page (each step rotates it, so every id the session had is looked for)."""
    from muqeem.accounts.tests.test_security_code import _sent_code

    renew = reverse("iqama_renewal:renew")
    seen_ids: set[str] = set()
    responses = []

    def step(response):
        responses.append(response)
        if client.session.session_key:
            seen_ids.add(client.session.session_key)
        return response

    step(client.get(reverse("accounts:login")))
    with django_capture_on_commit_callbacks(execute=True):
        # Login, then the renewal page, which sends to the security code page (the code is sent).
        code_page = step(
            client.post(
                reverse("accounts:login"),
                {"username": hr_officer.username, "password": TEST_PASSWORD, "next": renew},
                follow=True,
            )
        )
    assert code_page.request["PATH_INFO"] == reverse("accounts:security_code")
    code = _sent_code(hr_officer.establishment.registered_mobile)
    opened = step(
        client.post(
            code_page.request["PATH_INFO"] + "?" + code_page.request["QUERY_STRING"],
            {"code": code, "action": "verify", "next": renew},
            follow=True,
        )
    )
    assert opened.status_code == 200 and opened.request["PATH_INFO"] == renew
    assert len(seen_ids) >= 2  # rotated at login and again after the code
    urls = [url for r in responses for url, _status in getattr(r, "redirect_chain", [])]
    urls += [f"{r.request['PATH_INFO']}?{r.request.get('QUERY_STRING', '')}" for r in responses]
    for session_id in seen_ids:
        assert not [u for u in urls if session_id in u]
        assert not [r for r in responses if session_id.encode() in r.content]
    # The cookie is the only carrier: HttpOnly, and no URL-based session is configured.
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value in seen_ids and cookie["httponly"]
    assert settings.SESSION_ENGINE.startswith("django.contrib.sessions.backends.")


DOCUMENT = Path(settings.BASE_DIR) / "docs" / "security.md"
# `path::test`, `…/file.py::test` (a file of muqeem/reliability/tests/), `::test` (same file as the
# previous reference in the row) or a bare test file.
PROOF = re.compile(r"`((?:…/|muqeem/|tests/)[\w/]*test_\w+\.py)?(?:::(\w+))?`")


def _proofs() -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for line in DOCUMENT.read_text(encoding="utf-8").splitlines():
        current: str | None = None
        for path, name in PROOF.findall(line):
            if path:
                current = path.replace("…/", "muqeem/reliability/tests/")
            if current is None or not (path or name):
                continue
            found.append((current, name or None))
    return found


def test_every_proof_named_in_the_security_document_exists():
    """docs/security.md points each ASVS item to its test; a renamed or deleted test is caught here."""
    proofs = _proofs()
    assert len(proofs) > 50
    missing = []
    for path, name in proofs:
        file = Path(settings.BASE_DIR) / path
        if not file.is_file():
            missing.append(path)
        elif name is not None and not re.search(
            rf"^\s*def {name}\(", file.read_text(encoding="utf-8"), re.MULTILINE
        ):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"


class _Boom(Exception):
    pass


def _failing_view(request):
    raise _Boom("secret-detail-in-the-exception")


def _urlpatterns():
    from django.urls import path

    from config.urls import urlpatterns as portal

    return [path("__boom__/", _failing_view), *portal]


urlpatterns = _urlpatterns()


@pytest.mark.urls(__name__)
def test_an_unexpected_portal_failure_is_a_generic_500_with_a_request_id(caplog):
    """ASVS 7.4.1: the portal's 500 page says nothing of the failure, the response carries its
    request id (`X-Request-ID`) and the trace goes to the server log only."""
    client = Client(raise_request_exception=False)
    response = client.get("/__boom__/", HTTP_X_REQUEST_ID="support-ticket-0001")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    for leak in ("Traceback", "secret-detail-in-the-exception", "_Boom", 'File "'):
        assert leak not in body
    assert response["X-Request-ID"] == "support-ticket-0001"
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and logged[0].exc_info[0] is _Boom
