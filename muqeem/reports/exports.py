""".xlsx exports that keep memory flat however many rows: openpyxl's write-only workbook streams each
row to disk as it is appended, the rows come from the database in chunks, and the finished file is
an anonymous temporary file handed to `FileResponse` (deleted when the response is closed).

Cells are guarded against formula injection: a name typed as `=HYPERLINK(...)` must reach the
spreadsheet as text, never as a formula that runs when a manager opens the file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any, cast

from django.http import FileResponse, HttpResponse
from django.utils.translation import get_language
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from muqeem.core.dates import format_hijri

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"), including
# the tab and carriage return some programs strip before looking at the first character.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "DD/MM/YYYY"
MONEY_FORMAT = "#,##0.00"


def riyals(halalas: int) -> Decimal:
    """An amount for a spreadsheet cell: riyals with two decimals, a number Excel can add up."""
    return Decimal(halalas) / 100


def safe_text(value: str) -> str:
    """Text that a spreadsheet shows as typed: a leading formula character gets an apostrophe."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@lru_cache(maxsize=8192)
def hijri_text(value: date | None) -> str:
    """`dd/mm/yyyy` in Umm al-Qura (a 100,000-row export has only a few thousand distinct days)."""
    if value is None:
        return ""
    return format_hijri(value) or ""


class SheetWriter:
    """One worksheet of a write-only workbook, right to left when the page is Arabic."""

    def __init__(self, workbook: Workbook, title: str, *, header_row: int = 1) -> None:
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(title=title[:31])
        if (get_language() or "ar").startswith("ar"):
            self.sheet.sheet_view.rightToLeft = True
        # The column headers stay in view while scrolling.
        self.sheet.freeze_panes = f"A{header_row + 1}"
        self.rows = 0

    def widths(self, widths: Sequence[int]) -> None:
        """Column widths (characters); only possible before the first row in write-only mode."""
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width

    def header(self, labels: Iterable[Any]) -> None:
        bold = Font(bold=True)
        cells = []
        for label in labels:
            cell = WriteOnlyCell(self.sheet, value=safe_text(str(label)))
            cell.font = bold
            cells.append(cell)
        self.sheet.append(cells)

    def row(self, values: Iterable[Any]) -> None:
        self.sheet.append([self._cell(v) for v in values])
        self.rows += 1

    def _cell(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            # openpyxl reads a string as a formula only when it starts with "=", which
            # `safe_text` never lets through; a plain str is also much cheaper than a cell object.
            return safe_text(value)
        if isinstance(value, Decimal):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = MONEY_FORMAT
            return cell
        if isinstance(value, datetime):
            cell = WriteOnlyCell(self.sheet, value=value.replace(tzinfo=None))
            cell.number_format = "DD/MM/YYYY HH:MM"
            return cell
        if isinstance(value, date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        return value


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def workbook_response(workbook: Workbook, *, filename: str) -> HttpResponse:
    """The finished workbook as a download, from a temporary file the response closes (and so
    deletes) when it has been sent."""
    spool: IO[bytes] = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    response = FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    # The portal's view decorators are typed for HttpResponse; Django serves a streaming
    # FileResponse through the same path.
    return cast(HttpResponse, response)
