"""Dates as users see them: Gregorian and Hijri (Umm al-Qura) side by side, in Riyadh's calendar day."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import get_language
from hijridate import Gregorian
from hijridate.ummalqura import HIJRI_RANGE  # type: ignore[attr-defined]

HIJRI_MONTHS_AR = (
    "محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة",
    "رجب", "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة",
)  # fmt: skip
HIJRI_MONTHS_EN = (
    "Muharram", "Safar", "Rabi al-Awwal", "Rabi al-Thani", "Jumada al-Ula", "Jumada al-Akhirah",
    "Rajab", "Shaban", "Ramadan", "Shawwal", "Dhu al-Qadah", "Dhu al-Hijjah",
)  # fmt: skip


def today() -> date:
    """The current calendar day in the kingdom (TIME_ZONE is Asia/Riyadh)."""
    return timezone.localdate()


def add_months(d: date, months: int) -> date:
    """`d` plus calendar months; the 31st of a month lands on the last day of a shorter month."""
    month_index = d.month - 1 + months
    year = d.year + month_index // 12
    month = month_index % 12 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def days_between(start: date, end: date) -> int:
    return (end - start).days


def to_hijri(d: date) -> tuple[int, int, int] | None:
    """(year, month, day) in Umm al-Qura, or None outside the calendar's published range."""
    low_year = HIJRI_RANGE[0][0]
    high_year = HIJRI_RANGE[1][0]
    try:
        h = Gregorian(d.year, d.month, d.day).to_hijri()
    except (ValueError, OverflowError):
        return None
    if not low_year <= h.year <= high_year:
        return None
    return (h.year, h.month, h.day)


def _is_arabic() -> bool:
    return (get_language() or "ar").startswith("ar")


def format_gregorian(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def format_hijri(d: date) -> str | None:
    h = to_hijri(d)
    if h is None:
        return None
    return f"{h[2]:02d}/{h[1]:02d}/{h[0]}"


def format_dual(d: date) -> str:
    """`25/11/2026م الموافق 05/06/1448هـ` in Arabic; `25/11/2026 (05/06/1448 AH)` in English."""
    greg = format_gregorian(d)
    hijri = format_hijri(d)
    if _is_arabic():
        return f"{greg}م الموافق {hijri}هـ" if hijri else f"{greg}م"
    return f"{greg} ({hijri} AH)" if hijri else greg


def hijri_month_name(month: int) -> str:
    return (HIJRI_MONTHS_AR if _is_arabic() else HIJRI_MONTHS_EN)[month - 1]


def working_days_after(start: date, days: int) -> date:
    """`days` working days after `start`; the Saudi weekend is Friday and Saturday."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() not in (calendar.FRIDAY, calendar.SATURDAY):
            remaining -= 1
    return current
