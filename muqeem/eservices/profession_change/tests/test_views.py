"""The profession change pages through Django's test client: verify, confirm, result, history."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.eservices.profession_change.services import profession_change
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def _verify(client, iqama, profession):
    return client.post(
        reverse("profession_change:change"), {"iqama_number": iqama, "profession": profession}
    )


def _token(html: bytes) -> str:
    match = re.search(rb'name="token" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1).decode()


def _codes(html: bytes) -> list[str]:
    return [c.decode() for c in re.findall(rb'class="violation[^"]*" data-code="([A-Z_]+)"', html)]


def test_page_offers_the_active_professions_by_code(officer_client, worker, electrician, driver):
    driver.is_active = False
    driver.save()
    page = officer_client.get(reverse("profession_change:change"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="profession"' in html and "<select" in html
    assert f'<option value="{worker.code}"' in html
    assert f'<option value="{electrician.code}"' in html
    assert f'<option value="{driver.code}"' not in html
    assert 'data-filter-select="id_profession"' in html


def test_verify_confirm_and_result_with_history(officer_client, resident, establishment, driver):
    page = _verify(officer_client, resident.iqama_number, driver.code)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="verified"' in html
    assert 'id="d-current-profession" data-code="741101"' in html
    assert 'id="d-new-profession" data-code="832201"' in html
    assert 'data-fee="profession_change_fee"' in html
    assert 'id="free-correction"' not in html

    response = officer_client.post(
        reverse("profession_change:confirm"), {"token": _token(page.content)}
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("profession_change:result", args=[request.number])
    resident.refresh_from_db()
    assert resident.profession_id == driver.code

    result = officer_client.get(response.url).content.decode()
    assert f'<td id="r-number"><bdi dir="ltr">{request.number}</bdi></td>' in result
    assert 'id="r-old" data-code="741101"' in result
    assert 'id="r-new" data-code="832201"' in result
    assert 'data-halalas="200000"' in result
    assert "data-print" in result
    entries = re.findall(r'data-history-entry="\d+" data-old="(\d+)" data-new="(\d+)"', result)
    assert entries == [("741101", "832201")]


def test_free_correction_shows_the_note_and_a_zero_total(
    officer_client, establishment, worker, electrician
):
    resident = ResidentFactory(establishment=establishment, profession=worker)
    page = _verify(officer_client, resident.iqama_number, electrician.code)
    html = page.content.decode()
    assert 'id="verified"' in html
    assert 'id="free-correction"' in html
    assert re.search(r'id="fee-total"><bdi dir="ltr">0\.00</bdi>', html)
    response = officer_client.post(
        reverse("profession_change:confirm"), {"token": _token(page.content)}
    )
    result = officer_client.get(response.url).content.decode()
    assert 'id="r-correction"' in result
    assert 'data-halalas="0"' in result


def test_blockers_are_all_shown_and_no_confirm_form(
    officer_client, establishment, electrician, driver
):
    blocked = ResidentFactory(establishment=establishment, inside_kingdom=False)
    page = _verify(officer_client, blocked.iqama_number, electrician.code)
    assert page.status_code == 200
    assert _codes(page.content) == ["RESIDENT_OUTSIDE_KINGDOM", "PROFESSION_UNCHANGED"]
    assert b'name="token"' not in page.content
    unknown = _verify(officer_client, blocked.iqama_number, "999999")
    assert _codes(unknown.content) == ["RESIDENT_OUTSIDE_KINGDOM", "PROFESSION_NOT_FOUND"]


@pytest.mark.parametrize(
    ("iqama", "code", "status"),
    [("123", "IQAMA_NUMBER_INVALID", 400), ("2000000006", "RESIDENT_NOT_FOUND", 404)],
)
def test_bad_or_unknown_iqama_is_an_error_box(officer_client, driver, iqama, code, status):
    page = _verify(officer_client, iqama, driver.code)
    assert page.status_code == status
    assert b'id="error-box"' in page.content
    assert f'data-code="{code}"'.encode() in page.content


def test_another_establishments_resident_looks_missing(officer_client, other_resident, driver):
    foreign = _verify(officer_client, other_resident.iqama_number, driver.code)
    missing = _verify(officer_client, "2000000006", driver.code)
    assert foreign.status_code == missing.status_code == 404
    assert b'data-code="RESIDENT_NOT_FOUND"' in foreign.content
    assert other_resident.name_en.encode() not in foreign.content


def test_missing_profession_is_a_form_error(officer_client, resident):
    page = _verify(officer_client, resident.iqama_number, "")
    assert page.status_code == 200
    assert b"is-invalid" in page.content
    assert b'id="verified"' not in page.content


def test_double_submit_replays_and_a_tampered_token_is_refused(officer_client, resident, driver):
    page = _verify(officer_client, resident.iqama_number, driver.code)
    token = _token(page.content)
    first = officer_client.post(reverse("profession_change:confirm"), {"token": token})
    second = officer_client.post(reverse("profession_change:confirm"), {"token": token})
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert ServiceRequest.objects.count() == 1
    tampered = officer_client.post(reverse("profession_change:confirm"), {"token": token + "x"})
    assert tampered.status_code == 409
    assert b'data-code="QUOTE_CHANGED"' in tampered.content


def test_second_tab_is_stale(officer_client, resident, driver, worker):
    tab1 = _token(_verify(officer_client, resident.iqama_number, driver.code).content)
    tab2 = _token(_verify(officer_client, resident.iqama_number, worker.code).content)
    officer_client.post(reverse("profession_change:confirm"), {"token": tab1})
    stale = officer_client.post(reverse("profession_change:confirm"), {"token": tab2})
    assert stale.status_code == 409
    assert b'data-code="QUOTE_CHANGED"' in stale.content
    resident.refresh_from_db()
    assert resident.profession_id == driver.code


def test_result_of_another_establishment_is_404(
    officer_client, other_officer, other_resident, driver
):
    result = profession_change(
        actor=other_officer,
        iqama_number=other_resident.iqama_number,
        new_profession_code=driver.code,
        idempotency_key="other",
    )
    url = reverse("profession_change:result", args=[result.request.number])
    assert officer_client.get(url).status_code == 404
    assert (
        officer_client.get(reverse("profession_change:result", args=["1999999999"])).status_code
        == 404
    )


def test_pages_need_the_security_code(client, hr_officer):
    client.force_login(hr_officer)
    response = client.get(reverse("profession_change:change"))
    assert response.status_code == 302
    assert reverse("accounts:security_code") in response.url


def test_verify_page_query_count_is_bounded(
    officer_client, resident, driver, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        page = _verify(officer_client, resident.iqama_number, driver.code)
    assert b'id="verified"' in page.content


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_result_page_query_count_does_not_grow_with_history(
    officer_client, hr_officer, resident, driver, worker, electrician
):
    def change(code, key):
        return profession_change(
            actor=hr_officer,
            iqama_number=resident.iqama_number,
            new_profession_code=code,
            idempotency_key=key,
        )

    first = change(driver.code, "h0")
    url = reverse("profession_change:result", args=[first.request.number])
    officer_client.get(url)  # warm the session and the translation catalogue
    with_one, _ = _queries(officer_client, url)
    for i, code in enumerate([worker.code, electrician.code, driver.code], start=1):
        change(code, f"h{i}")
    with_four, page = _queries(officer_client, url)
    assert with_four == with_one
    assert len(re.findall(r"data-history-entry=", page)) == 4
    assert page.count('aria-current="true"') == 1
