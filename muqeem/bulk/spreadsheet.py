"""The bulk file format: the template, and reading an uploaded .xlsx or .csv into rows of text.

One sheet, one transaction per row, an `operation` column saying which. Headers carry the Arabic
label and the column key (`رقم الإقامة / iqama_number`); a header is recognised by its key, its
Arabic label or its English label. Everything here is about the file; what a row means is decided
in `rows.py`, and whether it can be done only by the services."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from muqeem.bulk.errors import BulkError, BulkErrorCode
from muqeem.bulk.models import FileFormat, Operation
from muqeem.core.ids import normalize_digits
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
# Columns read per row: the template has 8; anything past this is ignored, not parsed.
MAX_COLUMNS = 40
# An .xlsx is a zip: refuse one that inflates far beyond any real 10,000-row sheet (zip bomb).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
CSV_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    help: Promise


COLUMNS: tuple[Column, ...] = (
    Column(
        "operation",
        _("Operation"),
        _("renew_iqama, issue_exit_reentry or cancel_visa"),
    ),
    Column(
        "iqama_number", _("Iqama number"), _("10 digits; for renew_iqama and issue_exit_reentry")
    ),
    Column("months", _("Iqama duration"), _("Months, for renew_iqama (3, 6, 9 or 12)")),
    Column("visa_type", _("Visa type"), _("single or multiple; for issue_exit_reentry")),
    Column(
        "duration_unit",
        _("Duration given as"),
        _("days, months or return_before; for issue_exit_reentry"),
    ),
    Column(
        "duration_value",
        _("Duration"),
        _("Number of days or months, when the duration is given in days or months"),
    ),
    Column(
        "return_before",
        _("Return before"),
        _("Date YYYY-MM-DD (or DD/MM/YYYY), when the duration is given as return_before"),
    ),
    Column("visa_number", _("Visa number"), _("For cancel_visa")),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    Operation.RENEW_IQAMA: ("iqama_number", "months"),
    Operation.ISSUE_EXIT_REENTRY: (
        "iqama_number",
        "visa_type",
        "duration_unit",
        "duration_value",
        "return_before",
    ),
    Operation.CANCEL_VISA: ("visa_number",),
}
# Cells holding numbers: Arabic-Indic digits are read as Western digits, spaces and dashes dropped.
NUMERIC_COLUMNS = frozenset({"iqama_number", "months", "duration_value", "visa_number"})
# Cells holding dates: the digits are read as Western digits, the separators kept.
DATE_COLUMNS = frozenset({"return_before"})


def _in(lang: str, text: Promise | str) -> str:
    with translation.override(lang):
        return str(text)


def header_text(column: Column) -> str:
    return f"{_in('ar', column.label)} / {column.key}"


def _fold(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def _choice_lookup(choices: Iterable[tuple[str, Promise | str]]) -> dict[str, str]:
    """A cell value → choice code, accepting the code and its Arabic and English labels."""
    out: dict[str, str] = {}
    for code, label in choices:
        out[_fold(code)] = code
        for lang in ("ar", "en"):
            out[_fold(_in(lang, label))] = code
    return out


@cache
def _lookup_of(choices: type[models.TextChoices]) -> dict[str, str]:
    """`_choice_lookup` of a choices class, built once per process (the labels are fixed)."""
    return _choice_lookup(choices.choices)


def operation_code(value: str) -> str | None:
    return _lookup_of(Operation).get(_fold(value))


def visa_type_code(value: str) -> str:
    return _lookup_of(VisaType).get(_fold(value), value)


def duration_unit_code(value: str) -> str:
    return _lookup_of(DurationUnit).get(_fold(value), value)


def _header_key(text: str) -> str | None:
    """`رقم الإقامة / iqama_number`, `iqama_number`, `Iqama number` or `رقم الإقامة` → the key."""
    for part in [text, *text.split("/")]:
        folded = _fold(part)
        if not folded:
            continue
        for column in COLUMNS:
            if folded in (
                _fold(column.key),
                _fold(_in("en", column.label)),
                _fold(_in("ar", column.label)),
            ):
                return column.key
    return None


# --- Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedRow:
    row_number: int
    values: dict[str, str]


@dataclass
class ParsedTable:
    file_format: str
    columns: list[str]
    rows: list[ParsedRow] = field(default_factory=list)


class _ColumnProblems:
    """The list of header problems, rendered in whichever language is active."""

    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.duplicate: list[str] = []
        self.missing: list[tuple[str, str | None]] = []

    def __bool__(self) -> bool:
        return bool(self.unknown or self.duplicate or self.missing)

    def __str__(self) -> str:
        parts = [gettext("unknown column “%(name)s”") % {"name": n} for n in self.unknown]
        parts += [gettext("column “%(name)s” appears twice") % {"name": n} for n in self.duplicate]
        for name, operation in self.missing:
            if operation is None:
                parts.append(gettext("missing column “%(name)s”") % {"name": name})
            else:
                parts.append(
                    gettext("missing column “%(name)s”, needed by %(operation)s")
                    % {"name": name, "operation": operation}
                )
        return "; ".join(parts)


def file_format_for(filename: str) -> str:
    name = filename.lower().strip()
    if name.endswith(".xlsx"):
        return FileFormat.XLSX
    if name.endswith(".csv"):
        return FileFormat.CSV
    raise BulkError(BulkErrorCode.BULK_FILE_TYPE_NOT_ALLOWED)


def read_table(*, filename: str, data: bytes) -> ParsedTable:
    """The header and the non-empty rows of an uploaded file, or a `BulkError` saying why not.

    The caller has already refused a file over `MAX_FILE_BYTES`, before reading it."""
    file_format = file_format_for(filename)
    if not data:
        raise BulkError(BulkErrorCode.BULK_FILE_EMPTY)
    lines = _xlsx_lines(data) if file_format == FileFormat.XLSX else _csv_lines(data)
    table = _table(file_format, lines)
    if not table.rows:
        raise BulkError(BulkErrorCode.BULK_FILE_EMPTY)
    return table


def _unreadable(file_format: str) -> BulkError:
    label = "Excel (.xlsx)" if file_format == FileFormat.XLSX else "CSV"
    return BulkError(BulkErrorCode.BULK_FILE_UNREADABLE, {"file_format": label})


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable(FileFormat.XLSX) from None
    if "xl/workbook.xml" not in names or inflated > MAX_UNZIPPED_BYTES:
        raise _unreadable(FileFormat.XLSX)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise _unreadable(FileFormat.XLSX) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)
        for number, values in enumerate(rows, start=1):
            yield number, list(values)
    except BulkError:
        raise
    except Exception:
        raise _unreadable(FileFormat.XLSX) from None
    finally:
        workbook.close()


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkError(BulkErrorCode.BULK_FILE_ENCODING) from None
    if "\x00" in text:
        raise _unreadable(FileFormat.CSV)
    first_line = text.split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    try:
        for number, values in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            yield number, values[:MAX_COLUMNS]
    except csv.Error:
        raise _unreadable(FileFormat.CSV) from None


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(file_format: str, lines: Iterator[tuple[int, list[Any]]]) -> ParsedTable:
    header: dict[int, str] | None = None
    table = ParsedTable(file_format=file_format, columns=[])
    for number, raw in lines:
        cells = [cell_text(v) for v in raw]
        if not any(cells):
            continue
        if header is None:
            header = _header(cells)
            table.columns = list(header.values())
            continue
        if len(table.rows) >= MAX_ROWS:
            raise BulkError(BulkErrorCode.BULK_TOO_MANY_ROWS, {"max_rows": f"{MAX_ROWS:,}"})
        values = {}
        for index, key in header.items():
            text = cells[index] if index < len(cells) else ""
            if key in NUMERIC_COLUMNS:
                text = normalize_digits(text)
            elif key in DATE_COLUMNS:
                text = "".join(normalize_digits(ch) if ch.isdigit() else ch for ch in text)
            values[key] = text
        table.rows.append(ParsedRow(row_number=number, values=values))
    if header is None:
        raise BulkError(BulkErrorCode.BULK_FILE_EMPTY)
    _check_required_columns(table)
    return table


def _header(cells: list[str]) -> dict[int, str]:
    problems = _ColumnProblems()
    header: dict[int, str] = {}
    for index, text in enumerate(cells):
        if not text:
            continue
        key = _header_key(text)
        if key is None:
            problems.unknown.append(text[:60])
        elif key in header.values():
            problems.duplicate.append(key)
        else:
            header[index] = key
    if "operation" not in header.values():
        problems.missing.append(("operation", None))
    if problems:
        raise BulkError(BulkErrorCode.BULK_COLUMNS_INVALID, {"problems": problems})
    return header


def _check_required_columns(table: ParsedTable) -> None:
    present = set(table.columns)
    operations = {operation_code(r.values.get("operation", "")) for r in table.rows}
    problems = _ColumnProblems()
    for operation, needed in REQUIRED_COLUMNS.items():
        if operation in operations:
            problems.missing += [(n, str(operation)) for n in needed if n not in present]
    if problems:
        raise BulkError(BulkErrorCode.BULK_COLUMNS_INVALID, {"problems": problems})


# --- The template -------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="0B6E4F")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def template_csv() -> bytes:
    """The header row only, UTF-8 with a byte-order mark so that Excel shows the Arabic."""
    out = io.StringIO()
    csv.writer(out).writerow([header_text(c) for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _examples() -> list[list[str]]:
    return [
        ["renew_iqama", "2100000005", "12", "", "", "", "", ""],
        ["issue_exit_reentry", "2100000013", "", "single", "days", "60", "", ""],
        ["issue_exit_reentry", "2100000096", "", "multiple", "return_before", "", "2027-06-30", ""],
        ["cancel_visa", "", "", "", "", "", "", "5000000123"],
    ]


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has a sheet
    sheet.title = "Transactions"
    sheet.sheet_view.rightToLeft = True
    sheet.append([header_text(c) for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 24
        # Text cells keep leading zeros and long numbers exactly as typed.
        if column.key in ("iqama_number", "visa_number"):
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    for key, choices in (
        ("operation", Operation.values),
        ("visa_type", VisaType.values),
        ("duration_unit", DurationUnit.values),
    ):
        letter = sheet.cell(row=1, column=COLUMN_KEYS.index(key) + 1).column_letter
        rule = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=True)
        rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(rule)

    guide = workbook.create_sheet("Read me")
    guide.sheet_view.rightToLeft = True
    guide.append(["العمود", "Column", "الوصف", "Description"])
    for column in COLUMNS:
        guide.append(
            [
                header_text(column),
                f"{_in('en', column.label)} / {column.key}",
                _in("ar", column.help),
                _in("en", column.help),
            ]
        )
    guide.append([])
    guide.append(["العملية", "Operation", "", ""])
    for operation in Operation:
        guide.append(
            [
                operation.value,
                operation.value,
                _in("ar", operation.label),
                _in("en", operation.label),
            ]
        )
    guide.append([])
    guide.append([_in("ar", NOTE), "", _in("en", NOTE), ""])
    guide.append([_in("ar", EXAMPLES), "", _in("en", EXAMPLES), ""])
    for example in _examples():
        guide.append(example)
    for cell in guide[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    for letter in "ABCDEFGH":
        guide.column_dimensions[letter].width = 30
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


NOTE = _(
    "One transaction per row in the first sheet, under its header row. Leave the cells an "
    "operation does not use empty. Arabic-Indic digits are accepted. At most 10,000 rows and 10 MB."
)
EXAMPLES = _("Examples (copy to the first sheet):")
