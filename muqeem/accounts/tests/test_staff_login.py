"""The staff console and /admin/ need a second factor (ASVS 4.3.1): for staff and administrators the
security code is the second step of the login itself, so a password alone never signs them in."""

from __future__ import annotations

import itertools
import time

import pytest
from django.test import Client
from django.urls import reverse

from muqeem.accounts.models import SecurityCode, SecurityCodePurpose
from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.accounts.tests.test_security_code import _sent_code
from muqeem.accounts.views import PENDING_LOGIN, PENDING_LOGIN_SECONDS
from muqeem.audit.models import AuditEvent, AuditEventType
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

_mobiles = itertools.count(55_000_000)


def _staff(**extra):
    fields = {"mobile": f"9665{next(_mobiles):08d}", "staff_role": "operator", **extra}
    return UserFactory(establishment=None, is_staff=True, **fields)


def _password(client: Client, user, next_url: str = "") -> str:
    data = {"username": user.username, "password": TEST_PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("accounts:login"), data)
    assert response.status_code == 302
    return response.url


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_staff_password_alone_does_not_sign_in_and_the_code_sent_to_the_staff_mobile_does(
    client, django_capture_on_commit_callbacks
):
    staff = _staff()
    code_page = _password(client, staff)
    assert code_page.startswith(reverse("accounts:security_code"))
    assert not _signed_in(client)
    # The console is still closed: the visitor is not signed in.
    console = client.get(reverse("authority:home"))
    assert console.status_code == 302 and console.url.startswith(reverse("accounts:login"))

    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(code_page)
    assert page.status_code == 200
    assert b'id="staff-login-code"' in page.content
    record = SecurityCode.objects.get(user=staff)
    assert record.purpose == SecurityCodePurpose.LOGIN and record.sent_to == staff.mobile
    before = client.session.session_key

    response = client.post(code_page, {"code": _sent_code(staff.mobile), "action": "verify"})
    assert response.status_code == 302 and response.url == reverse("authority:home")
    assert client.session.get("_auth_user_id") == str(staff.pk)
    assert client.session.get(SESSION_FLAG)
    assert PENDING_LOGIN not in client.session
    assert client.session.session_key != before
    assert client.get(reverse("authority:home")).status_code == 200
    assert AuditEvent.objects.filter(event_type=AuditEventType.LOGIN, actor_user=staff).count() == 1


def test_the_django_admin_opens_only_after_the_security_code(
    client, django_capture_on_commit_callbacks
):
    admin_user = _staff(is_superuser=True, staff_role="")
    admin_index = reverse("admin:index")
    # /admin/ sends to its login, which is the portal's login page (no password-only form).
    response = client.get(admin_index, follow=True)
    login_url, _status = response.redirect_chain[-1]
    assert login_url.startswith(reverse("accounts:login"))
    assert "next=/admin/" in login_url

    code_page = _password(client, admin_user, next_url=admin_index)
    assert not _signed_in(client)
    assert client.get(admin_index).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.get(code_page)
    response = client.post(
        code_page,
        {"code": _sent_code(admin_user.mobile), "action": "verify", "next": admin_index},
    )
    assert response.url == admin_index
    assert client.get(admin_index).status_code == 200


def test_the_admin_login_form_cannot_sign_in_with_a_password(client):
    admin_user = _staff(is_superuser=True)
    response = client.post(
        reverse("admin:login"), {"username": admin_user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not _signed_in(client)
    assert client.get(reverse("admin:index")).status_code == 302


def test_wrong_codes_keep_the_staff_member_signed_out_and_burn_the_code(
    client, django_capture_on_commit_callbacks
):
    staff = _staff()
    code_page = _password(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(code_page)
    right = _sent_code(staff.mobile)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = client.post(code_page, {"code": wrong, "action": "verify"})
        assert response.status_code in {400, 429}
    assert b'data-code="SECURITY_CODE_ATTEMPTS_EXCEEDED"' in response.content
    response = client.post(code_page, {"code": right, "action": "verify"})
    assert response.status_code == 400  # burned: the right code no longer works
    assert not _signed_in(client)
    assert client.get(reverse("authority:home")).status_code == 302


def test_a_password_entered_too_long_ago_must_be_entered_again(client):
    staff = _staff()
    code_page = _password(client, staff)
    session = client.session
    session[PENDING_LOGIN] = {
        **session[PENDING_LOGIN],
        "at": int(time.time()) - PENDING_LOGIN_SECONDS - 1,
    }
    session.save()
    response = client.get(code_page)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not SecurityCode.objects.filter(user=staff).exists()


def test_a_code_sent_to_another_browser_does_not_finish_this_login(
    django_capture_on_commit_callbacks,
):
    staff = _staff()
    first, second = Client(), Client()
    code_page = _password(first, staff)
    _password(second, staff)
    with django_capture_on_commit_callbacks(execute=True):
        first.get(code_page)
    code = _sent_code(staff.mobile)
    response = second.post(code_page, {"code": code, "action": "verify"})
    assert response.status_code == 400
    assert not _signed_in(second)


def test_staff_without_a_mobile_are_told_and_stay_signed_out(client):
    staff = _staff(mobile="")
    code_page = _password(client, staff)
    response = client.get(code_page)
    assert response.status_code == 400
    assert b'data-code="STAFF_NO_MOBILE"' in response.content
    assert not _signed_in(client)


def test_establishment_officers_still_sign_in_with_the_password(client, hr_officer):
    response = client.post(
        reverse("accounts:login"), {"username": hr_officer.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("web:home")
    assert client.session.get("_auth_user_id") == str(hr_officer.pk)
    assert not client.session.get(SESSION_FLAG)  # the e-services still ask for the code
