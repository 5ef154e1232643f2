from __future__ import annotations

from datetime import date

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from muqeem.core.dates import format_gregorian, format_hijri
from muqeem.core.money import format_halalas

register = template.Library()


@register.filter
def dual_date(value: date | None) -> str:
    """Gregorian and Hijri: `25/11/2026م الموافق 15/06/1448هـ`, each number isolated left-to-right
    so the day/month/year order survives inside Arabic text."""
    if value is None:
        return "—"
    greg = format_gregorian(value)
    hijri = format_hijri(value)
    if (get_language() or "ar").startswith("ar"):
        if hijri is None:
            return format_html('<bdi dir="ltr">{}</bdi>م', greg)
        return format_html(
            '<bdi dir="ltr">{}</bdi>م الموافق <bdi dir="ltr">{}</bdi>هـ', greg, hijri
        )
    if hijri is None:
        return format_html('<bdi dir="ltr">{}</bdi>', greg)
    return format_html('<bdi dir="ltr">{}</bdi> (<bdi dir="ltr">{}</bdi> AH)', greg, hijri)


@register.filter
def money(halalas: int | None) -> str:
    return format_halalas(int(halalas or 0))


@register.filter
def money_html(halalas: int | None) -> str:
    """An amount with only the number isolated left-to-right, so «ريال» stays after it in Arabic."""
    number = format_halalas(int(halalas or 0), with_currency=False)
    if (get_language() or "ar").startswith("ar"):
        return format_html('<bdi dir="ltr">{}</bdi> ريال', number)
    return format_html('SAR <bdi dir="ltr">{}</bdi>', number)


@register.simple_tag
def ltr(value: object) -> str:
    """An identifier or number that must read left to right inside Arabic text."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)


@register.simple_tag
def list_separator() -> str:
    """The comma between list items: «، » in Arabic, ", " in English."""
    return "، " if (get_language() or "ar").startswith("ar") else ", "
