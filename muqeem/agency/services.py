"""Agency facts change here, one service per fact, whoever sends them (staff or an agency's system).

Each service locks the resident row, changes the resident's fact in the same transaction, appends an
`AgencyRecord` and an audit event. A change that changes nothing writes nothing. A partner's retry is
a replay: a traffic fine is keyed by its number, any other message by the partner's `reference`; the
same key with different data is refused with IDEMPOTENCY_CONFLICT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.accounts.staff import StaffCapability, staff_check
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.ids import normalize_digits
from muqeem.integrations.models import IntegrationKind
from muqeem.residents.models import (
    Resident,
    ResidentHistoryEntry,
    ResidentHistoryKind,
    ResidentStatus,
)
from muqeem.residents.selectors import parse_iqama_number

from .models import (
    AgencyImport,
    AgencyRecord,
    AgencyRecordKind,
    TrafficFine,
    TrafficFineStatus,
)

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.integrations.models import IntegrationCredential

# Which agency's credential may send which fact.
KIND_SOURCES: dict[str, str] = {
    AgencyRecordKind.INSURANCE: IntegrationKind.INSURANCE,
    AgencyRecordKind.TRAFFIC_FINE_ISSUED: IntegrationKind.TRAFFIC,
    AgencyRecordKind.TRAFFIC_FINE_PAID: IntegrationKind.TRAFFIC,
    AgencyRecordKind.FINGERPRINT: IntegrationKind.BIOMETRIC,
    AgencyRecordKind.VEHICLES: IntegrationKind.VEHICLES,
    AgencyRecordKind.ABSENCE_REPORTED: IntegrationKind.LABOUR,
    AgencyRecordKind.ABSENCE_WITHDRAWN: IntegrationKind.LABOUR,
}
INVISIBLE = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u200b\ufeff"))
FINE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/]{0,29}$")
MAX_VEHICLES = 999
MAX_FINE_HALALAS = 10_000_000_00
MAX_TEXT = 200
MAX_REFERENCE = 60


@dataclass(frozen=True)
class Source:
    """Who says so: a staff member, or an agency's credential (exactly one)."""

    user: User | None = None
    credential: IntegrationCredential | None = None

    def check(self, kind: str) -> None:
        if (self.user is None) == (self.credential is None):
            raise DomainError(ErrorCode.PERMISSION_DENIED)
        if self.user is not None:
            staff_check(self.user, StaffCapability.OPERATE)
        elif self.credential is not None and self.credential.kind != KIND_SOURCES[kind]:
            raise DomainError(ErrorCode.PERMISSION_DENIED)

    def reference_key(self, reference: str) -> str | None:
        """The stored idempotency key of a partner's reference (namespaced by its credential)."""
        if not reference or self.credential is None:
            return None
        return f"{self.credential.kind}:{self.credential.pk}:{reference}"

    def audit_extra(self) -> dict[str, Any]:
        if self.credential is not None:
            return {"source": "credential", "credential": self.credential.pk}
        return {"source": "staff"}


@dataclass(frozen=True)
class FactResult:
    resident: Resident
    record: AgencyRecord | None
    replayed: bool = False

    @property
    def changed(self) -> bool:
        return self.record is not None and not self.replayed


@dataclass(frozen=True)
class FineResult:
    fine: TrafficFine
    record: AgencyRecord | None
    replayed: bool = False


# --- Input checks (shared by the services, the forms' callers and the CSV import) ---------------


def invalid(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_FAILED, fields={field: [message]})


def fine_number_text(value: str) -> str:
    """A fine number as typed, with Arabic-Indic digits read as Western digits (dashes kept)."""
    text = "".join(normalize_digits(ch) if ch.isdigit() else ch for ch in (value or ""))
    return "".join(text.split()).translate(INVISIBLE).upper()


def clean_fine_number(value: str) -> str:
    number = fine_number_text(value)
    if not FINE_NUMBER_RE.match(number):
        raise invalid(
            "fine_number", _("A fine number is 1 to 30 letters, digits, dashes or slashes.")
        )
    return number


def clean_reference(value: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_REFERENCE:
        raise invalid("reference", _("The reference is longer than 60 characters."))
    return value


def _locked_resident(iqama_number: str) -> Resident:
    number = parse_iqama_number(iqama_number)
    resident = (
        Resident.objects.select_for_update(of=("self",))
        .select_related("establishment")
        .filter(iqama_number=number)
        .first()
    )
    if resident is None:
        raise DomainError(ErrorCode.RESIDENT_UNKNOWN)
    return resident


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _replay(
    key: str | None, *, kind: str, resident: Resident, new: Mapping[str, Any]
) -> AgencyRecord | None:
    """The record a retried message already wrote, or None; a different message → conflict."""
    if key is None:
        return None
    existing = AgencyRecord.objects.filter(external_reference=key).first()
    if existing is None:
        return None
    if existing.kind != kind or existing.resident_id != resident.pk or existing.new != dict(new):
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
    return existing


def _write(
    *,
    resident: Resident,
    kind: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    source: Source,
    key: str | None,
    event: AuditEventType = AuditEventType.AGENCY_RECORD_CHANGED,
    fine: TrafficFine | None = None,
    agency_import: AgencyImport | None = None,
) -> AgencyRecord:
    now = timezone.now()
    record = AgencyRecord(
        kind=kind,
        resident=resident,
        old=dict(old),
        new=dict(new),
        recorded_by=source.user,
        credential=source.credential,
        traffic_fine=fine,
        agency_import=agency_import,
        occurred_at=now,
        external_reference=key,
    )
    record.save()
    extra: dict[str, Any] = {"kind": kind, "record": record.pk, **source.audit_extra()}
    if fine is not None:
        extra["fine_number"] = fine.number
    if agency_import is not None:
        extra["import"] = agency_import.pk
    audit_record(
        event_type=event,
        actor=source.user,
        establishment=resident.establishment,
        resident=resident,
        extra=extra,
    )
    return record


def _set_fields(resident: Resident, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(resident, name, value)
    resident.version += 1
    resident.save(update_fields=[*values, "version", "updated_at"])


def fact_set_locked(
    *,
    resident: Resident,
    kind: str,
    values: Mapping[str, Any],
    source: Source,
    key: str | None = None,
    agency_import: AgencyImport | None = None,
) -> AgencyRecord | None:
    """Set facts of an already locked resident; None when nothing changes."""
    old = {name: _json(getattr(resident, name)) for name in values}
    new = {name: _json(value) for name, value in values.items()}
    if old == new:
        return None
    _set_fields(resident, values)
    return _write(
        resident=resident,
        kind=kind,
        old=old,
        new=new,
        source=source,
        key=key,
        agency_import=agency_import,
    )


def _fact_set(
    *,
    iqama_number: str,
    kind: str,
    values: Mapping[str, Any],
    source: Source,
    reference: str = "",
) -> FactResult:
    source.check(kind)
    key = source.reference_key(clean_reference(reference))
    with transaction.atomic(durable=True):
        resident = _locked_resident(iqama_number)
        new = {name: _json(value) for name, value in values.items()}
        replayed = _replay(key, kind=kind, resident=resident, new=new)
        if replayed is not None:
            return FactResult(resident=resident, record=replayed, replayed=True)
        record = fact_set_locked(
            resident=resident, kind=kind, values=values, source=source, key=key
        )
    return FactResult(resident=resident, record=record)


# --- One service per fact ------------------------------------------------------------------------


def insurance_values(active: bool, expiry: date | None) -> dict[str, Any]:
    if active and expiry is None:
        raise invalid("expiry_date", _("An active insurance needs its expiry date."))
    return {"insurance_active": active, "insurance_expiry_date": expiry}


def insurance_status_set(
    *,
    iqama_number: str,
    active: bool,
    expiry_date: date | None,
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
    reference: str = "",
) -> FactResult:
    """The health insurance council says whether the resident's insurance is active, until when."""
    return _fact_set(
        iqama_number=iqama_number,
        kind=AgencyRecordKind.INSURANCE,
        values=insurance_values(active, expiry_date),
        source=Source(actor, credential),
        reference=reference,
    )


def fingerprint_registered_set(
    *,
    iqama_number: str,
    registered: bool,
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
    reference: str = "",
) -> FactResult:
    return _fact_set(
        iqama_number=iqama_number,
        kind=AgencyRecordKind.FINGERPRINT,
        values={"fingerprint_registered": registered},
        source=Source(actor, credential),
        reference=reference,
    )


def vehicles_values(count: int) -> dict[str, Any]:
    if not 0 <= count <= MAX_VEHICLES:
        raise invalid("count", _("The number of vehicles must be between 0 and 999."))
    return {"registered_vehicles": count}


def vehicles_count_set(
    *,
    iqama_number: str,
    count: int,
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
    reference: str = "",
) -> FactResult:
    return _fact_set(
        iqama_number=iqama_number,
        kind=AgencyRecordKind.VEHICLES,
        values=vehicles_values(count),
        source=Source(actor, credential),
        reference=reference,
    )


def absence_set_locked(
    *,
    resident: Resident,
    reported: bool,
    source: Source,
    key: str | None = None,
    agency_import: AgencyImport | None = None,
) -> AgencyRecord | None:
    """Report or withdraw an absence of a locked resident. A report marks an active resident
    absent from work (their status); withdrawing it makes them active again."""
    values: dict[str, Any] = {"absent_from_work_reported": reported}
    if reported and resident.status == ResidentStatus.ACTIVE:
        values["status"] = ResidentStatus.ABSENT_FROM_WORK
    elif not reported and resident.status == ResidentStatus.ABSENT_FROM_WORK:
        values["status"] = ResidentStatus.ACTIVE
    old_status = resident.status
    kind = AgencyRecordKind.ABSENCE_REPORTED if reported else AgencyRecordKind.ABSENCE_WITHDRAWN
    record = fact_set_locked(
        resident=resident,
        kind=kind,
        values=values,
        source=source,
        key=key,
        agency_import=agency_import,
    )
    if record is not None and "status" in values and values["status"] != old_status:
        ResidentHistoryEntry.objects.create(
            resident=resident,
            occurred_at=record.occurred_at,
            kind=ResidentHistoryKind.STATUS_CHANGED,
            establishment_id=resident.establishment_id,
            old={"status": old_status},
            new={"status": values["status"], "agency_record": record.pk},
        )
    return record


def _absence(
    *,
    iqama_number: str,
    reported: bool,
    source: Source,
    reference: str,
) -> FactResult:
    kind = AgencyRecordKind.ABSENCE_REPORTED if reported else AgencyRecordKind.ABSENCE_WITHDRAWN
    source.check(kind)
    key = source.reference_key(clean_reference(reference))
    with transaction.atomic(durable=True):
        resident = _locked_resident(iqama_number)
        if key is not None:
            existing = AgencyRecord.objects.filter(external_reference=key).first()
            if existing is not None:
                if existing.kind != kind or existing.resident_id != resident.pk:
                    raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
                return FactResult(resident=resident, record=existing, replayed=True)
        record = absence_set_locked(resident=resident, reported=reported, source=source, key=key)
    return FactResult(resident=resident, record=record)


def absence_report(
    *,
    iqama_number: str,
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
    reference: str = "",
) -> FactResult:
    """The labour office reports the resident absent from work (تغيب عن العمل)."""
    return _absence(
        iqama_number=iqama_number,
        reported=True,
        source=Source(actor, credential),
        reference=reference,
    )


def absence_withdraw(
    *,
    iqama_number: str,
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
    reference: str = "",
) -> FactResult:
    return _absence(
        iqama_number=iqama_number,
        reported=False,
        source=Source(actor, credential),
        reference=reference,
    )


# --- Traffic fines -------------------------------------------------------------------------------


def _recorded_unpaid(resident: Resident) -> int:
    total = TrafficFine.objects.filter(
        resident=resident, status=TrafficFineStatus.ISSUED
    ).aggregate(total=Sum("amount_halalas"))["total"]
    return int(total or 0)


def _recompute_unpaid(resident: Resident, recorded_before: int) -> int:
    """The resident's unpaid total after a fine changed: the unpaid fines on record, plus any
    amount the resident carried before fines were recorded one by one (kept until settled)."""
    carried = max(0, resident.unpaid_traffic_fines_halalas - recorded_before)
    return carried + _recorded_unpaid(resident)


@dataclass(frozen=True)
class FineTerms:
    number: str
    amount_halalas: int
    violation: str
    issued_on: date

    def as_json(self, iqama_number: str) -> dict[str, Any]:
        return {
            "fine_number": self.number,
            "iqama_number": iqama_number,
            "amount_halalas": self.amount_halalas,
            "violation": self.violation,
            "issued_on": self.issued_on.isoformat(),
        }


def fine_terms(*, number: str, amount_halalas: int, violation: str, issued_on: date) -> FineTerms:
    number = clean_fine_number(number)
    if not 0 < amount_halalas <= MAX_FINE_HALALAS:
        raise invalid("amount", _("The amount must be more than zero."))
    violation = " ".join((violation or "").split())
    if not violation or len(violation) > MAX_TEXT:
        raise invalid("violation", _("Describe the violation in at most 200 characters."))
    if issued_on > today():
        raise invalid("issued_on", _("The date cannot be in the future."))
    return FineTerms(number, amount_halalas, violation, issued_on)


def _same_fine(fine: TrafficFine, terms: FineTerms, resident_id: int) -> bool:
    return (
        fine.resident_id == resident_id
        and fine.amount_halalas == terms.amount_halalas
        and fine.violation == terms.violation
        and fine.issued_on == terms.issued_on
    )


def traffic_fine_issue_locked(
    *,
    resident: Resident,
    terms: FineTerms,
    source: Source,
    agency_import: AgencyImport | None = None,
) -> FineResult:
    existing = TrafficFine.objects.filter(number=terms.number).first()
    if existing is not None:
        if not _same_fine(existing, terms, resident.pk):
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
        return FineResult(fine=existing, record=None, replayed=True)
    recorded_before = _recorded_unpaid(resident)
    old_total = resident.unpaid_traffic_fines_halalas
    try:
        with transaction.atomic():
            fine = TrafficFine.objects.create(
                number=terms.number,
                resident=resident,
                amount_halalas=terms.amount_halalas,
                violation=terms.violation,
                issued_on=terms.issued_on,
                recorded_by=source.user,
                credential=source.credential,
            )
    except IntegrityError:  # the same number recorded concurrently for another resident
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT) from None
    new_total = _recompute_unpaid(resident, recorded_before)
    _set_fields(resident, {"unpaid_traffic_fines_halalas": new_total})
    record = _write(
        resident=resident,
        kind=AgencyRecordKind.TRAFFIC_FINE_ISSUED,
        old={"unpaid_traffic_fines_halalas": old_total},
        new={
            "unpaid_traffic_fines_halalas": new_total,
            "fine_number": fine.number,
            "amount_halalas": fine.amount_halalas,
        },
        source=source,
        key=None,
        event=AuditEventType.TRAFFIC_FINE_ISSUED,
        fine=fine,
        agency_import=agency_import,
    )
    return FineResult(fine=fine, record=record)


def traffic_fine_issue(
    *,
    number: str,
    iqama_number: str,
    amount_halalas: int,
    violation: str,
    issued_on: date,
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
) -> FineResult:
    """Record a traffic fine; the resident's unpaid total blocks transactions at once. The fine
    number is the idempotency key: the same fine again is a replay, different data a conflict."""
    source = Source(actor, credential)
    source.check(AgencyRecordKind.TRAFFIC_FINE_ISSUED)
    terms = fine_terms(
        number=number, amount_halalas=amount_halalas, violation=violation, issued_on=issued_on
    )
    with transaction.atomic(durable=True):
        resident = _locked_resident(iqama_number)
        return traffic_fine_issue_locked(resident=resident, terms=terms, source=source)


def traffic_fine_pay_locked(
    *,
    resident: Resident,
    fine: TrafficFine,
    paid_at: datetime,
    payment_reference: str,
    source: Source,
    agency_import: AgencyImport | None = None,
) -> FineResult:
    if fine.is_paid:
        if payment_reference and fine.payment_reference == payment_reference:
            return FineResult(fine=fine, record=None, replayed=True)
        raise DomainError(ErrorCode.TRAFFIC_FINE_ALREADY_PAID)
    recorded_before = _recorded_unpaid(resident)
    old_total = resident.unpaid_traffic_fines_halalas
    fine.status = TrafficFineStatus.PAID
    fine.paid_at = paid_at
    fine.payment_reference = payment_reference
    fine.paid_recorded_by = source.user
    fine.paid_credential = source.credential
    fine.save(
        update_fields=[
            "status",
            "paid_at",
            "payment_reference",
            "paid_recorded_by",
            "paid_credential",
        ]
    )
    new_total = _recompute_unpaid(resident, recorded_before)
    _set_fields(resident, {"unpaid_traffic_fines_halalas": new_total})
    record = _write(
        resident=resident,
        kind=AgencyRecordKind.TRAFFIC_FINE_PAID,
        old={"unpaid_traffic_fines_halalas": old_total},
        new={
            "unpaid_traffic_fines_halalas": new_total,
            "fine_number": fine.number,
            "amount_halalas": fine.amount_halalas,
            "payment_reference": payment_reference,
        },
        source=source,
        key=None,
        event=AuditEventType.TRAFFIC_FINE_PAID,
        fine=fine,
        agency_import=agency_import,
    )
    return FineResult(fine=fine, record=record)


def traffic_fine_pay(
    *,
    number: str,
    paid_at: datetime | None = None,
    payment_reference: str = "",
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
) -> FineResult:
    """Record the payment of a fine. A retry with the same payment reference is a replay; paying
    a paid fine otherwise is refused (TRAFFIC_FINE_ALREADY_PAID)."""
    source = Source(actor, credential)
    source.check(AgencyRecordKind.TRAFFIC_FINE_PAID)
    number = clean_fine_number(number)
    payment_reference = clean_reference(payment_reference)
    with transaction.atomic(durable=True):
        found = TrafficFine.objects.filter(number=number).values_list("resident_id", flat=True)
        resident_id = found.first()
        if resident_id is None:
            raise DomainError(ErrorCode.TRAFFIC_FINE_NOT_FOUND)
        resident = (
            Resident.objects.select_for_update(of=("self",))
            .select_related("establishment")
            .get(pk=resident_id)
        )
        fine = TrafficFine.objects.select_for_update().get(number=number)
        return traffic_fine_pay_locked(
            resident=resident,
            fine=fine,
            paid_at=paid_at or timezone.now(),
            payment_reference=payment_reference,
            source=source,
        )


# --- CSV imports ---------------------------------------------------------------------------------


class ImportInvalid(DomainError):
    """A file with row errors: nothing was applied. `errors` lists them row by row."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        rows = len({e["row"] for e in errors})
        super().__init__(ErrorCode.AGENCY_IMPORT_INVALID, {"count": rows})
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    agency_import: AgencyImport
    replayed: bool = False


def _import_source_check(kind: str, source: Source) -> None:
    from .imports import IMPORT_SOURCES

    if (source.user is None) == (source.credential is None):
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    if source.user is not None:
        staff_check(source.user, StaffCapability.OPERATE)
    elif source.credential is not None and source.credential.kind != IMPORT_SOURCES[kind]:
        raise DomainError(ErrorCode.PERMISSION_DENIED)


def _plan(agency_import: AgencyImport, *, lock: bool) -> Any:
    from . import imports
    from .models import ImportKind

    rows = imports.read_rows(agency_import.kind, agency_import.content)
    by_id: dict[int, Resident] = {}
    if agency_import.kind == ImportKind.TRAFFIC_PAYMENTS:
        numbers = {fine_number_text(r.values.get("fine_number", "")) for r in rows}
        ids = set(
            TrafficFine.objects.filter(number__in=numbers).values_list("resident_id", flat=True)
        )
        qs = Resident.objects.filter(pk__in=ids).select_related("establishment").order_by("pk")
        if lock:
            qs = qs.select_for_update(of=("self",))
        by_id = {r.pk: r for r in qs}
        residents: dict[str, Resident] = {}
    else:
        residents = imports.residents_for(rows, lock=lock)
        by_id = {r.pk: r for r in residents.values()}
    fines = imports.fines_for(rows, lock=lock)
    return imports.plan_rows(
        agency_import.kind, rows, residents=residents, fines=fines, residents_by_id=by_id
    ), by_id


def agency_import_check(
    *,
    kind: str,
    data: bytes,
    filename: str = "",
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
) -> AgencyImport:
    """Read and check a CSV file without changing any fact (the dry run). The file is kept, with
    its per-row errors and the changes it would make, so it can be confirmed without re-upload."""
    import hashlib

    from . import imports

    source = Source(actor, credential)
    _import_source_check(kind, source)
    text = imports.decode(data)
    imports.read_rows(kind, text)  # refuses a file that is not this kind's CSV before keeping it
    with transaction.atomic(durable=True):
        agency_import = AgencyImport(
            kind=kind,
            filename=(filename or "")[:200],
            content=text,
            sha256=hashlib.sha256(data).hexdigest(),
            created_by=actor,
            credential=credential,
        )
        plan, _by_id = _plan(agency_import, lock=False)
        agency_import.row_count = plan.row_count
        agency_import.change_count = plan.change_count
        agency_import.error_count = plan.error_rows
        agency_import.errors = plan.errors_json()
        agency_import.changes = plan.changes_json()
        agency_import.save()
        audit_record(
            event_type=AuditEventType.AGENCY_IMPORT_RUN,
            actor=actor,
            extra={
                "import": agency_import.pk,
                "kind": kind,
                "dry_run": True,
                "rows": plan.row_count,
                "errors": plan.error_rows,
                **source.audit_extra(),
            },
        )
    return agency_import


def agency_import_apply(
    *,
    agency_import_id: int,
    actor: User | None = None,
    credential: IntegrationCredential | None = None,
) -> ImportResult:
    """Apply a checked file: every row in one transaction, or none when any row has an error
    (checked again against the data as it is now). Applying an applied import changes nothing."""
    from .models import ImportKind, ImportStatus

    source = Source(actor, credential)
    try:
        with transaction.atomic(durable=True):
            agency_import = (
                AgencyImport.objects.select_for_update().filter(pk=agency_import_id).first()
            )
            if agency_import is None or (
                credential is not None and agency_import.credential_id != credential.pk
            ):
                raise DomainError(ErrorCode.NOT_FOUND)
            _import_source_check(agency_import.kind, source)
            if agency_import.is_applied:
                return ImportResult(agency_import=agency_import, replayed=True)
            plan, by_id = _plan(agency_import, lock=True)
            if plan.errors:
                raise ImportInvalid(plan.errors_json())
            fines = {}
            if agency_import.kind == ImportKind.TRAFFIC_PAYMENTS:
                fines = {
                    f.number: f
                    for f in TrafficFine.objects.select_for_update().filter(
                        number__in=[r.fine_number for r in plan.rows]
                    )
                }
            for row in plan.rows:
                resident = by_id[row.resident_id]
                key = f"import:{agency_import.pk}:{row.row}"
                if agency_import.kind == ImportKind.TRAFFIC_FINES:
                    assert row.fine_terms is not None  # noqa: S101 - planned rows carry terms
                    traffic_fine_issue_locked(
                        resident=resident,
                        terms=row.fine_terms,
                        source=source,
                        agency_import=agency_import,
                    )
                elif agency_import.kind == ImportKind.TRAFFIC_PAYMENTS:
                    fine = fines[row.fine_number]
                    if fine.is_paid:
                        continue
                    traffic_fine_pay_locked(
                        resident=resident,
                        fine=fine,
                        paid_at=row.paid_at or timezone.now(),
                        payment_reference=row.payment_reference,
                        source=source,
                        agency_import=agency_import,
                    )
                elif agency_import.kind == ImportKind.ABSENCE:
                    assert row.absence is not None  # noqa: S101 - planned rows carry the action
                    absence_set_locked(
                        resident=resident,
                        reported=row.absence,
                        source=source,
                        key=key,
                        agency_import=agency_import,
                    )
                else:
                    kind = {
                        ImportKind.INSURANCE: AgencyRecordKind.INSURANCE,
                        ImportKind.FINGERPRINT: AgencyRecordKind.FINGERPRINT,
                        ImportKind.VEHICLES: AgencyRecordKind.VEHICLES,
                    }[ImportKind(agency_import.kind)]
                    fact_set_locked(
                        resident=resident,
                        kind=kind,
                        values=row.values,
                        source=source,
                        key=key,
                        agency_import=agency_import,
                    )
            agency_import.status = ImportStatus.APPLIED
            agency_import.applied_at = timezone.now()
            agency_import.applied_by = actor
            agency_import.row_count = plan.row_count
            agency_import.change_count = plan.change_count
            agency_import.error_count = 0
            agency_import.errors = []
            agency_import.changes = plan.changes_json()
            agency_import.save()
            audit_record(
                event_type=AuditEventType.AGENCY_IMPORT_RUN,
                actor=actor,
                extra={
                    "import": agency_import.pk,
                    "kind": agency_import.kind,
                    "dry_run": False,
                    "rows": plan.row_count,
                    "changes": plan.change_count,
                    **source.audit_extra(),
                },
            )
    except ImportInvalid as exc:
        # Keep what the check found now, so the page shows the rows to fix.
        AgencyImport.objects.filter(pk=agency_import_id).update(
            errors=exc.errors, error_count=exc.params["count"]
        )
        raise
    return ImportResult(agency_import=agency_import)
