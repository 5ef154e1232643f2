from __future__ import annotations

from datetime import date

from django import template
from django.utils.html import format_html

from muqeem.core.dates import format_dual
from muqeem.core.money import format_halalas

register = template.Library()


@register.filter
def dual_date(value: date | None) -> str:
    """Gregorian and Hijri: `25/11/2026م الموافق 15/06/1448هـ`."""
    if value is None:
        return "—"
    return format_dual(value)


@register.filter
def money(halalas: int | None) -> str:
    return format_halalas(int(halalas or 0))


@register.simple_tag
def ltr(value: object) -> str:
    """An identifier or number that must read left to right inside Arabic text."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)
