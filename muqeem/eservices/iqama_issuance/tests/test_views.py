from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.core.ids import iqama_number_problem
from muqeem.delivery.models import DeliveryOrder
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

BORDER = "3123456780"


@pytest.fixture
def officer_client(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def arrival_in(establishment, border=BORDER, **fields):
    return ResidentFactory(
        establishment=establishment,
        iqama_number=None,
        iqama_issue_date=None,
        iqama_expiry_date=None,
        border_number=border,
        arrival_date=timezone.localdate() - timedelta(days=10),
        **fields,
    )


@pytest.fixture
def arrival(establishment):
    return arrival_in(establishment)


def _verify(client, border):
    return client.post(reverse("iqama_issuance:issue"), {"border_number": border})


def _token(html: bytes) -> str:
    match = re.search(rb'name="token" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1).decode()


def test_the_form_page_asks_for_the_border_number(officer_client):
    page = officer_client.get(reverse("iqama_issuance:issue"))
    assert page.status_code == 200
    assert 'name="border_number"' in page.content.decode()


def test_verify_shows_details_and_fee_lines_then_issue_shows_the_new_iqama(officer_client, arrival):
    page = _verify(officer_client, arrival.border_number)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="verified"' in html
    assert arrival.passport_number in html
    for code in ("iqama_fee", "work_permit_fee", "expat_levy", "wasel_delivery_fee"):
        assert f'data-fee="{code}"' in html
    assert 'data-fee="iqama_issuance_late_fine"' not in html
    assert 'id="confirm-dialog"' in html

    response = officer_client.post(
        reverse("iqama_issuance:confirm"), {"token": _token(page.content)}
    )
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert response.url == reverse("iqama_issuance:result", args=[request.number])

    result = officer_client.get(response.url)
    assert result.status_code == 200
    html = result.content.decode()
    arrival.refresh_from_db()
    assert iqama_number_problem(arrival.iqama_number) is None
    assert f'<bdi dir="ltr">{arrival.iqama_number}</bdi>' in html
    assert DeliveryOrder.objects.get().tracking_number in html
    assert request.number in html
    assert 'id="print-button"' in html
    assert 'id="r-expiry"' in html and "<bdi" in html


def test_a_late_arrival_sees_the_fine_line(officer_client, establishment):
    late = arrival_in(establishment, border="3000000099")
    late.arrival_date = timezone.localdate() - timedelta(days=120)
    late.save()
    html = _verify(officer_client, late.border_number).content.decode()
    assert 'data-fee="iqama_issuance_late_fine"' in html
    assert 'id="d-late"' in html


def test_resubmitting_the_confirmation_issues_once(officer_client, arrival):
    token = _token(_verify(officer_client, arrival.border_number).content)
    first = officer_client.post(reverse("iqama_issuance:confirm"), {"token": token})
    second = officer_client.post(reverse("iqama_issuance:confirm"), {"token": token})
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert ServiceRequest.objects.count() == 1


def test_a_second_tab_confirming_an_old_quote_is_refused(officer_client, arrival):
    tab_1 = _token(_verify(officer_client, arrival.border_number).content)
    tab_2 = _token(_verify(officer_client, arrival.border_number).content)
    officer_client.post(reverse("iqama_issuance:confirm"), {"token": tab_1})
    response = officer_client.post(reverse("iqama_issuance:confirm"), {"token": tab_2})
    assert response.status_code == 409
    assert 'data-code="QUOTE_CHANGED"' in response.content.decode()
    assert ServiceRequest.objects.count() == 1


def test_tampered_token_is_refused(officer_client, arrival):
    token = _token(_verify(officer_client, arrival.border_number).content)
    response = officer_client.post(reverse("iqama_issuance:confirm"), {"token": token[:-2] + "xx"})
    assert response.status_code == 409
    assert ServiceRequest.objects.count() == 0


def test_blocked_arrival_lists_every_reason_and_has_no_issue_button(officer_client, establishment):
    blocked = arrival_in(establishment, medical_exam_passed=False, fingerprint_registered=False)
    html = _verify(officer_client, blocked.border_number).content.decode()
    assert 'id="not-eligible"' in html
    assert 'data-code="MEDICAL_EXAM_NOT_PASSED"' in html
    assert 'data-code="FINGERPRINT_NOT_REGISTERED"' in html
    assert 'id="confirm-form"' not in html
    assert 'name="token"' not in html


def test_invalid_border_number_shows_its_code(officer_client):
    response = _verify(officer_client, "2123")
    assert response.status_code == 400
    assert 'data-code="BORDER_NUMBER_INVALID"' in response.content.decode()


def test_another_establishments_arrival_and_result_are_not_found(
    officer_client, other_officer, other_establishment
):
    from muqeem.eservices.iqama_issuance.services import iqama_issue

    foreign = arrival_in(other_establishment, border="4000000001")
    response = _verify(officer_client, foreign.border_number)
    assert response.status_code == 404
    assert 'data-code="RESIDENT_NOT_FOUND"' in response.content.decode()

    result = iqama_issue(
        actor=other_officer, border_number=foreign.border_number, idempotency_key="x"
    )
    page = officer_client.get(reverse("iqama_issuance:result", args=[result.request.number]))
    assert page.status_code == 404


def test_pages_need_the_security_code(client, hr_officer):
    client.force_login(hr_officer)
    for url in (reverse("iqama_issuance:issue"), reverse("iqama_issuance:result", args=["1"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:security_code"))


@pytest.mark.parametrize("language", ["ar", "en"])
def test_pages_render_in_both_languages(officer_client, arrival, language):
    officer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = _verify(officer_client, arrival.border_number)
    assert f'lang="{language}"' in page.content.decode()
    response = officer_client.post(
        reverse("iqama_issuance:confirm"), {"token": _token(page.content)}
    )
    result = officer_client.get(response.url)
    html = result.content.decode()
    assert result.status_code == 200
    assert f'dir="{"rtl" if language == "ar" else "ltr"}"' in html
