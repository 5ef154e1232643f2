""".xlsx exports that keep memory flat however many rows, written straight as SpreadsheetML (ADR 0005).

A spreadsheet library spends 5–9 µs of Python on each cell it writes (openpyxl's write-only
workbook through lxml, XlsxWriter in constant-memory mode), and the residents export of a large
establishment is 1.3 M cells. The exports' sheets are plain (text, numbers, amounts, dates, one
bold header row), so each row is serialised here into one string: strings inline (no shared-string
table held in memory), five fixed cell styles. A sheet's rows go to an anonymous temporary file as
they come (the rows come from the database in chunks); `workbook_file` packs the sheets and the few
fixed parts of the package into another anonymous temporary file, which `FileResponse` closes (and
so deletes) when it has been sent. openpyxl stays the library that reads uploads and writes the
bulk template and result file.

Cells are guarded against formula injection: a name typed as `=HYPERLINK(...)` must reach the
spreadsheet as text, never as a formula that runs when a manager opens the file. Every str is
written as an inline string (never a formula, a number or a link, whatever it looks like), with the
apostrophe `safe_text` puts before a formula character, and escaped so no value can add markup."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any, cast
from xml.sax.saxutils import escape, quoteattr

from django.http import FileResponse, HttpResponse
from django.utils.translation import get_language

from muqeem.core.dates import format_hijri

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"), including
# the tab and carriage return some programs strip before looking at the first character.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
MONEY_FORMAT = "#,##0.00"  # Excel's built-in number format 4
MAX_ROWS = 1_048_576  # rows in a worksheet
MAX_TEXT = 32_767  # characters (UTF-16 units) in a cell
FLUSH_ROWS = 500  # rows serialised between two writes to the sheet's temporary file


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


# --- Cells -----------------------------------------------------------------------------------------

# Cell styles, by their index in `STYLES_XML`'s cellXfs.
BOLD, DATE, DATETIME, MONEY = 1, 2, 3, 4

# Anything that needs more than the plain text: XML's markup characters, the control characters
# XML cannot hold (written as Excel's `_xHHHH_` escapes), an underscore that might start one, and
# whitespace at either end (kept only with xml:space="preserve").
_NEEDS_CARE = re.compile(r"[&<>_\x00-\x08\x0b-\x1f]|^\s|\s$")
_ESCAPE_LIKE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_EXCEL_EPOCH = date(1899, 12, 31).toordinal()


def _text_cell(ref: str, value: str, style: str = "") -> str:
    """An inline-string cell; `value` already through `safe_text`."""
    if len(value) > MAX_TEXT // 2 and len(value.encode("utf-16-le")) // 2 > MAX_TEXT:
        value = value.encode("utf-16-le")[: MAX_TEXT * 2].decode("utf-16-le", "ignore")
    if _NEEDS_CARE.search(value) is None:
        return f'<c r="{ref}"{style} t="inlineStr"><is><t>{value}</t></is></c>'
    text = _ESCAPE_LIKE.sub(r"_x005F\1", value)  # a literal "_x0041_" stays literal
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


@lru_cache(maxsize=8192)
def _day_serial(value: date) -> int:
    """Excel's serial number of a day (with Excel's 29 February 1900, which never was)."""
    days = value.toordinal() - _EXCEL_EPOCH
    return days + 1 if days > 59 else days


def _datetime_serial(value: datetime) -> float:
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return _day_serial(value.date()) + seconds / 86_400


def _column_name(index: int) -> str:
    """`A` for 0, `Z` for 25, `AA` for 26."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


_COLUMNS = [_column_name(i) for i in range(702)]  # A..ZZ: far more than any export has


def _cell(ref: str, value: Any) -> str:
    if isinstance(value, str):
        return _text_cell(ref, safe_text(value))
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, float) and value - value == 0:  # not NaN, not infinite
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, Decimal) and value.is_finite():
        return f'<c r="{ref}" s="{MONEY}"><v>{value:f}</v></c>'
    if isinstance(value, datetime):
        serial = _datetime_serial(value.replace(tzinfo=None))
        return f'<c r="{ref}" s="{DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{DATE}"><v>{_day_serial(value)}</v></c>'
    return _text_cell(ref, safe_text(str(value)))


# --- Sheets and the workbook -----------------------------------------------------------------------


class ExportWorkbook:
    """A workbook whose sheets are written row by row to temporary files and packed at the end."""

    def __init__(self) -> None:
        self.sheets: list[SheetWriter] = []


class SheetWriter:
    """One worksheet of an export, right to left when the page is Arabic. Rows are written in
    order; the column widths must be given before the first row."""

    def __init__(self, workbook: ExportWorkbook, title: str, *, header_row: int = 1) -> None:
        self.title: str = _sheet_title(title, taken={s.title for s in workbook.sheets})
        self.right_to_left = (get_language() or "ar").startswith("ar")
        # The column headers (and any lines above them) stay in view while scrolling.
        self.frozen_rows = header_row
        self.column_widths: list[float] = []
        self.rows = 0  # rows written with `row`
        self._last = 0  # the last row's number (one-based), 0 before the first
        self._max_column = 0
        self._pending: list[str] = []
        self._data: IO[bytes] = tempfile.TemporaryFile(suffix=".xml")  # noqa: SIM115 - closed when packed
        workbook.sheets.append(self)

    def widths(self, widths: Sequence[int]) -> None:
        """Column widths in characters, as Excel shows them."""
        if self._last:
            raise ValueError("column widths go before the first row")
        self.column_widths = [float(w) for w in widths]

    def header(self, labels: Iterable[Any]) -> None:
        number = self._next_row()
        cells = [
            _text_cell(f"{_COLUMNS[col]}{number}", safe_text(str(label)), f' s="{BOLD}"')
            for col, label in enumerate(labels)
        ]
        self._append(number, cells, len(cells))

    def row(self, values: Iterable[Any]) -> None:
        number = self._next_row()
        suffix = str(number)
        cells = []
        columns = 0
        for col, value in enumerate(values):
            # An empty cell is left out, as a spreadsheet program does.
            if value is not None and value != "":
                cells.append(_cell(_COLUMNS[col] + suffix, value))
                columns = col + 1
        self._append(number, cells, columns)
        self.rows += 1

    def _next_row(self) -> int:
        if self._last >= MAX_ROWS:
            raise ValueError("a worksheet holds 1,048,576 rows")
        self._last += 1
        return self._last

    def _append(self, number: int, cells: list[str], columns: int) -> None:
        if not cells:
            return
        self._max_column = max(self._max_column, columns)
        self._pending.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(self._pending) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        self._data.write("".join(self._pending).encode())
        self._pending.clear()

    def write_to(self, out: IO[bytes], *, first: bool) -> None:
        """The sheet's XML: its settings, the rows from the temporary file, the page setup."""
        self._flush()
        out.write(self._head(first=first).encode())
        self._data.seek(0)
        shutil.copyfileobj(self._data, out, 1 << 20)
        self._data.close()
        out.write(
            b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75"'
            b' header="0.3" footer="0.3"/></worksheet>'
        )

    def _head(self, *, first: bool) -> str:
        last_cell = f"{_COLUMNS[max(self._max_column, 1) - 1]}{max(self._last, 1)}"
        view = ' rightToLeft="1"' if self.right_to_left else ""
        view += ' tabSelected="1"' if first else ""
        pane = ""
        if self.frozen_rows:
            top = f"A{self.frozen_rows + 1}"
            pane = (
                f'<pane ySplit="{self.frozen_rows}" topLeftCell="{top}" activePane="bottomLeft"'
                f' state="frozen"/><selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
            )
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{_excel_width(w)}" customWidth="1"/>'
            for i, w in enumerate(self.column_widths, start=1)
        )
        return (
            f'{XML_DECLARATION}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            f'<dimension ref="A1:{last_cell}"/>'
            f'<sheetViews><sheetView{view} workbookViewId="0">{pane}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
        )


def _excel_width(characters: float) -> float:
    """The stored width that Excel shows as `characters` (Calibri 11: 7-pixel digits, 5 of padding)."""
    return int((characters * 7 + 5) / 7 * 256) / 256


def _sheet_title(title: str, *, taken: set[str]) -> str:
    """A worksheet name Excel accepts: no []:*?/\\, no apostrophe at either end, 31 characters,
    unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip("'").strip()[:31] or "Sheet"
    candidate, n = name, 1
    while candidate.casefold() in {t.casefold() for t in taken}:
        n += 1
        candidate = f"{name[: 31 - len(str(n)) - 1]} {n}"
    return candidate


# --- The package -----------------------------------------------------------------------------------

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_FONT = '<sz val="11"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/>'
STYLES_XML = (
    f'{XML_DECLARATION}<styleSheet xmlns="{MAIN_NS}">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/></numFmts>'
    f'<fonts count="2"><font>{_FONT}</font><font><b/>{_FONT}</font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/></styleSheet>'
)


def _package_parts(sheets: Sequence[SheetWriter]) -> dict[str, str]:
    n = len(sheets)
    sheet_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    sheet_entries = "".join(
        f'<sheet name={quoteattr(s.title)} sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    return {
        "[Content_Types].xml": (
            f'{XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{sheet_types}"
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'{XML_DECLARATION}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="16384"'
            f' windowHeight="8192"/></bookViews><sheets>{sheet_entries}</sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_REL_NS}">{sheet_rels}'
            f'<Relationship Id="rId{n + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": STYLES_XML,
    }


def new_workbook() -> ExportWorkbook:
    return ExportWorkbook()


def workbook_file(workbook: ExportWorkbook) -> IO[bytes]:
    """The finished .xlsx in an anonymous temporary file, rewound; closing it deletes it."""
    out: IO[bytes] = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the caller closes it
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
            for name, text in _package_parts(workbook.sheets).items():
                package.writestr(name, text)
            for index, sheet in enumerate(workbook.sheets, start=1):
                with package.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True) as part:
                    sheet.write_to(part, first=index == 1)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


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
