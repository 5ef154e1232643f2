from __future__ import annotations

import re

import pytest
from django.urls import reverse

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def _verify(client, iqama, months=12):
    return client.post(
        reverse("iqama_renewal:renew"), {"iqama_number": iqama, "period_months": months}
    )


def _token(html: bytes) -> str:
    match = re.search(rb'name="token" value="([^"]+)"', html)
    assert match
    return match.group(1).decode()


def test_verify_shows_details_and_fee_lines_then_renew_shows_the_result(
    officer_client, resident, establishment
):
    page = _verify(officer_client, resident.iqama_number)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="verified"' in html
    assert resident.passport_number in html
    for code in ("iqama_fee", "work_permit_fee", "expat_levy"):
        assert f'data-fee="{code}"' in html
    response = officer_client.post(
        reverse("iqama_renewal:confirm"), {"token": _token(page.content)}
    )
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert response.url == reverse("iqama_renewal:result", args=[request.number])
    result = officer_client.get(response.url)
    assert result.status_code == 200
    assert request.number in result.content.decode()
    assert 'id="print-button"' in result.content.decode()


def test_resubmitting_the_confirmation_renews_once(officer_client, resident):
    token = _token(_verify(officer_client, resident.iqama_number).content)
    first = officer_client.post(reverse("iqama_renewal:confirm"), {"token": token})
    second = officer_client.post(reverse("iqama_renewal:confirm"), {"token": token})
    assert first.url == second.url
    assert ServiceRequest.objects.count() == 1


def test_tampered_token_is_refused(officer_client, resident):
    token = _token(_verify(officer_client, resident.iqama_number).content)
    response = officer_client.post(reverse("iqama_renewal:confirm"), {"token": token[:-2] + "xx"})
    assert response.status_code == 409
    assert ServiceRequest.objects.count() == 0


def test_blocked_resident_lists_all_reasons_and_has_no_renew_button(officer_client, establishment):
    blocked = ResidentFactory(
        establishment=establishment,
        unpaid_traffic_fines_halalas=20000,
        fingerprint_registered=False,
    )
    html = _verify(officer_client, blocked.iqama_number).content.decode()
    assert 'id="not-eligible"' in html
    assert 'data-code="UNPAID_TRAFFIC_FINES"' in html
    assert 'data-code="FINGERPRINT_NOT_REGISTERED"' in html
    assert 'id="renew-button"' not in html


def test_foreign_and_missing_iqama_numbers_look_identical(officer_client, other_resident):
    foreign = _verify(officer_client, other_resident.iqama_number)
    missing = _verify(officer_client, "2000000006")
    assert foreign.status_code == missing.status_code == 404

    def box(resp):
        return re.search(
            r'<div class="alert alert-danger".*?</div>\s*</div>', resp.content.decode(), re.S
        ).group(0)

    assert box(foreign) == box(missing)


def test_invalid_iqama_number_is_a_clear_error(officer_client):
    response = _verify(officer_client, "12345")
    assert response.status_code == 400
    assert b'data-code="IQAMA_NUMBER_INVALID"' in response.content


def test_result_page_of_another_establishment_is_404(
    officer_client, other_establishment, establishment
):
    from muqeem.eservices.iqama_renewal.services import iqama_renew

    other_officer = UserFactory(establishment=other_establishment)
    foreign_resident = ResidentFactory(establishment=other_establishment)
    result = iqama_renew(
        actor=other_officer,
        iqama_number=foreign_resident.iqama_number,
        period_months=3,
        idempotency_key="x",
    )
    assert (
        officer_client.get(
            reverse("iqama_renewal:result", args=[result.request.number])
        ).status_code
        == 404
    )
    assert (
        officer_client.get(reverse("iqama_renewal:result", args=["999999999999"])).status_code
        == 404
    )


def test_renew_page_query_count_is_constant(
    officer_client, resident, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        _verify(officer_client, resident.iqama_number)
