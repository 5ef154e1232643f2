"""Exit and re-entry visas: issue, extend, cancel (officer actions) and the lifecycle moves that the
border and the daily job make. Each officer action is one `ServiceRequest`, executed atomically with
the resident (or visa) rows locked first and the establishment's balance debited last (ADR 0004)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode, QuoteChanged, Violation
from muqeem.establishments.models import Establishment
from muqeem.exception_requests.services import exception_waivers_filter
from muqeem.fees.models import FeeCode, Penalty, PenaltyStatus
from muqeem.fees.quotes import Quote
from muqeem.fees.schedule import Schedule
from muqeem.fees.selectors import schedule_at
from muqeem.fees.services import penalty_record
from muqeem.residents.models import Resident
from muqeem.residents.selectors import access_resident_by_iqama_number, parse_iqama_number
from muqeem.webhooks.services import webhook_event_emit
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

from . import lifecycle
from .fees import months_for, visa_extension_quote, visa_issue_quote
from .models import Visa, VisaChange, VisaEvent, VisaEventKind, VisaStatus, VisaType
from .rules import (
    CancelSnapshot,
    ExtendSnapshot,
    IssueSnapshot,
    cancel_rules,
    extend_rules,
    issue_rules,
)

if TYPE_CHECKING:
    from muqeem.accounts.models import User

LIVE_STATUSES = (VisaStatus.ISSUED, VisaStatus.USED, VisaStatus.RETURNED)


@dataclass(frozen=True)
class VisaTerms:
    visa_type: str
    unit: str
    value: int | None = None
    return_before: date | None = None

    def as_payload(self) -> dict[str, object]:
        return {
            "visa_type": self.visa_type,
            "unit": self.unit,
            "value": self.value,
            "return_before": self.return_before.isoformat() if self.return_before else None,
        }


@dataclass(frozen=True)
class IssueCheck:
    resident: Resident
    terms: VisaTerms
    dates: lifecycle.PlannedDates
    months: int
    quote: Quote
    violations: list[Violation]

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class VisaCheck:
    """A check of an action on an existing visa (extend or cancel)."""

    visa: Visa
    quote: Quote
    violations: list[Violation]
    new_expiry: date | None = None
    deadline: date | None = None

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class VisaResult:
    request: ServiceRequest
    visa: Visa
    replayed: bool


# --- Reads --------------------------------------------------------------------------------------


def current_visa_for(*, resident: Resident, on: date) -> Visa | None:
    for visa in resident.visas.filter(status__in=LIVE_STATUSES).order_by("-pk"):
        if lifecycle.is_current(
            status=visa.status,
            visa_type=visa.visa_type,
            travel_by=visa.travel_by,
            expires_on=visa.expires_on,
            on=on,
        ):
            return visa
    return None


def unpaid_visa_fines(*, resident: Resident) -> int:
    total = Penalty.objects.filter(
        resident=resident, status=PenaltyStatus.UNPAID, fee_code=FeeCode.UNUSED_VISA_FINE
    ).aggregate(total=Sum("amount_halalas"))["total"]
    return int(total or 0)


def access_visa_by_number(*, actor: User, number: str, for_update: bool = False) -> Visa:
    """A visa of a resident the actor's establishment sponsors now; anything else is not found."""
    pk = Visa.pk_from_number(number)
    qs = Visa.objects.select_related(
        "resident", "resident__nationality", "establishment", "request"
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    visa = (
        qs.filter(pk=pk, resident__establishment_id=actor.establishment_id).first()
        if pk is not None and actor.establishment_id is not None
        else None
    )
    if visa is None:
        raise DomainError(ErrorCode.VISA_NOT_FOUND)
    return visa


def visas_for_resident(*, resident: Resident) -> list[Visa]:
    return list(resident.visas.select_related("unused_fine").order_by("-pk"))


# --- Issue --------------------------------------------------------------------------------------


def _assess_issue(
    *,
    resident: Resident,
    establishment: Establishment,
    terms: VisaTerms,
    on: date,
    schedule: Schedule,
) -> IssueCheck:
    dates = lifecycle.planned_dates(
        unit=terms.unit,
        value=terms.value,
        return_before=terms.return_before,
        issued_on=on,
        travel_window_months=schedule.int("visa.travel_window_months"),
        iqama_expiry=resident.iqama_expiry_date,
    )
    months = months_for(
        unit=terms.unit,
        value=terms.value,
        return_before=terms.return_before,
        issued_on=on,
        days_per_month=schedule.int("visa.days_per_month"),
    )
    quote = visa_issue_quote(schedule, visa_type=terms.visa_type, months=max(months, 1))
    current = current_visa_for(resident=resident, on=on)
    snapshot = IssueSnapshot(
        facts=resident_facts(resident=resident, establishment=establishment, today=on),
        unit=terms.unit,
        value=terms.value,
        return_before=terms.return_before,
        months=months,
        max_months=schedule.int("visa.max_months"),
        min_passport_days=schedule.int("visa.min_passport_validity_days"),
        latest_return=dates.latest_return,
        current_visa_number=current.number if current else None,
        unpaid_visa_fines_halalas=unpaid_visa_fines(resident=resident),
        total_halalas=quote.total_halalas,
    )
    return IssueCheck(
        resident=resident,
        terms=terms,
        dates=dates,
        months=months,
        quote=quote,
        violations=evaluate(issue_rules(), snapshot),
    )


def visa_issue_check(*, actor: User, iqama_number: str, terms: VisaTerms) -> IssueCheck:
    number = parse_iqama_number(iqama_number)
    resident = access_resident_by_iqama_number(actor=actor, iqama_number=number)
    on = today()
    check = _assess_issue(
        resident=resident,
        establishment=resident.establishment,
        terms=terms,
        on=on,
        schedule=schedule_at(on),
    )
    audit_record(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=actor,
        resident=resident,
        extra={
            "service": ServiceType.EXIT_REENTRY_ISSUE,
            "violations": [str(v.code) for v in check.violations],
        },
    )
    return check


def visa_issue(
    *,
    actor: User,
    iqama_number: str,
    terms: VisaTerms,
    idempotency_key: str,
    expected_version: int | None = None,
    expected_total_halalas: int | None = None,
) -> VisaResult:
    number = parse_iqama_number(iqama_number)
    payload_hash = payload_fingerprint(
        {"service": ServiceType.EXIT_REENTRY_ISSUE, "iqama_number": number, **terms.as_payload()}
    )
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return VisaResult(request=replay, visa=replay.visa, replayed=True)
        resident = access_resident_by_iqama_number(
            actor=actor, iqama_number=number, for_update=True
        )
        if expected_version is not None and resident.version != expected_version:
            raise QuoteChanged()
        on = today()
        check = _assess_issue(
            resident=resident,
            establishment=establishment,
            terms=terms,
            on=on,
            schedule=schedule_at(on),
        )
        request = service_request_start(
            actor=actor,
            service_type=ServiceType.EXIT_REENTRY_ISSUE,
            establishment=establishment,
            resident=resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            violations=check.violations,
            quote=check.quote,
            expected_total_halalas=expected_total_halalas,
        )
        visa = Visa.objects.create(
            request=request,
            establishment=establishment,
            resident=resident,
            visa_type=terms.visa_type,
            duration_unit=terms.unit,
            duration_value=terms.value,
            months_charged=check.months,
            issued_on=on,
            travel_by=check.dates.travel_by,
            expires_on=check.dates.expires_on,
            passport_number=resident.passport_number,
        )
        _event(visa, VisaEventKind.ISSUED, on, {"request": request.number})
        resident.version += 1
        resident.save(update_fields=["version", "updated_at"])
        service_request_finish(
            actor=actor, establishment=establishment, request=request, quote=check.quote
        )
        audit_record(
            event_type=AuditEventType.VISA_ISSUED,
            actor=actor,
            establishment=establishment,
            resident=resident,
            service_request=request,
            extra={"visa": visa.pk, "type": terms.visa_type, "months": check.months},
        )
    return VisaResult(request=request, visa=visa, replayed=False)


# --- Extend -------------------------------------------------------------------------------------


def _assess_extend(
    *, visa: Visa, establishment: Establishment, months: int, on: date, schedule: Schedule
) -> VisaCheck:
    quote = visa_extension_quote(schedule, visa_type=visa.visa_type, months=max(months, 0))
    deadline = (
        lifecycle.extension_deadline(
            expires_on=visa.expires_on, grace_days=schedule.int("visa.extension_grace_days")
        )
        if visa.expires_on
        else None
    )
    new_expiry = (
        lifecycle.extended_expiry(expires_on=visa.expires_on, months=months, on=on)
        if visa.expires_on
        else None
    )
    snapshot = ExtendSnapshot(
        facts=resident_facts(resident=visa.resident, establishment=establishment, today=on),
        visa_status=visa.status,
        expires_on=visa.expires_on,
        deadline=deadline,
        months=months,
        max_months=schedule.int("visa.max_months"),
        new_expiry=new_expiry,
        total_halalas=quote.total_halalas,
    )
    return VisaCheck(
        visa=visa,
        quote=quote,
        violations=evaluate(extend_rules(), snapshot),
        new_expiry=new_expiry,
        deadline=deadline,
    )


def visa_extend_check(*, actor: User, visa_number: str, months: int) -> VisaCheck:
    visa = access_visa_by_number(actor=actor, number=visa_number)
    on = today()
    check = _assess_extend(
        visa=visa,
        establishment=visa.resident.establishment,
        months=months,
        on=on,
        schedule=schedule_at(on),
    )
    return _waived(actor, check, ServiceType.EXIT_REENTRY_EXTEND)


def _waived(actor: User, check: VisaCheck, service_type: str) -> VisaCheck:
    """A dry run shows no refusal that an approved exception request covers."""
    return replace(
        check,
        violations=exception_waivers_filter(
            establishment_id=actor.establishment_id,
            resident=check.visa.resident,
            service_type=service_type,
            violations=check.violations,
        ),
    )


def visa_extend(
    *,
    actor: User,
    visa_number: str,
    months: int,
    idempotency_key: str,
    expected_version: int | None = None,
    expected_total_halalas: int | None = None,
) -> VisaResult:
    payload_hash = payload_fingerprint(
        {"service": ServiceType.EXIT_REENTRY_EXTEND, "visa": visa_number, "months": months}
    )
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return VisaResult(request=replay, visa=_visa_of_request(replay), replayed=True)
        visa = access_visa_by_number(actor=actor, number=visa_number, for_update=True)
        if expected_version is not None and visa.version != expected_version:
            raise QuoteChanged()
        on = today()
        check = _assess_extend(
            visa=visa, establishment=establishment, months=months, on=on, schedule=schedule_at(on)
        )
        request = service_request_start(
            actor=actor,
            service_type=ServiceType.EXIT_REENTRY_EXTEND,
            establishment=establishment,
            resident=visa.resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            violations=check.violations,
            quote=check.quote,
            expected_total_halalas=expected_total_halalas,
        )
        VisaChange.objects.create(request=request, visa=visa)
        old_expiry = visa.expires_on
        visa.expires_on = check.new_expiry
        visa.extended_months += months
        visa.version += 1
        visa.save(update_fields=["expires_on", "extended_months", "version"])
        _event(
            visa,
            VisaEventKind.EXTENDED,
            on,
            {
                "request": request.number,
                "months": months,
                "from": str(old_expiry),
                "to": str(check.new_expiry),
            },
        )
        service_request_finish(
            actor=actor, establishment=establishment, request=request, quote=check.quote
        )
        audit_record(
            event_type=AuditEventType.VISA_EXTENDED,
            actor=actor,
            establishment=establishment,
            resident=visa.resident,
            service_request=request,
            extra={"visa": visa.pk, "months": months},
        )
    return VisaResult(request=request, visa=visa, replayed=False)


# --- Cancel -------------------------------------------------------------------------------------


def _assess_cancel(*, visa: Visa, on: date, schedule: Schedule) -> VisaCheck:
    deadline = lifecycle.cancel_deadline(
        issued_on=visa.issued_on,
        travel_by=visa.travel_by,
        expires_on=visa.expires_on,
        window_days=schedule.int("visa.cancel_window_days"),
    )
    snapshot = CancelSnapshot(
        today=on,
        visa_status=visa.status,
        visa_status_label=VisaStatus(visa.status).label,
        deadline=deadline,
    )
    return VisaCheck(
        visa=visa,
        quote=Quote(lines=(), schedule_fingerprint=schedule.fingerprint),
        violations=evaluate(cancel_rules(), snapshot),
        deadline=deadline,
    )


def visa_cancel_check(*, actor: User, visa_number: str) -> VisaCheck:
    visa = access_visa_by_number(actor=actor, number=visa_number)
    on = today()
    return _waived(
        actor,
        _assess_cancel(visa=visa, on=on, schedule=schedule_at(on)),
        ServiceType.EXIT_REENTRY_CANCEL,
    )


def visa_cancel(
    *, actor: User, visa_number: str, idempotency_key: str, expected_version: int | None = None
) -> VisaResult:
    """Cancel an unused visa. The fee is not refunded (DOMAIN.md)."""
    payload_hash = payload_fingerprint(
        {"service": ServiceType.EXIT_REENTRY_CANCEL, "visa": visa_number}
    )
    with transaction.atomic(durable=True):
        establishment, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return VisaResult(request=replay, visa=_visa_of_request(replay), replayed=True)
        visa = access_visa_by_number(actor=actor, number=visa_number, for_update=True)
        if expected_version is not None and visa.version != expected_version:
            raise QuoteChanged()
        on = today()
        check = _assess_cancel(visa=visa, on=on, schedule=schedule_at(on))
        request = service_request_start(
            actor=actor,
            service_type=ServiceType.EXIT_REENTRY_CANCEL,
            establishment=establishment,
            resident=visa.resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            violations=check.violations,
            quote=check.quote,
        )
        VisaChange.objects.create(request=request, visa=visa)
        visa.status = VisaStatus.CANCELLED
        visa.version += 1
        visa.save(update_fields=["status", "version"])
        _event(visa, VisaEventKind.CANCELLED, on, {"request": request.number})
        service_request_finish(
            actor=actor, establishment=establishment, request=request, quote=check.quote
        )
        audit_record(
            event_type=AuditEventType.VISA_CANCELLED,
            actor=actor,
            establishment=establishment,
            resident=visa.resident,
            service_request=request,
            extra={"visa": visa.pk},
        )
    return VisaResult(request=request, visa=visa, replayed=False)


def _visa_of_request(request: ServiceRequest) -> Visa:
    return VisaChange.objects.select_related("visa__resident").get(request=request).visa


def _event(visa: Visa, kind: str, on: date, detail: dict[str, object] | None = None) -> None:
    VisaEvent.objects.create(
        visa=visa, kind=kind, on=on, occurred_at=timezone.now(), detail=detail or {}
    )


# --- Lifecycle: the border and the daily job ---------------------------------------------------


def departure_visa_for(*, resident: Resident, on: date) -> Visa | None:
    """The visa a departure on `on` uses (caller holds the resident's lock)."""
    for visa in resident.visas.select_for_update().filter(status__in=LIVE_STATUSES).order_by("-pk"):
        if lifecycle.can_depart_on(
            status=visa.status,
            visa_type=visa.visa_type,
            travel_by=visa.travel_by,
            expires_on=visa.expires_on,
            on=on,
        ):
            return visa
    return None


def visa_record_departure(*, visa: Visa, on: date) -> None:
    if visa.first_departure_on is None:
        visa.first_departure_on = on
        visa.expires_on = lifecycle.expiry_on_first_departure(
            unit=visa.duration_unit,
            value=visa.duration_value,
            extended_months=visa.extended_months,
            departed_on=on,
            planned_expiry=visa.expires_on,
        )
    visa.status = VisaStatus.USED
    visa.version += 1
    visa.save(update_fields=["first_departure_on", "expires_on", "status", "version"])
    _event(visa, VisaEventKind.DEPARTED, on)
    webhook_event_emit(
        establishment_id=visa.establishment_id,
        event_type="visa.used",
        data={
            "visa_number": visa.number,
            "iqama_number": visa.resident.iqama_number,
            "departed_on": on,
            "expires_on": visa.expires_on,
        },
    )


def arrival_visa_for(*, resident: Resident, on: date) -> Visa | None:
    visa = resident.visas.select_for_update().filter(status=VisaStatus.USED).order_by("-pk").first()
    if visa is None or visa.expires_on is None or on > visa.expires_on:
        return None
    return visa


def visa_record_arrival(*, visa: Visa, on: date) -> None:
    visa.status = VisaStatus.RETURNED
    visa.last_arrival_on = on
    visa.version += 1
    visa.save(update_fields=["status", "last_arrival_on", "version"])
    _event(visa, VisaEventKind.ARRIVED, on)
    webhook_event_emit(
        establishment_id=visa.establishment_id,
        event_type="visa.returned",
        data={
            "visa_number": visa.number,
            "iqama_number": visa.resident.iqama_number,
            "arrived_on": on,
        },
    )


@dataclass
class DailyReport:
    expired_unused: int = 0
    fines_recorded: int = 0
    not_returned: int = 0
    expired: int = 0


def visas_daily_run(*, on: date) -> DailyReport:
    """Move every visa whose day has come. Each visa is handled in its own short transaction under
    its lock, and each move is guarded by the visa's status, so the job is safe to run twice, late, or
    alongside officers and the border."""
    from muqeem.residents.models import ResidentStatus

    report = DailyReport()
    schedule = schedule_at(on)
    months = schedule.int("visa.not_returned_after_months")
    # A cheap superset in SQL (indexed by status and date); `daily_transition` decides exactly.
    due = (
        Q(status=VisaStatus.ISSUED, travel_by__lt=on)
        | Q(status=VisaStatus.ISSUED, expires_on__lt=on)
        | Q(status=VisaStatus.USED, expires_on__lt=on)
        | Q(status=VisaStatus.RETURNED, visa_type=VisaType.MULTIPLE, expires_on__lt=on)
    )
    candidates = Visa.objects.filter(due).values_list("pk", flat=True).order_by("pk")
    for visa_pk in candidates.iterator():
        with transaction.atomic():
            # Resident first, then visa: the order the border and the services lock in.
            resident_id = (
                Visa.objects.filter(pk=visa_pk).values_list("resident_id", flat=True).get()
            )
            resident = Resident.objects.select_for_update().get(pk=resident_id)
            visa = Visa.objects.select_for_update().get(pk=visa_pk)
            target = lifecycle.daily_transition(
                status=visa.status,
                visa_type=visa.visa_type,
                travel_by=visa.travel_by,
                expires_on=visa.expires_on,
                on=on,
                not_returned_months=months,
            )
            if target is None:
                continue
            visa.status = target
            visa.version += 1
            if target == VisaStatus.EXPIRED_UNUSED:
                # The fine dates from the day after the last day the visa could be used.
                expired_on = min(visa.travel_by, visa.expires_on or visa.travel_by)
                penalty, created = penalty_record(
                    establishment_id=visa.establishment_id,
                    resident=resident,
                    fee_code=FeeCode.UNUSED_VISA_FINE,
                    amount_halalas=schedule.int("visa.unused_fine"),
                    source_key=f"visa-unused:{visa.pk}",
                    recorded_on=expired_on,
                )
                visa.unused_fine = penalty
                report.expired_unused += 1
                report.fines_recorded += int(created)
                _event(visa, VisaEventKind.EXPIRED_UNUSED, on, {"fine": penalty.amount_halalas})
                webhook_event_emit(
                    establishment_id=visa.establishment_id,
                    event_type="visa.expired",
                    data={
                        "visa_number": visa.number,
                        "iqama_number": resident.iqama_number,
                        "status": target,
                        "on": on,
                        "fine_halalas": penalty.amount_halalas,
                    },
                )
                audit_record(
                    event_type=AuditEventType.VISA_EXPIRED,
                    actor=None,
                    establishment=visa.establishment,
                    resident=resident,
                    extra={"visa": visa.pk, "unused": True},
                )
            elif target == VisaStatus.NOT_RETURNED:
                resident.status = ResidentStatus.EXITED_NOT_RETURNED
                resident.version += 1
                resident.save(update_fields=["status", "version", "updated_at"])
                report.not_returned += 1
                _event(visa, VisaEventKind.NOT_RETURNED, on)
                webhook_event_emit(
                    establishment_id=visa.establishment_id,
                    event_type="resident.not_returned",
                    data={
                        "visa_number": visa.number,
                        "iqama_number": resident.iqama_number,
                        "on": on,
                    },
                )
                audit_record(
                    event_type=AuditEventType.RESIDENT_NOT_RETURNED,
                    actor=None,
                    establishment=visa.establishment,
                    resident=resident,
                    extra={"visa": visa.pk},
                )
            else:
                report.expired += 1
                _event(visa, VisaEventKind.EXPIRED, on)
                webhook_event_emit(
                    establishment_id=visa.establishment_id,
                    event_type="visa.expired",
                    data={
                        "visa_number": visa.number,
                        "iqama_number": resident.iqama_number,
                        "status": target,
                        "on": on,
                    },
                )
                audit_record(
                    event_type=AuditEventType.VISA_EXPIRED,
                    actor=None,
                    establishment=visa.establishment,
                    resident=resident,
                    extra={"visa": visa.pk, "unused": False},
                )
            visa.save(update_fields=["status", "version", "unused_fine"])
    return report


def visas_follow_passport(*, resident: Resident, passport_number: str, on: date) -> list[Visa]:
    """A new passport carries the resident's valid visas (caller holds the resident's lock)."""
    moved = [
        v
        for v in resident.visas.select_for_update().filter(status__in=LIVE_STATUSES).order_by("pk")
        if lifecycle.is_current(
            status=v.status,
            visa_type=v.visa_type,
            travel_by=v.travel_by,
            expires_on=v.expires_on,
            on=on,
        )
    ]
    for visa in moved:
        visa.passport_number = passport_number
        visa.version += 1
        visa.save(update_fields=["passport_number", "version"])
    return moved
