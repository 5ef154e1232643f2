from __future__ import annotations

import io
from datetime import date
from typing import Any
from urllib.request import OpenerDirector

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.template import engines
from PIL import Image

from muqeem.documents.pdf import LocalOnlyURLFetcher, font_url, render_html, render_pdf
from muqeem.documents.qr import qr_png_bytes, qr_svg_data_uri
from muqeem.documents.services import verification_token_for, verification_url

from .conftest import TEST_KIND

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_templates", "permits")]

NAME_AR = "محمد عبدالله الحربي"
NUMBER = "5000000123"


def _sample(language: str = "ar") -> tuple[bytes, str]:
    url = verification_url(None, verification_token_for(kind=TEST_KIND, object_id=42))
    pdf = render_pdf(
        "documents_test/sample.html",
        {
            "name": NAME_AR,
            "iqama_number": NUMBER,
            "valid_until": date(2026, 11, 25),
            "issued_on": date(2026, 11, 25),
            "verification_url": url,
        },
        language=language,
    )
    return pdf, url


def _page_image(pdf: bytes, scale: float = 3) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        image = page.render(scale=scale).to_pil()
        page.close()
    finally:
        document.close()
    return image


def test_pdf_is_one_a4_page_with_text_in_logical_order() -> None:
    pdf, url = _sample()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    assert NUMBER in text
    assert NAME_AR in text  # shaped with IBM Plex Sans Arabic, extracted in reading order
    assert url in text.replace("\n", "")


def test_pdf_uses_only_the_embedded_arabic_font() -> None:
    pdf, _url = _sample()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts = {
        str(font["/BaseFont"])
        for font in (reader.pages[0]["/Resources"]["/Font"].get_object().values())
    }
    # Every glyph, Latin digits included, comes from the packaged font: no system font fallback.
    assert fonts
    assert all("IBM-Plex-Sans-Arabic" in font for font in fonts), fonts


def test_html_is_right_to_left_in_arabic_and_left_to_right_in_english() -> None:
    context = {"name": NAME_AR, "iqama_number": NUMBER, "valid_until": date(2026, 11, 25)}
    arabic = render_html("documents_test/sample.html", context, language="ar")
    english = render_html("documents_test/sample.html", context, language="en")
    assert '<html lang="ar" dir="rtl">' in arabic
    assert '<html lang="en" dir="ltr">' in english
    assert f'<bdi dir="ltr">{NUMBER}</bdi>' in arabic
    # The Hijri date next to the Gregorian one, in the document's language.
    assert "الموافق" in arabic
    assert "AH)" in english
    # No verification URL, no QR code.
    assert "data:image/svg+xml" not in arabic


def test_qr_code_on_page_one_decodes_to_the_verification_url() -> None:
    pdf, url = _sample()
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(_page_image(pdf))]
    assert decoded == [url]


def test_english_document_also_carries_the_code() -> None:
    pdf, url = _sample("en")
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(_page_image(pdf))]
    assert decoded == [url]


def test_qr_png_decodes() -> None:
    image = Image.open(io.BytesIO(qr_png_bytes("https://muqeem.example/verify/abc/")))
    assert [b.text for b in zxingcpp.read_barcodes(image)] == ["https://muqeem.example/verify/abc/"]
    assert qr_svg_data_uri("x").startswith("data:image/svg+xml")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/style.css",
        "ftp://example.com/x",
        "file:///etc/passwd",
        "file:///work/main/config/settings/base.py",
    ],
)
def test_fetcher_refuses_network_and_other_files(url: str) -> None:
    with pytest.raises(ValueError, match="may not"):
        LocalOnlyURLFetcher().fetch(url)


def test_fetcher_serves_the_font_and_data_urls() -> None:
    response = LocalOnlyURLFetcher().fetch(font_url("Regular"))
    try:
        assert response.read(4) == b"\x00\x01\x00\x00"  # a TrueType font
    finally:
        response.close()
    assert LocalOnlyURLFetcher().fetch("data:text/plain,hi").read() == b"hi"


def test_rendering_never_opens_a_network_connection(monkeypatch: Any) -> None:
    opened: list[Any] = []
    real_open = OpenerDirector.open

    def spy(self: Any, fullurl: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(getattr(fullurl, "full_url", fullurl))
        return real_open(self, fullurl, *args, **kwargs)

    monkeypatch.setattr(OpenerDirector, "open", spy)
    template = engines["django"].from_string(
        '{% extends "documents/base_document.html" %}{% block body %}'
        '<img src="http://127.0.0.1:9/tracker.png"><link rel="stylesheet" href="https://example.com/x.css">'
        "{% endblock %}"
    )
    monkeypatch.setattr(
        "muqeem.documents.pdf.render_to_string", lambda _name, ctx: template.render(ctx)
    )
    pdf = render_pdf("ignored.html", {}, language="ar")
    assert pdf.startswith(b"%PDF")
    assert not [u for u in opened if str(u).startswith(("http:", "https:"))]


def test_every_page_of_a_long_document_carries_the_code_and_the_page_number() -> None:
    url = verification_url(None, verification_token_for(kind=TEST_KIND, object_id=43))
    pdf = render_pdf(
        "documents_test/long.html",
        {"rows": [f"{NAME_AR} {i}" for i in range(80)], "verification_url": url},
        language="ar",
    )
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages > 1
    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(pages):
            page = document[index]
            image = page.render(scale=3).to_pil()
            page.close()
            assert [b.text for b in zxingcpp.read_barcodes(image)] == [url]
            # Left-to-right page numbers even on a right-to-left page.
            assert f"{index + 1} / {pages}" in reader.pages[index].extract_text()
    finally:
        document.close()
