from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django import template
from django.utils.html import format_html

from muqeem.core.dates import format_gregorian, format_hijri

register = template.Library()


@register.filter
def number(value: int | None) -> str:
    """A count with thousands separators, isolated left to right inside Arabic text."""
    return format_html('<bdi dir="ltr">{}</bdi>', f"{int(value or 0):,}")


@register.simple_tag
def query(params: dict[str, object], **changes: object) -> str:
    """`params` with `changes` applied (a None or empty value drops the key), URL-encoded."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


@register.filter
def gregorian(value: date | None) -> str:
    """`dd/mm/yyyy`, left to right (for a table whose Hijri date has its own column)."""
    if value is None:
        return "—"
    return format_html('<bdi dir="ltr">{}</bdi>', format_gregorian(value))


@register.filter
def hijri(value: date | None) -> str:
    """`dd/mm/yyyy` in Umm al-Qura, left to right."""
    text = format_hijri(value) if value is not None else None
    if text is None:
        return "—"
    return format_html('<bdi dir="ltr">{}</bdi>', text)
