"""What one row of a bulk file asks for: the operation and the arguments of its service call.

Only the shape of the input is checked here (a number where a number goes), with the same forms the
single pages use where they exist; every business rule is left to the service's `*_check`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from muqeem.bulk.errors import BulkErrorCode, bulk_violation, field_violation
from muqeem.bulk.models import Operation
from muqeem.bulk.spreadsheet import (
    REQUIRED_COLUMNS,
    duration_unit_code,
    operation_code,
    visa_type_code,
)
from muqeem.eservices.exit_reentry.forms import IssueForm
from muqeem.eservices.exit_reentry.models import DurationUnit
from muqeem.eservices.exit_reentry.services import VisaTerms

# Dates are written YYYY-MM-DD; DD/MM/YYYY (the Saudi order) is accepted too, never MM/DD/YYYY.
DAY_FIRST_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


class RenewRowForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)
    months = forms.IntegerField(label=_("Iqama duration"))


class CancelRowForm(forms.Form):
    visa_number = forms.CharField(label=_("Visa number"), max_length=40)


@dataclass(frozen=True)
class RowArguments:
    operation: str
    iqama_number: str = ""
    months: int = 0
    terms: VisaTerms | None = None
    visa_number: str = ""


@dataclass
class RowReading:
    operation: str
    input: dict[str, str]
    subject: str
    arguments: RowArguments | None = None
    violations: list[dict[str, Any]] = field(default_factory=list)


def _iso_date(text: str) -> str:
    match = DAY_FIRST_DATE.match(text.strip())
    if match is None:
        return text
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return text


def _form_violations(form: forms.Form) -> list[dict[str, Any]]:
    out = []
    for name in form.errors:
        messages = {}
        for lang in ("ar", "en"):
            with translation.override(lang):
                label = form.fields[name].label if name in form.fields else ""
                texts = " ".join(str(e) for e in form.errors[name])
                messages[lang] = f"{label}: {texts}" if label else texts
        out.append(field_violation(messages))
    return out


def row_input(values: dict[str, str]) -> tuple[str, dict[str, str], str]:
    """The operation code ("" if unknown), the cells it uses, and the iqama or visa number the row
    is about. Cheap: the upload stores this and leaves the reading itself to the background."""
    operation = operation_code(values.get("operation", "")) or ""
    if not operation:
        return "", dict(values), ""
    used = {"operation": operation} | {k: values.get(k, "") for k in REQUIRED_COLUMNS[operation]}
    subject = used.get("visa_number" if operation == Operation.CANCEL_VISA else "iqama_number", "")
    return operation, used, subject


def read_row(values: dict[str, str]) -> RowReading:
    """The operation, the cells it uses, and either the service arguments or why the row is not
    understood."""
    raw_operation = values.get("operation", "").strip()
    operation = operation_code(raw_operation)
    if operation is None:
        reading = RowReading(operation="", input=dict(values), subject="")
        reading.input["operation"] = raw_operation
        reading.violations.append(
            bulk_violation(
                BulkErrorCode.BULK_OPERATION_UNKNOWN,
                {"value": raw_operation or "—", "allowed": ", ".join(Operation.values)},
            )
        )
        return reading
    used = {"operation": operation} | {k: values.get(k, "") for k in REQUIRED_COLUMNS[operation]}
    if operation == Operation.RENEW_IQAMA:
        return _renew(used)
    if operation == Operation.ISSUE_EXIT_REENTRY:
        return _issue(used)
    return _cancel(used)


def _renew(used: dict[str, str]) -> RowReading:
    reading = RowReading(Operation.RENEW_IQAMA, used, subject=used["iqama_number"])
    form = RenewRowForm(used)
    with translation.override("en"):
        valid = form.is_valid()
    if not valid:
        reading.violations = _form_violations(form)
        return reading
    reading.arguments = RowArguments(
        operation=Operation.RENEW_IQAMA,
        iqama_number=form.cleaned_data["iqama_number"],
        months=form.cleaned_data["months"],
    )
    return reading


def _issue(used: dict[str, str]) -> RowReading:
    reading = RowReading(Operation.ISSUE_EXIT_REENTRY, used, subject=used["iqama_number"])
    unit = duration_unit_code(used["duration_unit"])
    data = {
        "iqama_number": used["iqama_number"],
        "visa_type": visa_type_code(used["visa_type"]),
        "duration_unit": unit,
        # Only the field the unit uses, as the single page shows only that one.
        "duration_value": used["duration_value"] if unit != DurationUnit.RETURN_BEFORE else "",
        "return_before": _iso_date(used["return_before"])
        if unit == DurationUnit.RETURN_BEFORE
        else "",
    }
    form = IssueForm(data)
    with translation.override("en"):
        valid = form.is_valid()
    if not valid:
        reading.violations = _form_violations(form)
        return reading
    cleaned = form.cleaned_data
    reading.arguments = RowArguments(
        operation=Operation.ISSUE_EXIT_REENTRY,
        iqama_number=cleaned["iqama_number"],
        terms=VisaTerms(
            visa_type=cleaned["visa_type"],
            unit=cleaned["duration_unit"],
            value=cleaned.get("duration_value"),
            return_before=cleaned.get("return_before"),
        ),
    )
    return reading


def _cancel(used: dict[str, str]) -> RowReading:
    reading = RowReading(Operation.CANCEL_VISA, used, subject=used["visa_number"])
    form = CancelRowForm(used)
    with translation.override("en"):
        valid = form.is_valid()
    if not valid:
        reading.violations = _form_violations(form)
        return reading
    reading.arguments = RowArguments(
        operation=Operation.CANCEL_VISA, visa_number=form.cleaned_data["visa_number"]
    )
    return reading


def mark_duplicates(readings: list[tuple[int, RowReading]]) -> None:
    """A second row with the same operation on the same iqama or visa is refused: in one file it
    is almost always a copy-paste slip, and running it would charge twice."""
    first_row: dict[tuple[str, str], int] = {}
    for row_number, reading in readings:
        if not reading.operation or not reading.subject or reading.violations:
            continue
        key = (reading.operation, reading.subject)
        if key in first_row:
            reading.violations.append(
                bulk_violation(
                    BulkErrorCode.BULK_DUPLICATE_ROW,
                    {"subject": reading.subject, "row": first_row[key]},
                )
            )
        else:
            first_row[key] = row_number
