""".xlsx exports that keep memory flat however many rows (ADR 0005): XlsxWriter in `constant_memory`
mode writes each row to a temporary file as soon as the next one starts (strings inline, no
shared-string table held in memory), the rows come from the database in chunks, and the finished
file is an anonymous temporary file handed to `FileResponse`, which closes (and so deletes) it when
it has been sent. openpyxl stays the library that reads uploads and writes the bulk template and
result file.

Cells are guarded against formula injection: a name typed as `=HYPERLINK(...)` must reach the
spreadsheet as text, never as a formula that runs when a manager opens the file. Every text goes in
with `write_string` (never a formula, a number or a link, whatever it looks like), keeps the
apostrophe `safe_text` puts before a formula character, and cannot be taken for markup."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any, cast
from xml.sax.saxutils import escape

from django.http import FileResponse, HttpResponse
from django.utils.translation import get_language
from xlsxwriter import Workbook

from muqeem.core.dates import format_hijri

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"), including
# the tab and carriage return some programs strip before looking at the first character.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
MONEY_FORMAT = "#,##0.00"
MAX_TEXT = 32_767  # characters in a cell; XlsxWriter cuts a longer text to this


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


def _not_markup(value: str) -> str:
    """In constant-memory mode XlsxWriter writes a string that starts with `<r>` and ends with
    `</r>` into the sheet's XML as it is (a rich text run it formatted itself): such a text is
    sent as one escaped run instead, so it reads back exactly as typed and can never add a cell
    (or a formula) of its own."""
    if value.startswith("<r>") and value.endswith("</r>"):
        space = ' xml:space="preserve"'
        return f"<r><t{space}>{escape(value)}</t></r>"
    return value


def _sheet_title(title: str, *, taken: Iterable[str]) -> str:
    """A worksheet name Excel accepts: no []:*?/\\, no apostrophe at either end, 31 characters,
    unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip("'").strip()[:31] or "Sheet"
    used = {t.casefold() for t in taken}
    candidate, n = name, 1
    while candidate.casefold() in used:
        n += 1
        candidate = f"{name[: 31 - len(str(n)) - 1]} {n}"
    return candidate


class ExportWorkbook:
    """An XlsxWriter workbook writing into an anonymous temporary file; its worksheets' rows go to
    files in a private temporary folder, removed when the workbook is closed."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
        self._tmpdir = tempfile.TemporaryDirectory(prefix="muqeem-xlsx-")
        self.book = Workbook(
            self.file,
            {
                "constant_memory": True,
                "tmpdir": self._tmpdir.name,
                # Text stays text: never read as a number, a formula or a link.
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.bold = self.book.add_format({"bold": True})
        self.date = self.book.add_format({"num_format": DATE_FORMAT})
        self.datetime = self.book.add_format({"num_format": DATETIME_FORMAT})
        self.money = self.book.add_format({"num_format": MONEY_FORMAT})
        self.titles: list[str] = []

    def close(self) -> IO[bytes]:
        """Finish the file and return it, rewound; the worksheets' temporary files are removed."""
        try:
            self.book.close()
        except BaseException:
            self.file.close()
            raise
        finally:
            self._tmpdir.cleanup()
        self.file.seek(0)
        return self.file


class SheetWriter:
    """One worksheet of an export, right to left when the page is Arabic. Rows are written in
    order; the column widths must be given before the first row."""

    def __init__(self, workbook: ExportWorkbook, title: str, *, header_row: int = 1) -> None:
        self.workbook = workbook
        self.title = _sheet_title(title, taken=workbook.titles)
        workbook.titles.append(self.title)
        self.sheet = workbook.book.add_worksheet(self.title)
        if (get_language() or "ar").startswith("ar"):
            self.sheet.right_to_left()
        # The column headers (and any lines above them) stay in view while scrolling.
        self.sheet.freeze_panes(header_row, 0)
        self.rows = 0  # rows written with `row`
        self._next = 0  # the next row's index (zero-based)
        self._string = self.sheet.write_string
        self._number = self.sheet.write_number
        self._boolean = self.sheet.write_boolean
        self._datetime = self.sheet.write_datetime

    def widths(self, widths: Sequence[int]) -> None:
        """Column widths in characters; before the first row (rows are written as they come)."""
        if self._next:
            raise ValueError("column widths go before the first row")
        for index, width in enumerate(widths):
            self.sheet.set_column(index, index, width)

    def header(self, labels: Iterable[Any]) -> None:
        row, bold = self._next, self.workbook.bold
        for col, label in enumerate(labels):
            self._string(row, col, _not_markup(safe_text(str(label))), bold)
        self._next += 1

    def row(self, values: Iterable[Any]) -> None:
        row = self._next
        for col, value in enumerate(values):
            # An empty cell is left out, as a spreadsheet program does.
            if value is None or value == "":
                continue
            if isinstance(value, str):
                self._string(row, col, _not_markup(safe_text(value)))
            elif isinstance(value, bool):
                self._boolean(row, col, value)
            elif isinstance(value, int | float):
                self._number(row, col, value)
            elif isinstance(value, Decimal):
                self._number(row, col, float(value), self.workbook.money)
            elif isinstance(value, datetime):
                self._datetime(row, col, value.replace(tzinfo=None), self.workbook.datetime)
            elif isinstance(value, date):
                self._datetime(row, col, value, self.workbook.date)
            else:
                self._string(row, col, _not_markup(safe_text(str(value))))
        self._next += 1
        self.rows += 1


def new_workbook() -> ExportWorkbook:
    return ExportWorkbook()


def workbook_file(workbook: ExportWorkbook) -> IO[bytes]:
    """The finished .xlsx in an anonymous temporary file, rewound; closing it deletes it."""
    return workbook.close()


def workbook_response(workbook: ExportWorkbook, *, filename: str) -> HttpResponse:
    """The finished workbook as a download, from a temporary file the response closes (and so
    deletes) when it has been sent."""
    response = FileResponse(
        workbook_file(workbook),
        as_attachment=True,
        filename=filename,
        content_type=XLSX_CONTENT_TYPE,
    )
    # The portal's view decorators are typed for HttpResponse; Django serves a streaming
    # FileResponse through the same path.
    return cast(HttpResponse, response)
