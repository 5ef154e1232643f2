"""Reading bulk files: the template round-trips, and every malformed file is refused whole, with a
code, before anything is stored or run."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from muqeem.bulk.errors import BulkError, BulkErrorCode
from muqeem.bulk.models import BulkBatch, BulkRow, FileFormat
from muqeem.bulk.rows import read_row
from muqeem.bulk.services import batches as bulk_batches
from muqeem.bulk.services import bulk_batch_upload
from muqeem.bulk.spreadsheet import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    read_table,
    template_csv,
    template_xlsx,
)
from muqeem.workflow.models import ServiceRequest

from .conftest import HEADER, csv_bytes, issue, renew, xlsx_bytes

IQAMA = "2100000005"
ARABIC_IQAMA = "٢١٠٠٠٠٠٠٠٥"


def refusal(filename: str, data: bytes) -> BulkErrorCode:
    with pytest.raises(BulkError) as refused:
        read_table(filename=filename, data=data)
    assert set(refused.value.messages) == {"ar", "en"}
    return refused.value.code


# --- The template -------------------------------------------------------------------------------


def test_xlsx_template_has_bilingual_headers_and_reads_back():
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers == HEADER
    assert "رقم الإقامة / iqama_number" in headers
    assert headers[0].endswith("/ operation")
    assert "Read me" in workbook.sheetnames
    sheet.append(renew(IQAMA, 12))
    out = io.BytesIO()
    workbook.save(out)
    table = read_table(filename="filled.xlsx", data=out.getvalue())
    assert table.file_format == FileFormat.XLSX
    assert [(r.row_number, r.values["iqama_number"], r.values["months"]) for r in table.rows] == [
        (2, IQAMA, "12")
    ]


def test_csv_template_is_utf8_with_bom_and_reads_back():
    content = template_csv()
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").strip() == ",".join(HEADER)
    filled = content + ",".join(renew(IQAMA, 6)).encode() + b"\r\n"
    table = read_table(filename="filled.csv", data=filled)
    assert table.rows[0].values["months"] == "6"


@pytest.mark.parametrize(
    "header",
    [
        ["operation", "iqama_number", "months"],
        ["Operation", "Iqama number", "Iqama duration"],
        ["العملية", "رقم الإقامة", "مدة الإقامة"],
        ["العملية / operation", "رقم الإقامة / iqama_number", "مدة الإقامة / months"],
    ],
)
def test_headers_are_recognised_by_key_or_label(header):
    table = read_table(filename="f.csv", data=csv_bytes([["renew_iqama", IQAMA, "12"]], header))
    assert table.rows[0].values == {
        "operation": "renew_iqama",
        "iqama_number": IQAMA,
        "months": "12",
    }


def test_arabic_indic_digits_and_arabic_choice_labels_are_read():
    content = csv_bytes(
        [
            ["تجديد الإقامة", ARABIC_IQAMA, "١٢", "", "", "", "", ""],
            [
                "issue_exit_reentry",
                ARABIC_IQAMA,
                "",
                "مفردة",
                "العودة قبل تاريخ",
                "",
                "٣٠/٠٦/٢٠٢٧",
                "",
            ],
        ]
    )
    rows = read_table(filename="f.csv", data=content).rows
    renewal = read_row(rows[0].values)
    assert renewal.arguments is not None
    assert (renewal.arguments.operation, renewal.arguments.iqama_number) == ("renew_iqama", IQAMA)
    assert renewal.arguments.months == 12
    visa = read_row(rows[1].values)
    assert visa.arguments is not None and visa.arguments.terms is not None
    assert visa.arguments.terms.visa_type == "single"
    assert visa.arguments.terms.unit == "return_before"
    assert visa.arguments.terms.return_before.isoformat() == "2027-06-30"


def test_xlsx_numbers_and_dates_are_read_as_text():
    content = xlsx_bytes(
        [
            ["renew_iqama", 2100000005, 12.0, None, None, None, None, None],
            [
                "issue_exit_reentry",
                2100000005,
                None,
                "multiple",
                "return_before",
                None,
                datetime(2027, 6, 30),
                None,
            ],
        ]
    )
    rows = read_table(filename="f.xlsx", data=content).rows
    assert rows[0].values["iqama_number"] == IQAMA
    assert rows[0].values["months"] == "12"
    assert rows[1].values["return_before"] == "2027-06-30"


def test_semicolon_csv_and_blank_lines_keep_spreadsheet_row_numbers():
    content = b"operation;iqama_number;months\r\n\r\nrenew_iqama;2100000005;12\r\n"
    rows = read_table(filename="f.csv", data=content).rows
    assert [(r.row_number, r.values["iqama_number"]) for r in rows] == [(3, IQAMA)]


def test_field_errors_come_in_both_languages():
    reading = read_row(dict(zip(HEADER_KEYS, issue(IQAMA, "triple", "weeks", "x"), strict=True)))
    assert reading.arguments is None
    assert {v["code"] for v in reading.violations} == {"VALIDATION_FAILED"}
    # visa type, duration unit and duration: every problem of the row at once.
    assert len(reading.violations) == 3
    for v in reading.violations:
        assert v["messages"]["ar"] != v["messages"]["en"]


HEADER_KEYS = [h.split(" / ")[1] for h in HEADER]


# --- Refused files ------------------------------------------------------------------------------


def test_wrong_columns_are_refused():
    assert refusal("f.csv", csv_bytes([["a", "b"]], ["name", "salary"])) == (
        BulkErrorCode.BULK_COLUMNS_INVALID
    )


def test_a_column_an_operation_needs_is_required():
    content = csv_bytes([["renew_iqama", IQAMA]], ["operation", "iqama_number"])
    assert refusal("f.csv", content) == BulkErrorCode.BULK_COLUMNS_INVALID


def test_duplicate_columns_are_refused():
    content = csv_bytes(
        [["renew_iqama", IQAMA, IQAMA, "12"]], [*HEADER[:2], "iqama_number", "months"]
    )
    assert refusal("f.csv", content) == BulkErrorCode.BULK_COLUMNS_INVALID


def test_windows_1256_csv_is_refused():
    content = csv_bytes([renew(IQAMA)], encoding="cp1256")
    content.decode("cp1256")  # a real Windows-1256 file with the Arabic headers
    assert refusal("f.csv", content) == BulkErrorCode.BULK_FILE_ENCODING


def test_junk_is_refused():
    junk = os.urandom(64 * 1024)
    assert refusal("f.xlsx", junk) == BulkErrorCode.BULK_FILE_UNREADABLE
    assert refusal("f.csv", b"operation\x00\x01\x02") == BulkErrorCode.BULK_FILE_UNREADABLE


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert refusal("f.xlsx", out.getvalue()) == BulkErrorCode.BULK_FILE_UNREADABLE


def test_other_file_types_are_refused():
    assert refusal("f.pdf", b"%PDF-1.7") == BulkErrorCode.BULK_FILE_TYPE_NOT_ALLOWED
    assert refusal("f.xls", b"\xd0\xcf\x11\xe0") == BulkErrorCode.BULK_FILE_TYPE_NOT_ALLOWED


def test_empty_files_are_refused():
    assert refusal("f.csv", b"") == BulkErrorCode.BULK_FILE_EMPTY
    assert refusal("f.csv", csv_bytes([])) == BulkErrorCode.BULK_FILE_EMPTY
    assert refusal("f.xlsx", xlsx_bytes([])) == BulkErrorCode.BULK_FILE_EMPTY


def test_too_many_rows_are_refused():
    line = ",".join(renew(IQAMA)).encode() + b"\n"
    content = csv_bytes([]) + line * (MAX_ROWS + 1)
    assert refusal("f.csv", content) == BulkErrorCode.BULK_TOO_MANY_ROWS
    # Exactly the limit is fine.
    assert len(read_table(filename="f.csv", data=csv_bytes([]) + line * MAX_ROWS).rows) == MAX_ROWS


@pytest.mark.django_db
def test_fifty_megabytes_of_junk_are_refused_by_size_before_parsing(hr_officer, monkeypatch):
    def must_not_parse(**kwargs):
        raise AssertionError("a file over the size limit was parsed")

    monkeypatch.setattr(bulk_batches, "read_table", must_not_parse)
    junk = io.BytesIO(os.urandom(50 * 1024 * 1024))
    with pytest.raises(BulkError) as refused:
        bulk_batch_upload(actor=hr_officer, filename="junk.xlsx", size=50 * 2**20, content=junk)
    assert refused.value.code == BulkErrorCode.BULK_FILE_TOO_LARGE
    assert refused.value.http_status == 413
    assert junk.tell() == 0
    # A size that lies is caught by reading no more than the limit.
    junk.seek(0)
    with pytest.raises(BulkError) as lied:
        bulk_batch_upload(actor=hr_officer, filename="junk.xlsx", size=10, content=junk)
    assert lied.value.code == BulkErrorCode.BULK_FILE_TOO_LARGE
    assert junk.tell() == MAX_FILE_BYTES + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("wrong-columns.csv", csv_bytes([["x"]], ["colour"])),
        ("arabic-windows.csv", csv_bytes([renew(IQAMA)], encoding="cp1256")),
        ("junk.xlsx", b"PK\x03\x04" + b"\x00" * 4096),
        ("empty.csv", b""),
    ],
)
def test_a_refused_file_stores_and_runs_nothing(
    hr_officer, name, content, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(BulkError):
        bulk_batch_upload(
            actor=hr_officer, filename=name, size=len(content), content=io.BytesIO(content)
        )
    assert callbacks == []
    assert not BulkBatch.objects.exists()
    assert not BulkRow.objects.exists()
    assert not ServiceRequest.objects.exists()
