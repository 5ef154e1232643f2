"""The residents list as a spreadsheet: the same filters and order as the page, every row, with the
headers in the page's language and each date in Gregorian (a real date cell) beside its Hijri."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from muqeem.residents.models import Resident, ResidentStatus

from .exports import ExportWorkbook, SheetWriter, hijri_text, new_workbook

CHUNK_SIZE = 2_000


def _headers() -> list[str]:
    return [
        _("Iqama number"),
        _("Border number"),
        _("Name (Arabic)"),
        _("Name (English)"),
        _("Nationality"),
        _("Profession"),
        _("Status"),
        _("Inside / outside the kingdom"),
        _("Iqama expiry date"),
        _("Iqama expiry date (Hijri)"),
        _("Passport number"),
        _("Passport expiry date"),
        _("Passport expiry date (Hijri)"),
    ]


WIDTHS = (14, 14, 30, 30, 16, 22, 22, 18, 14, 14, 14, 14, 14)


def _rows(qs: QuerySet[Resident]) -> Iterator[list[Any]]:
    arabic = (get_language() or "ar").startswith("ar")
    suffix = "ar" if arabic else "en"
    statuses = {value: str(label) for value, label in ResidentStatus.choices}
    inside, outside = _("Inside the kingdom"), _("Outside the kingdom")
    values = qs.values_list(
        "iqama_number",
        "border_number",
        "name_ar",
        "name_en",
        f"nationality__name_{suffix}",
        f"profession__name_{suffix}",
        "status",
        "inside_kingdom",
        "iqama_expiry_date",
        "passport_number",
        "passport_expiry_date",
    )
    for (
        iqama,
        border,
        name_ar,
        name_en,
        nationality,
        profession,
        status,
        inside_kingdom,
        iqama_expiry,
        passport,
        passport_expiry,
    ) in values.iterator(chunk_size=CHUNK_SIZE):
        yield [
            iqama or "",
            border or "",
            name_ar,
            name_en,
            nationality,
            profession,
            statuses.get(status, status),
            inside if inside_kingdom else outside,
            iqama_expiry,
            hijri_text(iqama_expiry),
            passport,
            passport_expiry,
            hijri_text(passport_expiry),
        ]


def residents_workbook(qs: QuerySet[Resident]) -> tuple[ExportWorkbook, int]:
    """The workbook and the number of residents written (`qs` already filtered and ordered)."""
    workbook = new_workbook()
    sheet = SheetWriter(workbook, _("Residents"))
    sheet.widths(WIDTHS)
    sheet.header(_headers())
    for row in _rows(qs):
        sheet.row(row)
    return workbook, sheet.rows
