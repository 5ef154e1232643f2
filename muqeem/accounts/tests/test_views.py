from __future__ import annotations

import pytest
from django.urls import reverse

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.audit.models import AuditEvent, AuditEventType
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_arabic_rtl_by_default(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b'lang="ar" dir="rtl"' in response.content


def test_language_switch_persists_in_a_cookie(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get(reverse("accounts:login"))
    assert b'lang="en" dir="ltr"' in page.content


def test_login_then_logout(client, hr_officer):
    response = client.post(
        reverse("accounts:login"), {"username": hr_officer.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("web:home")).status_code == 302
    assert AuditEvent.objects.filter(event_type=AuditEventType.LOGIN).count() == 1
    assert AuditEvent.objects.filter(event_type=AuditEventType.LOGOUT).count() == 1


def test_logout_by_get_is_refused(client, hr_officer):
    client.force_login(hr_officer)
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_five_failed_logins_lock_the_account_even_with_the_right_password(client, hr_officer):
    for _ in range(5):
        client.post(
            reverse("accounts:login"),
            {"username": hr_officer.username, "password": "wrong-password"},
        )
    response = client.post(
        reverse("accounts:login"), {"username": hr_officer.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert b'id="locked-out"' in response.content
    assert "_auth_user_id" not in client.session


def test_eservices_ask_for_the_security_code_first(client, hr_officer):
    client.force_login(hr_officer)
    response = client.get(reverse("iqama_renewal:renew"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:security_code"))


def test_security_code_page_sends_a_code_once_and_a_correct_code_opens_the_eservices(
    client, hr_officer, django_capture_on_commit_callbacks
):
    from muqeem.accounts.tests.test_security_code import _sent_code

    client.force_login(hr_officer)
    url = reverse("accounts:security_code") + "?next=" + reverse("iqama_renewal:renew")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 200
    client.get(url)  # a reload does not send another code
    assert hr_officer.security_codes.count() == 1
    code = _sent_code(hr_officer.establishment.registered_mobile)
    old_session = client.session.session_key
    response = client.post(
        url, {"code": code, "action": "verify", "next": reverse("iqama_renewal:renew")}
    )
    assert response.status_code == 302
    assert response.url == reverse("iqama_renewal:renew")
    assert client.session.get(SESSION_FLAG)
    assert client.session.session_key != old_session  # rotated after the second factor
    assert client.get(reverse("iqama_renewal:renew")).status_code == 200


def test_wrong_code_shows_a_bilingual_error(client, hr_officer):
    client.force_login(hr_officer)
    url = reverse("accounts:security_code")
    client.get(url)
    response = client.post(url, {"code": "12", "action": "verify"})
    assert response.status_code == 400
    assert b'data-code="SECURITY_CODE_INVALID"' in response.content


def test_open_redirect_in_next_is_ignored(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "yes"
    session.save()
    response = client.get(reverse("accounts:security_code") + "?next=https://evil.example/")
    assert response.url == reverse("web:home")


def test_staff_without_establishment_get_404_in_the_portal(client, django_user_model):
    staff = django_user_model.objects.create_user("staff1", password=TEST_PASSWORD, is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("web:home")).status_code == 404


def test_an_english_browser_still_gets_arabic_until_the_switch_is_used(client):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert b'lang="ar" dir="rtl"' in page.content
    client.cookies["muqeem_language"] = "en"
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ar")
    assert b'lang="en" dir="ltr"' in page.content
