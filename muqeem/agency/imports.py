"""Agency CSV files: one file per kind, its template, reading it, and checking every row.

Reading refuses a whole file that is not a UTF-8 CSV of the kind's columns (BULK_* codes). Checking
(`plan_rows`) turns each row into the change it would make, or into errors naming the row, the column
and the reason in both languages. Nothing here writes: `services_import` applies a plan."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode, render_bilingual
from muqeem.core.ids import iqama_number_problem, normalize_digits
from muqeem.core.money import riyals
from muqeem.integrations.models import IntegrationKind
from muqeem.residents.models import Resident

from .models import ImportKind, TrafficFine
from .services import (
    FINE_NUMBER_RE,
    MAX_FINE_HALALAS,
    MAX_REFERENCE,
    MAX_TEXT,
    MAX_VEHICLES,
    FineTerms,
    fine_number_text,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
MAX_COLUMNS = 20
MAX_CELL = 200
CSV_DELIMITERS = (",", ";", "\t")

# Which agency's credential may upload which file.
IMPORT_SOURCES: dict[str, str] = {
    ImportKind.INSURANCE: IntegrationKind.INSURANCE,
    ImportKind.TRAFFIC_FINES: IntegrationKind.TRAFFIC,
    ImportKind.TRAFFIC_PAYMENTS: IntegrationKind.TRAFFIC,
    ImportKind.FINGERPRINT: IntegrationKind.BIOMETRIC,
    ImportKind.VEHICLES: IntegrationKind.VEHICLES,
    ImportKind.ABSENCE: IntegrationKind.LABOUR,
}


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    help: Promise
    required: bool = True


IQAMA = Column("iqama_number", _("Iqama number"), _("10 digits starting with 2"))
FINE_NUMBER = Column(
    "fine_number", _("Fine number"), _("The traffic department's number of the fine")
)
COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.INSURANCE: (
        IQAMA,
        Column("insurance_active", _("Insurance active"), _("yes or no")),
        Column(
            "insurance_expiry_date",
            _("Insurance expiry date"),
            _("YYYY-MM-DD or DD/MM/YYYY; required when the insurance is active"),
            required=False,
        ),
    ),
    ImportKind.TRAFFIC_FINES: (
        FINE_NUMBER,
        IQAMA,
        Column("amount_sar", _("Amount (SAR)"), _("In riyals, e.g. 500 or 150.50")),
        Column("violation", _("Violation"), _("At most 200 characters")),
        Column("issued_on", _("Issued on"), _("YYYY-MM-DD or DD/MM/YYYY")),
    ),
    ImportKind.TRAFFIC_PAYMENTS: (
        FINE_NUMBER,
        Column(
            "paid_on", _("Paid on"), _("YYYY-MM-DD or DD/MM/YYYY; today if empty"), required=False
        ),
        Column(
            "payment_reference",
            _("Payment reference"),
            _("The SADAD payment reference, optional"),
            required=False,
        ),
    ),
    ImportKind.FINGERPRINT: (
        IQAMA,
        Column("fingerprint_registered", _("Fingerprint registered"), _("yes or no")),
    ),
    ImportKind.VEHICLES: (
        IQAMA,
        Column("registered_vehicles", _("Registered vehicles"), _("A whole number, 0 to 999")),
    ),
    ImportKind.ABSENCE: (
        IQAMA,
        Column("action", _("Action"), _("report or withdraw")),
    ),
}
EXAMPLES: dict[str, list[list[str]]] = {
    ImportKind.INSURANCE: [["2100000005", "yes", "2027-06-30"], ["2100000013", "no", ""]],
    ImportKind.TRAFFIC_FINES: [["TF-2026-000123", "2100000005", "500", "Speeding", "2026-11-01"]],
    ImportKind.TRAFFIC_PAYMENTS: [["TF-2026-000123", "2026-11-20", "SADAD-889900"]],
    ImportKind.FINGERPRINT: [["2100000005", "yes"]],
    ImportKind.VEHICLES: [["2100000005", "1"]],
    ImportKind.ABSENCE: [["2100000005", "report"], ["2100000013", "withdraw"]],
}
NUMERIC = frozenset({"iqama_number", "registered_vehicles"})
YES = frozenset({"yes", "y", "true", "1", "نعم", "active", "registered", "نشط", "مسجل"})
NO = frozenset({"no", "n", "false", "0", "لا", "inactive", "not registered", "غير نشط", "غير مسجل"})
REPORT = frozenset({"report", "reported", "بلاغ", "إبلاغ", "تبليغ"})
WITHDRAW = frozenset({"withdraw", "withdrawn", "cancel", "إلغاء", "إلغاء البلاغ", "سحب"})


def _in(lang: str, text: Promise | str) -> str:
    with translation.override(lang):
        return str(text)


def both(text: Promise, **params: Any) -> dict[str, str]:
    out = {}
    for lang in ("ar", "en"):
        with translation.override(lang):
            out[lang] = str(text).format(**{k: str(v) for k, v in params.items()})
    return out


def header_text(column: Column) -> str:
    return f"{_in('ar', column.label)} / {column.key}"


def template_csv(kind: str) -> bytes:
    """The header row and an example row, UTF-8 with a byte-order mark so Excel shows the Arabic."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header_text(c) for c in COLUMNS[kind]])
    for example in EXAMPLES[kind]:
        writer.writerow(example)
    return out.getvalue().encode("utf-8-sig")


# --- Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]


def _fold(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def _header_key(kind: str, text: str) -> str | None:
    for part in [text, *text.split("/")]:
        folded = _fold(part)
        if not folded:
            continue
        for column in COLUMNS[kind]:
            names = (column.key, _in("en", column.label), _in("ar", column.label))
            if folded in {_fold(n) for n in names}:
                return column.key
    return None


def decode(data: bytes) -> str:
    """The text of an uploaded CSV, or a refusal of the whole file saying why."""
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(ErrorCode.BULK_FILE_TOO_LARGE, {"max_mb": MAX_FILE_BYTES // 1024 // 1024})
    if not data.strip():
        raise DomainError(ErrorCode.BULK_FILE_EMPTY)
    if data[:4] == b"PK\x03\x04" or b"\x00" in data:
        raise DomainError(ErrorCode.BULK_FILE_UNREADABLE, {"file_format": "CSV"})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(ErrorCode.BULK_FILE_ENCODING) from None


def read_rows(kind: str, text: str) -> list[Row]:
    """The non-empty rows under the header, values keyed by column; refuses a wrong header."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    header: dict[int, str] | None = None
    rows: list[Row] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, raw in enumerate(reader, start=1):
            cells = [c.strip() for c in raw[:MAX_COLUMNS]]
            if not any(cells):
                continue
            if header is None:
                header = _header(kind, cells)
                continue
            if len(rows) >= MAX_ROWS:
                raise DomainError(ErrorCode.BULK_TOO_MANY_ROWS, {"max_rows": f"{MAX_ROWS:,}"})
            values = {}
            for index, key in header.items():
                value = cells[index] if index < len(cells) else ""
                values[key] = value[: MAX_CELL + 1]
            rows.append(Row(number=number, values=values))
    except csv.Error:
        raise DomainError(ErrorCode.BULK_FILE_UNREADABLE, {"file_format": "CSV"}) from None
    if not rows:
        raise DomainError(ErrorCode.BULK_FILE_EMPTY)
    return rows


def _header(kind: str, cells: list[str]) -> dict[int, str]:
    from django.utils.translation import gettext

    header: dict[int, str] = {}
    problems: list[str] = []
    for index, text in enumerate(cells):
        if not text:
            continue
        key = _header_key(kind, text)
        if key is None:
            problems.append(gettext("unknown column “%(name)s”") % {"name": text[:60]})
        elif key in header.values():
            problems.append(gettext("column “%(name)s” appears twice") % {"name": key})
        else:
            header[index] = key
    for column in COLUMNS[kind]:
        if column.required and column.key not in header.values():
            problems.append(gettext("missing column “%(name)s”") % {"name": column.key})
    if problems:
        raise DomainError(ErrorCode.BULK_COLUMNS_INVALID, {"problems": "; ".join(problems)})
    return header


# --- Checking ------------------------------------------------------------------------------------

NOT_FOUND = _("No resident has this iqama number.")
REQUIRED = _("This value is required.")
NOT_YES_NO = _("Write yes or no.")
BAD_DATE = _("Write a date as YYYY-MM-DD or DD/MM/YYYY.")
FUTURE_DATE = _("The date cannot be in the future.")
BAD_AMOUNT = _("Write an amount in riyals greater than zero, with at most two decimals.")
BAD_COUNT = _("Write a whole number from 0 to 999.")
BAD_ACTION = _("Write report or withdraw.")
BAD_FINE_NUMBER = _("A fine number is 1 to 30 letters, digits, dashes or slashes.")
TOO_LONG = _("The value is longer than {max} characters.")
EXPIRY_NEEDED = _("An active insurance needs its expiry date.")
DUPLICATE = _("The same {subject} is already in row {row}.")
FINE_DIFFERENT = _("Fine {number} is already recorded with different details.")
FINE_MISSING = _("No traffic fine with this number exists.")
FINE_PAID_OTHER = _("This traffic fine is already paid with another payment reference.")


@dataclass
class RowError:
    row: int
    column: str
    code: str
    messages: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "messages": self.messages,
        }


@dataclass
class PlannedRow:
    """What one valid row does: set `values` on a resident, issue a fine, or pay one."""

    row: int
    iqama_number: str
    resident_id: int
    values: dict[str, Any] = field(default_factory=dict)
    fine_terms: FineTerms | None = None
    fine_number: str = ""
    paid_at: datetime | None = None
    payment_reference: str = ""
    absence: bool | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass
class Plan:
    kind: str
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    row_count: int = 0

    @property
    def change_count(self) -> int:
        return sum(1 for r in self.rows if r.changed)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def changes_json(self) -> list[dict[str, Any]]:
        return [
            {"row": r.row, "iqama_number": r.iqama_number, **change}
            for r in self.rows
            for change in r.changes
        ]

    def errors_json(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.errors]


class _RowChecker:
    def __init__(self, row: Row, errors: list[RowError]) -> None:
        self.row = row
        self.errors = errors
        self.ok = True

    def fail(
        self,
        column: str,
        text: Promise | None = None,
        code: ErrorCode = ErrorCode.VALIDATION_FAILED,
        **params: Any,
    ) -> None:
        messages = both(text, **params) if text is not None else render_bilingual(code)
        self.errors.append(RowError(self.row.number, column, str(code), messages))
        self.ok = False

    def text(self, key: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
        value = " ".join(self.row.values.get(key, "").split())
        if not value and required:
            self.fail(key, REQUIRED)
        elif len(value) > limit:
            self.fail(key, TOO_LONG, max=limit)
        return value

    def iqama(self) -> str:
        value = normalize_digits(self.row.values.get("iqama_number", ""))
        if not value:
            self.fail("iqama_number", REQUIRED)
        elif iqama_number_problem(value) is not None:
            self.fail("iqama_number", code=ErrorCode.IQAMA_NUMBER_INVALID)
        return value

    def fine_number(self) -> str:
        value = fine_number_text(self.row.values.get("fine_number", ""))
        if not value:
            self.fail("fine_number", REQUIRED)
        elif not FINE_NUMBER_RE.match(value):
            self.fail("fine_number", BAD_FINE_NUMBER)
        return value

    def yes_no(self, key: str) -> bool | None:
        value = _fold(self.row.values.get(key, ""))
        if value in YES:
            return True
        if value in NO:
            return False
        self.fail(key, REQUIRED if not value else NOT_YES_NO)
        return None

    def day(self, key: str, *, required: bool = True) -> date | None:
        raw = "".join(
            normalize_digits(ch) if ch.isdigit() else ch for ch in self.row.values.get(key, "")
        )
        raw = raw.strip()
        if not raw:
            if required:
                self.fail(key, REQUIRED)
            return None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d"):
            try:
                return datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a date, not a moment
            except ValueError:
                continue
        self.fail(key, BAD_DATE)
        return None

    def past_day(self, key: str, *, required: bool = True) -> date | None:
        value = self.day(key, required=required)
        if value is not None and value > today():
            self.fail(key, FUTURE_DATE)
            return None
        return value

    def amount(self, key: str) -> int | None:
        typed = self.row.values.get(key, "")
        raw = normalize_digits(typed).replace("٫", ".").replace("٬", "")
        if not raw:
            self.fail(key, REQUIRED)
            return None
        if "-" in typed:
            self.fail(key, BAD_AMOUNT)
            return None
        try:
            halalas = riyals(Decimal(raw))
        except (InvalidOperation, ValueError):
            self.fail(key, BAD_AMOUNT)
            return None
        if not 0 < halalas <= MAX_FINE_HALALAS:
            self.fail(key, BAD_AMOUNT)
            return None
        return halalas

    def count(self, key: str) -> int | None:
        typed = self.row.values.get(key, "")
        raw = normalize_digits(typed)
        if not raw:
            self.fail(key, REQUIRED)
            return None
        if "-" in typed or not raw.isascii() or not raw.isdigit() or int(raw) > MAX_VEHICLES:
            self.fail(key, BAD_COUNT)
            return None
        return int(raw)


def _change(field_name: str, old: Any, new: Any) -> dict[str, Any]:
    return {"field": field_name, "old": _plain(old), "new": _plain(new)}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _set_changes(resident: Resident, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        _change(name, getattr(resident, name), value)
        for name, value in values.items()
        if _plain(getattr(resident, name)) != _plain(value)
    ]


def residents_for(rows: Iterable[Row], *, lock: bool = False) -> dict[str, Resident]:
    """The residents a file names, by iqama number, in one query (locked in id order)."""
    numbers = {normalize_digits(r.values.get("iqama_number", "")) for r in rows}
    numbers.discard("")
    qs = Resident.objects.filter(iqama_number__in=numbers).order_by("pk")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return {r.iqama_number: r for r in qs.select_related("establishment") if r.iqama_number}


def fines_for(rows: Iterable[Row], *, lock: bool = False) -> dict[str, TrafficFine]:
    numbers = {fine_number_text(r.values.get("fine_number", "")) for r in rows}
    numbers.discard("")
    qs = TrafficFine.objects.filter(number__in=numbers).order_by("pk")
    if lock:
        qs = qs.select_for_update()
    return {f.number: f for f in qs}


def plan_rows(
    kind: str,
    rows: list[Row],
    *,
    residents: Mapping[str, Resident],
    fines: Mapping[str, TrafficFine],
    residents_by_id: Mapping[int, Resident] | None = None,
) -> Plan:
    """Every row checked against the current data; a row either plans a change or has errors."""
    plan = Plan(kind=kind, row_count=len(rows))
    seen: dict[str, int] = {}
    for row in rows:
        check = _RowChecker(row, plan.errors)
        planned = _plan_row(
            kind,
            row,
            check,
            residents=residents,
            fines=fines,
            residents_by_id=residents_by_id or {},
        )
        if planned is None or not check.ok:
            continue
        subject = planned.fine_number or planned.iqama_number
        if subject in seen:
            column = "fine_number" if planned.fine_number else "iqama_number"
            check.fail(column, DUPLICATE, subject=subject, row=seen[subject])
            continue
        seen[subject] = row.number
        plan.rows.append(planned)
    return plan


def _resident(
    check: _RowChecker, number: str, residents: Mapping[str, Resident]
) -> Resident | None:
    if not check.ok:
        return None
    resident = residents.get(number)
    if resident is None:
        check.fail("iqama_number", NOT_FOUND, code=ErrorCode.RESIDENT_UNKNOWN)
    return resident


def _plan_row(
    kind: str,
    row: Row,
    check: _RowChecker,
    *,
    residents: Mapping[str, Resident],
    fines: Mapping[str, TrafficFine],
    residents_by_id: Mapping[int, Resident],
) -> PlannedRow | None:
    if kind == ImportKind.TRAFFIC_PAYMENTS:
        return _plan_payment(row, check, fines, residents_by_id)
    number = check.iqama()
    values: dict[str, Any] = {}
    absence: bool | None = None
    terms: FineTerms | None = None
    fine_number = ""
    if kind == ImportKind.INSURANCE:
        active = check.yes_no("insurance_active")
        expiry = check.day("insurance_expiry_date", required=False)
        if (
            active
            and expiry is None
            and "insurance_expiry_date"
            not in [e.column for e in check.errors if e.row == row.number]
        ):
            check.fail("insurance_expiry_date", EXPIRY_NEEDED)
        values = {"insurance_active": active, "insurance_expiry_date": expiry}
    elif kind == ImportKind.FINGERPRINT:
        values = {"fingerprint_registered": check.yes_no("fingerprint_registered")}
    elif kind == ImportKind.VEHICLES:
        values = {"registered_vehicles": check.count("registered_vehicles")}
    elif kind == ImportKind.ABSENCE:
        action = _fold(row.values.get("action", ""))
        if action in REPORT:
            absence = True
        elif action in WITHDRAW:
            absence = False
        else:
            check.fail("action", REQUIRED if not action else BAD_ACTION)
    elif kind == ImportKind.TRAFFIC_FINES:
        fine_number = check.fine_number()
        amount = check.amount("amount_sar")
        violation = check.text("violation")
        issued_on = check.past_day("issued_on")
        if check.ok and amount is not None and issued_on is not None:
            terms = FineTerms(fine_number, amount, violation, issued_on)
    resident = _resident(check, number, residents)
    if resident is None or not check.ok:
        return None
    planned = PlannedRow(row=row.number, iqama_number=number, resident_id=resident.pk)
    return _with_changes(
        kind, planned, check, resident, fines, values=values, absence=absence, terms=terms
    )


def _with_changes(
    kind: str,
    planned: PlannedRow,
    check: _RowChecker,
    resident: Resident,
    fines: Mapping[str, TrafficFine],
    *,
    values: dict[str, Any],
    absence: bool | None,
    terms: FineTerms | None,
) -> PlannedRow | None:
    if kind == ImportKind.TRAFFIC_FINES:
        assert terms is not None  # noqa: S101 - set whenever the row checked out
        fine_number = terms.number
        planned.fine_terms, planned.fine_number = terms, fine_number
        existing = fines.get(fine_number)
        if existing is not None:
            same = (
                existing.resident_id == resident.pk
                and existing.amount_halalas == terms.amount_halalas
                and existing.violation == terms.violation
                and existing.issued_on == terms.issued_on
            )
            if not same:
                check.fail(
                    "fine_number",
                    FINE_DIFFERENT,
                    ErrorCode.IDEMPOTENCY_CONFLICT,
                    number=fine_number,
                )
                return None
        else:
            planned.changes = [_change("traffic_fine", None, terms.amount_halalas)]
    elif kind == ImportKind.ABSENCE:
        planned.absence = absence
        if resident.absent_from_work_reported != absence:
            planned.changes = [
                _change("absent_from_work_reported", resident.absent_from_work_reported, absence)
            ]
    else:
        planned.values = values
        planned.changes = _set_changes(resident, values)
    return planned


def _plan_payment(
    row: Row,
    check: _RowChecker,
    fines: Mapping[str, TrafficFine],
    residents_by_id: Mapping[int, Resident],
) -> PlannedRow | None:
    number = check.fine_number()
    paid_on = check.past_day("paid_on", required=False)
    reference = check.text("payment_reference", required=False, limit=MAX_REFERENCE)
    if not check.ok:
        return None
    fine = fines.get(number)
    if fine is None:
        check.fail("fine_number", FINE_MISSING, ErrorCode.TRAFFIC_FINE_NOT_FOUND)
        return None
    resident = residents_by_id.get(fine.resident_id)
    iqama = resident.iqama_number if resident is not None else ""
    planned = PlannedRow(
        row=row.number,
        iqama_number=iqama or "",
        resident_id=fine.resident_id,
        fine_number=number,
        payment_reference=reference,
        paid_at=(
            timezone.make_aware(datetime.combine(paid_on, time(12)))
            if paid_on is not None
            else None
        ),
    )
    if fine.is_paid:
        if reference and fine.payment_reference != reference:
            check.fail("payment_reference", FINE_PAID_OTHER, ErrorCode.TRAFFIC_FINE_ALREADY_PAID)
            return None
        return planned
    planned.changes = [_change("traffic_fine_paid", None, fine.amount_halalas)]
    return planned
