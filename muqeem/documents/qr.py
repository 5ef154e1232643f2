"""QR codes for printed documents: the verification URL, drawn as vector SVG for the PDF (sharp at
any print resolution) or as PNG for screens and e-mails."""

from __future__ import annotations

import io

import segno

# Level M restores up to ~15% of a code that is creased, stamped over or badly photocopied.
_ERROR_LEVEL = "m"
# The four-module quiet zone the standard asks for; scanners fail on codes printed edge to edge.
_BORDER = 4


def _make(text: str) -> segno.QRCode:
    return segno.make_qr(text, error=_ERROR_LEVEL, boost_error=True)


def qr_svg_data_uri(text: str) -> str:
    """A `data:image/svg+xml` URI for `<img src>`; nothing is written to disk or fetched."""
    return str(_make(text).svg_data_uri(scale=4, border=_BORDER, dark="#000", light="#fff"))


def qr_png_bytes(text: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    _make(text).save(out, kind="png", scale=scale, border=_BORDER, dark="#000", light="#fff")
    return out.getvalue()
