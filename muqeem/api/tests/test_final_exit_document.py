"""The final exit PDF by API: the document, isolation, permission."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, idem
from muqeem.audit.models import AuditEvent, AuditEventType

pytestmark = pytest.mark.django_db


def _issue(client, resident) -> str:
    issued = client.post(
        "/api/v1/final-exits/", {"iqama_number": resident.iqama_number}, format="json", **idem()
    )
    assert issued.status_code == 201, issued.content
    return issued.json()["final_exit_number"]


def test_the_final_exit_pdf_carries_its_number(api, resident):
    number = _issue(api, resident)
    pdf = api.get(f"/api/v1/final-exits/{number}/document/", HTTP_ACCEPT_LANGUAGE="en")
    assert pdf.status_code == 200, pdf.content[:500]
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert number in text and resident.iqama_number in text
    assert AuditEvent.objects.filter(event_type=AuditEventType.DOCUMENT_PRINTED).count() == 1


def test_another_establishments_final_exit_is_a_404_like_a_missing_one(
    api, other_api, other_resident
):
    theirs = _issue(other_api, other_resident)
    a = api.get(f"/api/v1/final-exits/{theirs}/document/")
    b = api.get("/api/v1/final-exits/6999999999/document/")
    assert a.status_code == b.status_code == 404
    assert a["Content-Type"].startswith("application/json")
    ja, jb = a.json(), b.json()
    ja.pop("request_id"), jb.pop("request_id")
    assert ja == jb
    assert not AuditEvent.objects.filter(event_type=AuditEventType.DOCUMENT_PRINTED).exists()


def test_a_key_without_final_exit_is_refused(api, make_client, resident):
    number = _issue(api, resident)
    client = make_client([p for p in ALL_API_PERMISSIONS if p != Permission.FINAL_EXIT])
    response = client.get(f"/api/v1/final-exits/{number}/document/")
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
