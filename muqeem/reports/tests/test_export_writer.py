"""The exports' .xlsx writer (XlsxWriter, constant memory): what a spreadsheet program reads back
from it (here openpyxl) is what was written — text as text whatever it holds, numbers, amounts,
dates — in a sheet that keeps the page's direction, a frozen bold header and the column widths;
and no temporary file outlives the download."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import translation
from lxml import etree

from muqeem.reports.exports import (
    MAX_TEXT,
    SheetWriter,
    new_workbook,
    workbook_file,
    workbook_response,
)


def build(rows: list[list[Any]], *, language: str = "ar", header_row: int = 1, **kw: Any) -> bytes:
    with translation.override(language):
        workbook = new_workbook()
        sheet = SheetWriter(workbook, kw.get("title", "Sheet"), header_row=header_row)
        sheet.widths(kw.get("widths", (14, 30)))
        for row in rows[: header_row - 1]:
            sheet.row(row)
        sheet.header(kw.get("header", ["First", "Second"]))
        for row in rows[header_row - 1 :]:
            sheet.row(row)
        with workbook_file(workbook) as out:
            return out.read()


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data)).active


MARKUP = [
    "<r><t>run</t></r>",
    '</t></is></c><c r="Z9"><f>1+1</f></c><c t="inlineStr"><is><t>',
    "a & b <c> \"quoted\" 'single'",
    "  spaces at both ends  ",
    "first line\nsecond line",
    "محمد عبدالله",
]


def test_text_reads_back_exactly_as_written_and_never_as_markup_or_a_formula():
    ws = load(build([[text] for text in MARKUP]))
    cells = list(ws.iter_rows(min_row=2))
    assert [row[0].value for row in cells] == MARKUP
    assert all(row[0].data_type == "s" for row in cells)
    assert ws.max_row == len(MARKUP) + 1 and ws.max_column == 2  # the header's two columns
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_formula_characters_get_the_apostrophe():
    ws = load(build([["=HYPERLINK(1)", "+SUM(A1)"], ["-1", "@A1"]]))
    values = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert values == [["'=HYPERLINK(1)", "'+SUM(A1)"], ["'-1", "'@A1"]]


def test_control_characters_are_escaped_and_the_file_stays_valid_xml():
    data = build([["bell\x07here", "_x0041_ stays literal"], ["'\r=1", None]])
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            etree.fromstring(package.read(name))  # well-formed
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    # Excel's escapes: the control character as _xHHHH_, a literal escape-like text kept literal.
    assert "bell_x0007_here" in sheet and "_x005F_x0041_ stays literal" in sheet
    assert "'_x000D_=1" in sheet


def test_over_long_text_is_cut_to_what_a_cell_holds():
    ws = load(build([["x" * (MAX_TEXT + 10)]]))
    assert len(ws["A2"].value) == MAX_TEXT


def test_numbers_amounts_and_dates_are_real_cells_with_their_formats():
    aware = datetime(2026, 1, 2, 13, 30, tzinfo=UTC)
    ws = load(
        build(
            [[7, 2.5, True, Decimal("1234.50"), date(2026, 1, 2), aware, None, "", "after"]],
            header=["a", "b", "c", "d", "e", "f", "g", "h", "i"],
        )
    )
    row = next(ws.iter_rows(min_row=2))
    assert [c.value for c in row[:6]] == [
        7,
        2.5,
        True,
        1234.5,
        datetime(2026, 1, 2),
        datetime(2026, 1, 2, 13, 30),  # the time as given, without its zone (as before)
    ]
    assert row[3].number_format == "#,##0.00"
    assert row[4].number_format == "DD/MM/YYYY" and row[4].is_date
    assert row[5].number_format == "DD/MM/YYYY HH:MM"
    assert row[6].value is None and row[7].value is None  # empty cells are left out
    assert row[8].value == "after"


def test_dates_have_excels_serial_numbers():
    data = build([[date(1900, 2, 28), date(1900, 3, 1), date(2026, 1, 2)]], header=["a", "b", "c"])
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    # Excel counts a 29 February 1900 that never was: 1 March 1900 is day 61.
    assert "<v>59</v>" in sheet and "<v>61</v>" in sheet and "<v>46024</v>" in sheet


def test_arabic_sheets_run_right_to_left_with_a_frozen_bold_header_and_widths():
    arabic = load(build([["a", "b"]], language="ar"))
    assert arabic.sheet_view.rightToLeft is True
    assert arabic.freeze_panes == "A2"
    assert all(cell.font.b for cell in arabic[1])
    assert not any(cell.font.b for cell in arabic[2])
    # Stored as Excel stores a width it shows as 14 and 30 characters.
    assert round(arabic.column_dimensions["A"].width) == 15
    assert round(arabic.column_dimensions["B"].width) == 31
    english = load(build([["a", "b"]], language="en"))
    assert english.sheet_view.rightToLeft is not True


def test_lines_above_the_header_stay_frozen_with_it():
    ws = load(build([["Title"], [], ["From", date(2026, 1, 1)]], header_row=4))
    assert ws.freeze_panes == "A5"
    assert [c.value for c in ws[4]] == ["First", "Second"]
    assert ws["A1"].value == "Title" and ws["A2"].value is None


def test_sheet_names_are_made_acceptable_to_excel():
    assert load(build([], title="Audit: a/b [x]?")).title == "Audit  a b  x"
    assert len(load(build([], title="x" * 40)).title) == 31


def test_column_widths_go_before_the_first_row():
    workbook = new_workbook()
    sheet = SheetWriter(workbook, "Sheet")
    sheet.row(["a"])
    with pytest.raises(ValueError):
        sheet.widths((10,))


@pytest.mark.django_db  # closing a response signals the end of a request, which tidies connections
def test_the_response_closes_its_file_and_the_rows_files_once_sent():
    workbook = new_workbook()
    sheet = SheetWriter(workbook, "Sheet")
    for n in range(1_200):
        sheet.row([n, f"row {n}"])
    rows_folder = Path(workbook._tmpdir.name)
    assert rows_folder.is_dir()  # the rows, written as they came
    response = workbook_response(workbook, filename="x.xlsx")
    assert not rows_folder.exists()
    spool = response.file_to_stream
    data = b"".join(response.streaming_content)
    response.close()
    assert spool.closed  # an anonymous temporary file: closed is deleted
    ws = load(data)
    assert ws.max_row == 1_200 and ws["B1200"].value == "row 1199"
