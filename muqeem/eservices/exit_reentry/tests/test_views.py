"""The visa pages end to end through Django: issue, print (real PDF, real QR), verify, cancel."""

from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.urls import reverse
from pypdf import PdfReader

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def _token(html: bytes) -> str:
    match = re.search(rb'name="token" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1).decode()


def _issue(client, resident, **fields):
    data = {
        "iqama_number": resident.iqama_number,
        "visa_type": "single",
        "duration_unit": "days",
        "duration_value": 30,
    } | fields
    page = client.post(reverse("exit_reentry:issue"), data)
    assert page.status_code == 200
    assert b'id="verified"' in page.content
    response = client.post(reverse("exit_reentry:issue_confirm"), {"token": _token(page.content)})
    assert response.status_code == 302
    return Visa.objects.get(resident=resident, status=VisaStatus.ISSUED), response


def test_issue_print_verify_cancel(officer_client, resident, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    resident.name_ar = "عبدالله محمد الحربي"
    resident.save()
    visa, response = _issue(officer_client, resident)
    assert response.url == reverse("exit_reentry:visa", args=[visa.number])
    page = officer_client.get(response.url)
    assert visa.number in page.content.decode()

    pdf = officer_client.get(reverse("exit_reentry:print", args=[visa.number]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert visa.number in text
    assert resident.name_ar in text
    image = pdfium.PdfDocument(pdf.content)[0].render(scale=3).to_pil()
    urls = [b.text for b in zxingcpp.read_barcodes(image)]
    assert len(urls) == 1 and urls[0].startswith("http://testserver/verify/")
    assert visa.number not in urls[0] and resident.iqama_number not in urls[0]

    public = officer_client.get(urls[0].removeprefix("http://testserver"))
    assert public.status_code == 200
    assert b'data-status="valid"' in public.content
    assert resident.name_en.encode() not in public.content

    cancel_page = officer_client.get(reverse("exit_reentry:cancel", args=[visa.number]))
    officer_client.post(
        reverse("exit_reentry:cancel", args=[visa.number]), {"token": _token(cancel_page.content)}
    )
    visa.refresh_from_db()
    assert visa.status == VisaStatus.CANCELLED
    public = officer_client.get(urls[0].removeprefix("http://testserver"))
    assert b'data-status="cancelled"' in public.content


def test_visa_pages_of_another_establishment_are_404(officer_client, other_establishment):
    from tests.factories import ResidentFactory

    other_officer = UserFactory(establishment=other_establishment)
    foreign = ResidentFactory(establishment=other_establishment)
    from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue

    visa = visa_issue(
        actor=other_officer,
        iqama_number=foreign.iqama_number,
        terms=VisaTerms("single", "days", 10),
        idempotency_key="x",
    ).visa
    for name in ("visa", "print", "cancel", "extend"):
        assert (
            officer_client.get(reverse(f"exit_reentry:{name}", args=[visa.number])).status_code
            == 404
        )
    assert officer_client.get(reverse("exit_reentry:visa", args=["5999999999"])).status_code == 404


def test_missing_duration_is_a_form_error(officer_client, resident):
    page = officer_client.post(
        reverse("exit_reentry:issue"),
        {
            "iqama_number": resident.iqama_number,
            "visa_type": "single",
            "duration_unit": "return_before",
        },
    )
    assert page.status_code == 200
    assert b"is-invalid" in page.content
    assert not Visa.objects.exists()


def test_resident_file_lists_visas_and_is_scoped(officer_client, resident, other_resident):
    visa, _ = _issue(officer_client, resident)
    page = officer_client.get(reverse("residents:file", args=[resident.iqama_number]))
    assert page.status_code == 200
    assert f'data-visa="{visa.number}"'.encode() in page.content
    assert (
        officer_client.get(
            reverse("residents:file", args=[other_resident.iqama_number])
        ).status_code
        == 404
    )
