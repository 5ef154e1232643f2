"""The result file of a batch (.xlsx): one line per row of the upload, with its outcome and reasons
in Arabic and English, and a summary sheet."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from muqeem.bulk.models import BatchStatus, BulkBatch, BulkRow, Operation, RowStatus
from muqeem.reports.exports import safe_text

RESULT_COLUMNS: tuple[tuple[str, Promise], ...] = (
    ("row", _("Row")),
    ("operation", _("Operation")),
    ("subject", _("Iqama or visa number")),
    ("resident_name", _("Resident name")),
    ("status", _("Status")),
    ("status_ar", _("Status (Arabic)")),
    ("status_en", _("Status (English)")),
    ("request_number", _("Request number")),
    ("visa_number", _("Visa number")),
    ("fee_sar", _("Fees (SAR)")),
    ("codes", _("Codes")),
    ("reason_ar", _("Reason (Arabic)")),
    ("reason_en", _("Reason (English)")),
)
BOLD = Font(bold=True)


def _ar(text: Promise | str) -> str:
    with translation.override("ar"):
        return str(text)


def _en(text: Promise | str) -> str:
    with translation.override("en"):
        return str(text)


def _header(sheet: WriteOnlyWorksheet, texts: Iterable[str]) -> None:
    cells = []
    for text in texts:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = BOLD
        cells.append(cell)
    sheet.append(cells)


def _sar(halalas: int | None) -> Decimal | None:
    return None if halalas is None else Decimal(halalas) / 100


def _text(value: Any) -> Any:
    """A cell from the upload shows as typed: `=HYPERLINK(...)` in a row (or the file's name) must
    not come back as a formula in the result file."""
    return safe_text(value) if isinstance(value, str) else value


def _line(row: BulkRow) -> list[Any]:
    status = RowStatus(row.status)
    detail = row.detail or {}
    fee = row.fee_charged_halalas if row.status == RowStatus.DONE else row.fee_quoted_halalas
    reasons = row.violations or []
    cells = [
        row.row_number,
        row.operation or row.input.get("operation", ""),
        row.subject,
        " / ".join(n for n in (detail.get("name_ar"), detail.get("name_en")) if n),
        row.status,
        _ar(status.label),
        _en(status.label),
        row.request_number,
        detail.get("visa_number", "") or row.input.get("visa_number", ""),
        _sar(fee),
        " ".join(str(v.get("code", "")) for v in reasons),
        "\n".join(str(v.get("messages", {}).get("ar", "")) for v in reasons),
        "\n".join(str(v.get("messages", {}).get("en", "")) for v in reasons),
    ]
    return [_text(cell) for cell in cells]


def bulk_result_workbook(*, batch: BulkBatch) -> bytes:
    workbook = Workbook(write_only=True)
    rows_sheet = workbook.create_sheet("Rows")
    rows_sheet.sheet_view.rightToLeft = True
    _header(rows_sheet, (f"{_ar(label)} / {key}" for key, label in RESULT_COLUMNS))
    for row in BulkRow.objects.filter(batch=batch).order_by("row_number").iterator(2000):
        rows_sheet.append(_line(row))

    summary = workbook.create_sheet("Summary")
    summary.sheet_view.rightToLeft = True
    _header(summary, ("البند", "Item", "القيمة / Value"))
    local = timezone.localtime
    lines: list[tuple[Promise, Any]] = [
        (_("File name"), batch.filename),
        (pgettext_lazy("file checksum", "SHA-256"), batch.file_sha256),
        (_("Uploaded at"), local(batch.created_at).strftime("%Y-%m-%d %H:%M")),
        (
            _("Status"),
            f"{_ar(BatchStatus(batch.status).label)} / {_en(BatchStatus(batch.status).label)}",
        ),
        (_("Rows"), batch.rows_total),
        (_("Done"), batch.rows_done),
        (pgettext_lazy("bulk row status", "Failed"), batch.rows_failed),
        (_("Already done"), batch.rows_skipped),
        (_("Cannot be done"), batch.rows_invalid),
        (_("Not run yet"), batch.rows_valid + batch.rows_processing + batch.rows_pending),
        (_("Fees of the valid rows (SAR)"), _sar(batch.fees_quoted_halalas)),
        (_("Fees charged (SAR)"), _sar(batch.fees_charged_halalas)),
    ]
    for label, value in lines:
        summary.append([_ar(label), _en(label), _text(value)])
    summary.append([])
    summary.append([_ar(_("Operations")), _en(_("Operations"))])
    for operation in Operation:
        summary.append([_ar(operation.label), _en(operation.label), operation.value])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
