from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.residents.models import PassportRecord
from muqeem.workflow.models import ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def _verify(client, iqama, number="n7654321", **fields):
    today = timezone.localdate()
    data = {
        "iqama_number": iqama,
        "passport_number": number,
        "issue_date": (today - timedelta(days=5)).isoformat(),
        "expiry_date": (today + timedelta(days=3650)).isoformat(),
    } | fields
    return client.post(reverse("passport_update:update"), data)


def _token(html: bytes) -> str:
    match = re.search(rb'name="token" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1).decode()


def test_the_form_page_asks_for_the_new_passport(officer_client):
    html = officer_client.get(reverse("passport_update:update")).content.decode()
    for name in ("iqama_number", "passport_number", "issue_date", "expiry_date"):
        assert f'name="{name}"' in html


def test_verify_then_confirm_updates_and_shows_the_result(officer_client, resident):
    old_number = resident.passport_number
    page = _verify(officer_client, resident.iqama_number)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="verified"' in html
    assert '<bdi dir="ltr">N7654321</bdi>' in html  # upper-cased before it is shown
    assert old_number in html
    assert 'id="d-no-visas"' in html

    response = officer_client.post(
        reverse("passport_update:confirm"), {"token": _token(page.content)}
    )
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert response.url == reverse("passport_update:result", args=[request.number])
    result = officer_client.get(response.url)
    html = result.content.decode()
    assert result.status_code == 200
    assert request.number in html
    assert "N7654321" in html and old_number in html
    assert 'id="print-button"' in html
    resident.refresh_from_db()
    assert resident.passport_number == "N7654321"
    assert PassportRecord.objects.get().passport_number == old_number


def test_resubmitting_the_confirmation_updates_once(officer_client, resident):
    token = _token(_verify(officer_client, resident.iqama_number).content)
    first = officer_client.post(reverse("passport_update:confirm"), {"token": token})
    second = officer_client.post(reverse("passport_update:confirm"), {"token": token})
    assert first.url == second.url
    assert ServiceRequest.objects.count() == 1


def test_tampered_token_is_refused(officer_client, resident):
    token = _token(_verify(officer_client, resident.iqama_number).content)
    response = officer_client.post(reverse("passport_update:confirm"), {"token": token[:-2] + "xx"})
    assert response.status_code == 409
    assert ServiceRequest.objects.count() == 0
    assert PassportRecord.objects.count() == 0


def test_bad_input_lists_every_reason_and_has_no_confirm_button(officer_client, resident):
    today = timezone.localdate()
    html = _verify(
        officer_client,
        resident.iqama_number,
        number="ab",
        issue_date=today.isoformat(),
        expiry_date=today.isoformat(),
    ).content.decode()
    assert 'id="not-eligible"' in html
    assert 'data-code="PASSPORT_NUMBER_INVALID"' in html
    assert 'data-code="PASSPORT_DATES_INVALID"' in html
    assert 'id="confirm-form"' not in html


def test_the_current_number_is_refused(officer_client, resident):
    html = _verify(officer_client, resident.iqama_number, number=resident.passport_number).content
    assert b'data-code="PASSPORT_NUMBER_UNCHANGED"' in html


def test_a_missing_date_is_a_form_error(officer_client, resident):
    page = _verify(officer_client, resident.iqama_number, expiry_date="")
    assert page.status_code == 200
    assert b"is-invalid" in page.content
    assert b'id="not-eligible"' not in page.content


def test_another_establishments_resident_and_result_are_not_found(
    officer_client, other_officer, other_resident
):
    from muqeem.eservices.passport_update.rules import NewPassport
    from muqeem.eservices.passport_update.services import passport_update

    response = _verify(officer_client, other_resident.iqama_number)
    assert response.status_code == 404
    assert b'data-code="RESIDENT_NOT_FOUND"' in response.content
    today = timezone.localdate()
    result = passport_update(
        actor=other_officer,
        iqama_number=other_resident.iqama_number,
        new=NewPassport("X1234567", today, today + timedelta(days=100)),
        idempotency_key="x",
    )
    page = officer_client.get(reverse("passport_update:result", args=[result.request.number]))
    assert page.status_code == 404


def test_pages_need_the_security_code(client, hr_officer):
    client.force_login(hr_officer)
    response = client.get(reverse("passport_update:update"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:security_code"))


@pytest.mark.parametrize("language", ["ar", "en"])
def test_pages_render_in_both_languages(officer_client, resident, language):
    officer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = _verify(officer_client, resident.iqama_number)
    assert f'lang="{language}"' in page.content.decode()
    response = officer_client.post(
        reverse("passport_update:confirm"), {"token": _token(page.content)}
    )
    result = officer_client.get(response.url)
    assert result.status_code == 200
    assert f'dir="{"rtl" if language == "ar" else "ltr"}"' in result.content.decode()
