"""Helpers for the bulk tests: build .csv/.xlsx files in memory, upload them, run the tasks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.bulk.spreadsheet import COLUMNS, header_text

HEADER = [header_text(c) for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]


def line(operation: str, **values: Any) -> list[str]:
    """One data row in template column order: `line("renew_iqama", iqama_number=..., months=12)`."""
    cells = {"operation": operation, **{k: "" if v is None else str(v) for k, v in values.items()}}
    return [cells.get(key, "") for key in KEYS]


def renew(iqama: str, months: int | str = 12) -> list[str]:
    return line("renew_iqama", iqama_number=iqama, months=months)


def issue(iqama: str, visa_type: str = "single", unit: str = "days", value: Any = 60, **kw: Any):
    return line(
        "issue_exit_reentry",
        iqama_number=iqama,
        visa_type=visa_type,
        duration_unit=unit,
        duration_value=value,
        **kw,
    )


def cancel(visa_number: str) -> list[str]:
    return line("cancel_visa", visa_number=visa_number)


def csv_bytes(
    rows: Iterable[Sequence[Any]], header: Sequence[str] = HEADER, encoding: str = "utf-8-sig"
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Iterable[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload_file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def officer_client(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client
