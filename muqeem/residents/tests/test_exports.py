"""The residents list exported: the .xlsx holds exactly the filtered rows (never another
establishment's), dates as real dates with their Hijri beside them, headers in the page's language
and no formula smuggled in through a name; the PDF holds the first rows and says when it stops."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.dates import format_hijri
from muqeem.reports.exports import safe_text
from muqeem.reports.tests.builders import days, resident

pytestmark = pytest.mark.django_db

XLSX = reverse("residents:export_xlsx")
PDF = reverse("residents:export_pdf")
INJECTION = '=HYPERLINK("http://evil.example/x","click")'


def sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(data)).active


def rows_of(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def people(establishment, other_establishment):
    return {
        "evil": resident(establishment, name_en=INJECTION, name_ar="+SUM(A1:A9)", expires_in=-3),
        "plain": resident(establishment, name_en="Plain Worker", expires_in=40),
        "later": resident(establishment, name_en="Later Worker", expires_in=400),
        "foreign": resident(other_establishment, name_en="Plain Foreigner", expires_in=40),
    }


def test_the_xlsx_holds_the_filtered_rows_in_the_list_order(officer_client, people):
    ws = sheet(officer_client.get(XLSX, {"expiry_to": days(100).isoformat(), "language": "en"}))
    rows = rows_of(ws)
    iqamas = [r[0] for r in rows]
    assert iqamas == [people["evil"].iqama_number, people["plain"].iqama_number]
    assert people["foreign"].iqama_number not in iqamas


def test_the_xlsx_never_holds_another_establishments_resident(officer_client, people):
    ws = sheet(officer_client.get(XLSX, {"name": "Plain"}))
    assert [r[0] for r in rows_of(ws)] == [people["plain"].iqama_number]
    everything = [r[0] for r in rows_of(sheet(officer_client.get(XLSX)))]
    assert people["foreign"].iqama_number not in everything
    assert len(everything) == 3


def test_formulas_in_names_reach_the_sheet_as_text(officer_client, people):
    ws = sheet(officer_client.get(XLSX, {"name": "HYPERLINK"}))
    row = next(ws.iter_rows(min_row=2, max_row=2))
    name_ar, name_en = row[2], row[3]
    assert name_en.value == "'" + INJECTION
    assert name_ar.value == "'+SUM(A1:A9)"
    assert name_en.data_type == name_ar.data_type == "s"
    assert not any(cell.data_type == "f" for r in ws.iter_rows() for cell in r)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_every_formula_trigger_is_neutralised(text):
    assert safe_text(text) == "'" + text


def test_harmless_text_is_unchanged():
    assert safe_text("Mohammed") == "Mohammed"
    assert safe_text("محمد") == "محمد"


def test_dates_are_real_dates_with_the_hijri_beside_them(officer_client, people):
    ws = sheet(officer_client.get(XLSX, {"name": "Plain"}))
    row = rows_of(ws)[0]
    expiry = people["plain"].iqama_expiry_date
    assert row[8] in (expiry, datetime.combine(expiry, datetime.min.time()))
    assert row[9] == format_hijri(expiry)
    passport_expiry = people["plain"].passport_expiry_date
    assert row[12] == format_hijri(passport_expiry)
    assert isinstance(row[11], (date, datetime))


def test_headers_follow_the_page_language(client, hr_officer, people):
    client.force_login(hr_officer)
    client.cookies["muqeem_language"] = "en"
    english = sheet(client.get(XLSX))
    headers = [c.value for c in next(english.iter_rows(max_row=1))]
    assert headers[0] == "Iqama number"
    assert "Iqama expiry date (Hijri)" in headers
    assert english.sheet_view.rightToLeft is not True
    client.cookies["muqeem_language"] = "ar"
    arabic = sheet(client.get(XLSX))
    assert arabic.sheet_view.rightToLeft is True
    assert len(next(arabic.iter_rows(max_row=1))) == len(headers)


def test_an_export_is_audited_with_the_filters_used_not_their_values(officer_client, people):
    officer_client.get(XLSX, {"name": "Plain", "status": "current"})
    event = AuditEvent.objects.filter(event_type=AuditEventType.RESIDENT_SEARCHED).latest("pk")
    assert event.extra_data == {"via": "xlsx", "filters": ["name", "status"], "count": 1}


def test_the_pdf_lists_the_filtered_residents(officer_client, people):
    response = officer_client.get(PDF, {"expiry_to": days(100).isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert people["plain"].iqama_number in text
    assert people["evil"].iqama_number in text
    assert people["later"].iqama_number not in text
    assert people["foreign"].iqama_number not in text


def test_the_pdf_stops_at_its_cap_and_the_page_says_so(officer_client, establishment, monkeypatch):
    from muqeem.residents import views

    monkeypatch.setattr(views, "PDF_MAX_ROWS", 2)
    ids = [resident(establishment, expires_in=i) for i in range(3)]
    response = officer_client.get(PDF)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert ids[0].iqama_number in text and ids[1].iqama_number in text
    assert ids[2].iqama_number not in text
    # The list page warns when the filtered rows pass the PDF's cap.
    assert 'id="pdf-cap-note"' in officer_client.get(reverse("residents:list")).content.decode()
    monkeypatch.setattr(views, "PDF_MAX_ROWS", 3)
    assert 'id="pdf-cap-note"' not in officer_client.get(reverse("residents:list")).content.decode()
