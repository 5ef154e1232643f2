"""Downloads from the oversight pages: the filtered audit log as CSV (streamed row by row) or .xlsx
(the reports' streamed workbook), and each statistics table as CSV.

Every text cell goes through the reports' `safe_text`, so a value typed as `=HYPERLINK(...)` into
any field that reaches the audit log opens as text, never as a formula."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.audit.models import AuditEventType
from muqeem.core.ids import public_number
from muqeem.reports.exports import (
    ExportWorkbook,
    SheetWriter,
    hijri_text,
    new_workbook,
    riyals,
    safe_text,
)
from muqeem.workflow.models import REQUEST_NUMBER_BASE

from .labels import event_label
from .tables import Table

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Excel opens a UTF-8 CSV with Arabic text correctly only when it starts with a byte order mark.
BOM = "\ufeff"
# A worksheet holds 1,048,576 rows; the header takes one.
XLSX_MAX_ROWS = 1_048_575


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([_csv_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([_csv_cell(v) for v in row])


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, filename: str
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_stream(header, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The audit log -------------------------------------------------------------------------------


def audit_headers() -> list[str]:
    return [
        _("Event number"),
        _("Time"),
        _("Date (Hijri)"),
        _("Event"),
        _("Event code"),
        _("User"),
        _("Establishment number"),
        _("Iqama or border number"),
        _("Request number"),
        _("Request ID"),
        _("IP address"),
        _("Details"),
    ]


AUDIT_WIDTHS = (12, 18, 12, 34, 28, 18, 14, 14, 14, 34, 16, 60)


def audit_rows(values: Iterable[tuple[Any, ...]], *, for_csv: bool) -> Iterator[list[Any]]:
    """One output row per `selectors.EXPORT_FIELDS` tuple; times in the kingdom's time."""
    for (
        pk,
        occurred_at,
        event_type,
        username,
        moi_number,
        iqama_number,
        border_number,
        request_pk,
        request_id,
        ip,
        extra,
    ) in values:
        local: datetime = timezone.localtime(occurred_at)
        try:
            name = AuditEventType(event_type).name
        except ValueError:
            name = str(event_type)
        yield [
            pk,
            local.isoformat(timespec="seconds") if for_csv else local,
            hijri_text(local.date()),
            event_label(event_type),
            name,
            username or "",
            moi_number or "",
            iqama_number or border_number or "",
            public_number(request_pk, REQUEST_NUMBER_BASE) if request_pk else "",
            request_id or "",
            ip or "",
            json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else "",
        ]


def audit_workbook(values: Iterable[tuple[Any, ...]]) -> tuple[ExportWorkbook, int]:
    """The workbook and the number of events written (at most a worksheet's rows)."""
    workbook = new_workbook()
    sheet = SheetWriter(workbook, _("Audit log"))
    sheet.widths(AUDIT_WIDTHS)
    sheet.header(audit_headers())
    for row in audit_rows(values, for_csv=False):
        if sheet.rows >= XLSX_MAX_ROWS:
            break
        sheet.row(row)
    return workbook, sheet.rows


# --- Statistics tables ---------------------------------------------------------------------------


def table_csv_header(table: Table) -> list[str]:
    header: list[str] = []
    for column in table.columns:
        header.append(column.header)
        if column.kind == "date":
            header.append(f"{column.header} ({_('Hijri')})")
        elif column.kind == "money":
            header[-1] = f"{column.header} ({_('SAR')})"
    return header


def table_csv_rows(table: Table) -> Iterator[list[Any]]:
    rows = [*table.rows, *([table.footer] if table.footer else [])]
    for row in rows:
        out: list[Any] = []
        for column, value in zip(table.columns, row, strict=True):
            if column.kind == "date":
                is_date = isinstance(value, date)
                out.extend(
                    [value.isoformat() if is_date else value, hijri_text(value) if is_date else ""]
                )
            elif column.kind == "money":
                out.append(_money_text(value))
            else:
                out.append(value)
        yield out


def _money_text(value: Any) -> Any:
    if isinstance(value, int):
        amount: Decimal = riyals(value)
        return f"{amount:.2f}"
    return value
