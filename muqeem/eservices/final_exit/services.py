"""Final exit: issue (regular or during probation), cancel, and the lifecycle moves made by the border
and the daily job."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode, QuoteChanged, Violation
from muqeem.eservices.exit_reentry.services import current_visa_for
from muqeem.establishments.models import Establishment
from muqeem.exception_requests.services import exception_waivers_filter
from muqeem.fees.models import FeeCode
from muqeem.fees.quotes import FeeLine, Quote
from muqeem.fees.schedule import Schedule
from muqeem.fees.selectors import schedule_at
from muqeem.residents.models import (
    Dependent,
    Resident,
    ResidentHistoryEntry,
    ResidentHistoryKind,
    ResidentStatus,
)
from muqeem.residents.selectors import (
    access_resident_by_border_number,
    access_resident_by_iqama_number,
    parse_border_number,
    parse_iqama_number,
)
from muqeem.workflow.evaluation import resident_facts
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.models import ServiceRequest
from muqeem.workflow.rules import evaluate
from muqeem.workflow.services import (
    payload_fingerprint,
    service_request_finish,
    service_request_open,
    service_request_start,
)

from .models import FinalExit, FinalExitChange, FinalExitKind, FinalExitStatus
from .rules import (
    CancelSnapshot,
    IssueSnapshot,
    ProbationSnapshot,
    cancel_rules,
    issue_rules,
    probation_rules,
)

if TYPE_CHECKING:
    from muqeem.accounts.models import User


@dataclass(frozen=True)
class FinalExitCheck:
    resident: Resident
    kind: str
    quote: Quote
    violations: list[Violation]
    leave_by: date
    dependents: list[Dependent]

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class CancelCheck:
    final_exit: FinalExit
    quote: Quote
    violations: list[Violation]

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class FinalExitResult:
    request: ServiceRequest
    final_exit: FinalExit
    replayed: bool


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _issue_quote(schedule: Schedule) -> Quote:
    fee = schedule.int("final_exit.fee")
    lines = (FeeLine(FeeCode.FINAL_EXIT_FEE, fee),) if fee else ()
    return Quote(lines=lines, schedule_fingerprint=schedule.fingerprint)


def _assess_issue(
    *,
    resident: Resident,
    establishment: Establishment,
    kind: str,
    on: date,
    schedule: Schedule,
    dependent_ids: list[int],
) -> FinalExitCheck:
    facts = resident_facts(resident=resident, establishment=establishment, today=on)
    leave_by = on + timedelta(days=schedule.int("final_exit.leave_within_days"))
    dependents = [
        d for d in resident.dependents.all() if d.is_active and d.pk in set(dependent_ids)
    ]
    if kind == FinalExitKind.PROBATION:
        quote = Quote(lines=(), schedule_fingerprint=schedule.fingerprint)
        probation = ProbationSnapshot(
            facts=facts,
            has_iqama=bool(resident.iqama_number),
            arrival_date=resident.arrival_date,
            probation_days=schedule.int("final_exit.probation_days"),
            min_passport_days=schedule.int("final_exit.min_passport_validity_days"),
        )
        violations = evaluate(probation_rules(), probation)
    else:
        quote = _issue_quote(schedule)
        current = current_visa_for(resident=resident, on=on)
        snapshot = IssueSnapshot(
            facts=facts,
            age=_age(resident.date_of_birth, on),
            fingerprint_min_age=schedule.int("final_exit.fingerprint_min_age"),
            registered_vehicles=resident.registered_vehicles,
            current_visa_number=current.number if current else None,
            min_passport_days=schedule.int("final_exit.min_passport_validity_days"),
            total_halalas=quote.total_halalas,
        )
        violations = evaluate(issue_rules(), snapshot)
    return FinalExitCheck(
        resident=resident,
        kind=kind,
        quote=quote,
        violations=violations,
        leave_by=leave_by,
        dependents=dependents,
    )


def _find_resident(
    *, actor: User, kind: str, identifier: str, for_update: bool = False
) -> Resident:
    if kind == FinalExitKind.PROBATION:
        return access_resident_by_border_number(
            actor=actor, border_number=parse_border_number(identifier), for_update=for_update
        )
    return access_resident_by_iqama_number(
        actor=actor, iqama_number=parse_iqama_number(identifier), for_update=for_update
    )


def final_exit_check(
    *,
    actor: User,
    identifier: str,
    kind: str = FinalExitKind.REGULAR,
    dependent_ids: list[int] | None = None,
) -> FinalExitCheck:
    """`identifier` is the iqama number, or the border number for a final exit during probation."""
    resident = _find_resident(actor=actor, kind=kind, identifier=identifier)
    on = today()
    check = _assess_issue(
        resident=resident,
        establishment=resident.establishment,
        kind=kind,
        on=on,
        schedule=schedule_at(on),
        dependent_ids=dependent_ids or [],
    )
    audit_record(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=actor,
        resident=resident,
        extra={
            "service": ServiceType.FINAL_EXIT_ISSUE,
            "violations": [str(v.code) for v in check.violations],
        },
    )
    return check


def final_exit_issue(
    *,
    actor: User,
    identifier: str,
    idempotency_key: str,
    kind: str = FinalExitKind.REGULAR,
    dependent_ids: list[int] | None = None,
    expected_version: int | None = None,
    expected_total_halalas: int | None = None,
) -> FinalExitResult:
    dependent_ids = sorted(set(dependent_ids or []))
    payload_hash = payload_fingerprint(
        {
            "service": ServiceType.FINAL_EXIT_ISSUE,
            "kind": kind,
            "id": identifier,
            "dependents": dependent_ids,
        }
    )
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return FinalExitResult(request=replay, final_exit=replay.final_exit, replayed=True)
        resident = _find_resident(actor=actor, kind=kind, identifier=identifier, for_update=True)
        if expected_version is not None and resident.version != expected_version:
            raise QuoteChanged()
        on = today()
        check = _assess_issue(
            resident=resident,
            establishment=establishment,
            kind=kind,
            on=on,
            schedule=schedule_at(on),
            dependent_ids=dependent_ids,
        )
        request = service_request_start(
            actor=actor,
            service_type=ServiceType.FINAL_EXIT_ISSUE,
            establishment=establishment,
            resident=resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            violations=check.violations,
            quote=check.quote,
            expected_total_halalas=expected_total_halalas,
        )
        final_exit = FinalExit.objects.create(
            request=request,
            establishment=establishment,
            resident=resident,
            kind=kind,
            issued_on=on,
            leave_by=check.leave_by,
            passport_number=resident.passport_number,
        )
        if check.dependents:
            final_exit.dependents.set(check.dependents)
        _set_status(resident, ResidentStatus.FINAL_EXIT_ISSUED, establishment, request)
        service_request_finish(
            actor=actor, establishment=establishment, request=request, quote=check.quote
        )
        audit_record(
            event_type=AuditEventType.FINAL_EXIT_ISSUED,
            actor=actor,
            establishment=establishment,
            resident=resident,
            service_request=request,
            extra={
                "final_exit": final_exit.pk,
                "kind": kind,
                "dependents": [d.pk for d in check.dependents],
            },
        )
    return FinalExitResult(request=request, final_exit=final_exit, replayed=False)


def _set_status(
    resident: Resident, status: str, establishment: Establishment, request: ServiceRequest | None
) -> None:
    old = resident.status
    resident.status = status
    resident.version += 1
    resident.save(update_fields=["status", "version", "updated_at"])
    ResidentHistoryEntry.objects.create(
        resident=resident,
        occurred_at=timezone.now(),
        kind=ResidentHistoryKind.STATUS_CHANGED,
        establishment=establishment,
        service_request=request,
        old={"status": old},
        new={"status": status},
    )


def access_final_exit_by_number(*, actor: User, number: str, for_update: bool = False) -> FinalExit:
    pk = FinalExit.pk_from_number(number)
    qs = FinalExit.objects.select_related(
        "resident", "resident__nationality", "establishment", "request"
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    final_exit = (
        qs.filter(pk=pk, resident__establishment_id=actor.establishment_id).first()
        if pk is not None and actor.establishment_id is not None
        else None
    )
    if final_exit is None:
        raise DomainError(ErrorCode.FINAL_EXIT_NOT_FOUND)
    return final_exit


def _assess_cancel(
    *, final_exit: FinalExit, establishment: Establishment, on: date, schedule: Schedule
) -> CancelCheck:
    free_until = final_exit.issued_on + timedelta(
        days=schedule.int("final_exit.cancel_window_days")
    )
    expired = final_exit.status == FinalExitStatus.EXPIRED or (
        final_exit.status == FinalExitStatus.ISSUED and on > final_exit.leave_by
    )
    fee = schedule.int("final_exit.expired_cancel_fee") if expired else 0
    quote = Quote(
        lines=(FeeLine(FeeCode.FINAL_EXIT_CANCEL_FEE, fee),) if fee else (),
        schedule_fingerprint=schedule.fingerprint,
    )
    snapshot = CancelSnapshot(
        facts=resident_facts(resident=final_exit.resident, establishment=establishment, today=on),
        kind=final_exit.kind,
        status=final_exit.status,
        status_label=FinalExitStatus(final_exit.status).label,
        free_until=free_until,
        leave_by=final_exit.leave_by,
        total_halalas=quote.total_halalas,
    )
    return CancelCheck(
        final_exit=final_exit, quote=quote, violations=evaluate(cancel_rules(), snapshot)
    )


def final_exit_cancel_check(*, actor: User, number: str) -> CancelCheck:
    final_exit = access_final_exit_by_number(actor=actor, number=number)
    on = today()
    check = _assess_cancel(
        final_exit=final_exit,
        establishment=final_exit.resident.establishment,
        on=on,
        schedule=schedule_at(on),
    )
    # A dry run shows no refusal that an approved exception request covers.
    return replace(
        check,
        violations=exception_waivers_filter(
            establishment_id=actor.establishment_id,
            resident=final_exit.resident,
            service_type=ServiceType.FINAL_EXIT_CANCEL,
            violations=check.violations,
        ),
    )


def final_exit_cancel(
    *,
    actor: User,
    number: str,
    idempotency_key: str,
    expected_version: int | None = None,
    expected_total_halalas: int | None = None,
) -> FinalExitResult:
    payload_hash = payload_fingerprint({"service": ServiceType.FINAL_EXIT_CANCEL, "number": number})
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return FinalExitResult(
                request=replay, final_exit=replay.final_exit_change.final_exit, replayed=True
            )
        final_exit = access_final_exit_by_number(actor=actor, number=number, for_update=True)
        resident = Resident.objects.select_for_update().get(pk=final_exit.resident_id)
        final_exit.resident = resident
        if expected_version is not None and final_exit.version != expected_version:
            raise QuoteChanged()
        on = today()
        check = _assess_cancel(
            final_exit=final_exit, establishment=establishment, on=on, schedule=schedule_at(on)
        )
        request = service_request_start(
            actor=actor,
            service_type=ServiceType.FINAL_EXIT_CANCEL,
            establishment=establishment,
            resident=resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            violations=check.violations,
            quote=check.quote,
            expected_total_halalas=expected_total_halalas,
        )
        FinalExitChange.objects.create(request=request, final_exit=final_exit)
        final_exit.status = FinalExitStatus.CANCELLED
        final_exit.version += 1
        final_exit.save(update_fields=["status", "version"])
        _set_status(resident, ResidentStatus.ACTIVE, establishment, request)
        service_request_finish(
            actor=actor, establishment=establishment, request=request, quote=check.quote
        )
        audit_record(
            event_type=AuditEventType.FINAL_EXIT_CANCELLED,
            actor=actor,
            establishment=establishment,
            resident=resident,
            service_request=request,
            extra={"final_exit": final_exit.pk, "fee_halalas": check.quote.total_halalas},
        )
    return FinalExitResult(request=request, final_exit=final_exit, replayed=False)


# --- Lifecycle -------------------------------------------------------------------------------


def departure_final_exit_for(*, resident: Resident, on: date) -> FinalExit | None:
    final_exit = (
        resident.final_exits.select_for_update()
        .filter(status=FinalExitStatus.ISSUED)
        .order_by("-pk")
        .first()
    )
    if final_exit is None or on > final_exit.leave_by:
        return None
    return final_exit


def final_exit_record_departure(*, final_exit: FinalExit, resident: Resident, on: date) -> None:
    """The resident leaves for good: the file closes, included dependents leave with the resident."""
    final_exit.status = FinalExitStatus.DEPARTED
    final_exit.departed_on = on
    final_exit.version += 1
    final_exit.save(update_fields=["status", "departed_on", "version"])
    final_exit.dependents.update(inside_kingdom=False, is_active=False)
    resident.inside_kingdom = False
    resident.save(update_fields=["inside_kingdom", "updated_at"])
    _set_status(resident, ResidentStatus.DEPARTED_FINAL, final_exit.establishment, None)
    audit_record(
        event_type=AuditEventType.FINAL_EXIT_DEPARTED,
        actor=None,
        establishment=final_exit.establishment,
        resident=resident,
        extra={"final_exit": final_exit.pk},
    )


def final_exits_daily_run(*, on: date) -> int:
    """Expire unused final exits past their leave-by date (idempotent: guarded by status)."""
    expired = 0
    for pk in FinalExit.objects.filter(status=FinalExitStatus.ISSUED, leave_by__lt=on).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            final_exit = FinalExit.objects.select_for_update().get(pk=pk)
            if final_exit.status != FinalExitStatus.ISSUED or on <= final_exit.leave_by:
                continue
            final_exit.status = FinalExitStatus.EXPIRED
            final_exit.version += 1
            final_exit.save(update_fields=["status", "version"])
            audit_record(
                event_type=AuditEventType.FINAL_EXIT_EXPIRED,
                actor=None,
                establishment=final_exit.establishment,
                resident=final_exit.resident,
                extra={"final_exit": final_exit.pk},
            )
            expired += 1
    return expired
