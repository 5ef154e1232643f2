"""Django templates to PDF with WeasyPrint, which shapes Arabic with HarfBuzz and lays it out right
to left. Documents embed the IBM Plex Sans Arabic font shipped on PyPI, and nothing is fetched over
the network: a document's look never depends on a CDN, and a template cannot be made to call out
(server-side request forgery) through an image or a stylesheet URL."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import fontpkg_ibm_plex_sans_arabic
import weasyprint
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint.urls import URLFetcher, URLFetcherResponse

from muqeem.documents.qr import qr_svg_data_uri

FONT_DIR = Path(fontpkg_ibm_plex_sans_arabic.ROOT) / "files"
# Local files a document may load: the font, and images shipped with this app (a logo, a seal).
ASSET_DIR = Path(__file__).resolve().parent / "static" / "documents"
_ALLOWED_FILE_ROOTS = (FONT_DIR.resolve(), ASSET_DIR.resolve())


class LocalOnlyURLFetcher(URLFetcher):
    """Serves `data:` URLs and `file:` URLs under the allowed directories; refuses the rest."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in _ALLOWED_FILE_ROOTS):
                raise ValueError(f"Document may not load local file: {url}")
        elif scheme != "data":
            raise ValueError(f"Document may not fetch: {url}")
        return super().fetch(url, headers)


def font_url(weight: str) -> str:
    """`file://` URL of one weight of the Arabic font (`Regular`, `Bold`, ...)."""
    return (FONT_DIR / f"IBMPlexSansArabic-{weight}.ttf").as_uri()


@cache
def _font_context() -> dict[str, str]:
    return {"font_regular_url": font_url("Regular"), "font_bold_url": font_url("Bold")}


def render_html(template_name: str, context: Mapping[str, Any], *, language: str) -> str:
    """The document's HTML, as `render_pdf` lays it out (useful in tests and for previews).

    If the context has `verification_url` and no `qr_data_uri`, the QR code for it is added, so
    templates extending `documents/base_document.html` get the code in their footer."""
    full: dict[str, Any] = {**_font_context(), **context}
    if full.get("verification_url") and "qr_data_uri" not in full:
        full["qr_data_uri"] = qr_svg_data_uri(str(full["verification_url"]))
    with translation.override(language):
        return render_to_string(template_name, full)


def render_pdf(template_name: str, context: Mapping[str, Any], *, language: str) -> bytes:
    """One A4 PDF from a template extending `documents/base_document.html`, in `language`
    (`ar`: right to left; `en`: left to right)."""
    html = render_html(template_name, context, language=language)
    document = weasyprint.HTML(
        string=html, base_url=ASSET_DIR.as_uri() + "/", url_fetcher=LocalOnlyURLFetcher()
    )
    return bytes(document.write_pdf())
