"""Iqama renewal: check (dry run), then renew atomically. The seed's steps 6–11."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_event_build
from muqeem.core.dates import format_gregorian, today
from muqeem.core.errors import DomainError, ErrorCode, QuoteChanged, Violation
from muqeem.core.i18n import in_both_languages
from muqeem.core.updates import rows_update
from muqeem.eservices.iqama_renewal.fees import is_late, renewal_quote
from muqeem.eservices.iqama_renewal.models import IqamaRenewal
from muqeem.eservices.iqama_renewal.rules import RenewalSnapshot, new_expiry_for, rules
from muqeem.establishments.models import Establishment
from muqeem.exception_requests.services import exception_request_use, exception_waivers_filter
from muqeem.fees.quotes import Quote
from muqeem.fees.schedule import Schedule
from muqeem.fees.selectors import schedule_at
from muqeem.fees.services import establishment_balance_debit, ledger_post_charges
from muqeem.notifications.services import sms_send
from muqeem.residents.models import Resident, ResidentHistoryEntry, ResidentHistoryKind
from muqeem.residents.selectors import (
    access_resident_by_iqama_number,
    parse_iqama_number,
    resident_qs_for,
)
from muqeem.workflow.evaluation import resident_facts
from muqeem.workflow.machine import ServiceType
from muqeem.workflow.models import ServiceRequest
from muqeem.workflow.rules import evaluate
from muqeem.workflow.services import (
    establishment_for,
    payload_fingerprint,
    service_request_admit,
    service_request_open,
    service_requests_record_completed,
)

if TYPE_CHECKING:
    from muqeem.accounts.models import User


# What a renewal changes on the resident's row.
RENEWED_FIELDS = [
    "iqama_expiry_date",
    "work_permit_paid_until",
    "late_renewal_count",
    "version",
    "updated_at",
]


@dataclass(frozen=True)
class RenewalCheck:
    resident: Resident
    snapshot: RenewalSnapshot
    quote: Quote
    violations: list[Violation]

    @property
    def eligible(self) -> bool:
        return not self.violations

    @property
    def new_expiry(self) -> date:
        return self.snapshot.new_expiry


@dataclass(frozen=True)
class RenewalResult:
    request: ServiceRequest
    renewal: IqamaRenewal
    replayed: bool


def _assess(
    *,
    resident: Resident,
    establishment: Establishment,
    period_months: int,
    on: date,
    schedule: Schedule,
) -> RenewalCheck:
    grace = schedule.int("renewal.late_grace_days")
    late = resident.iqama_expiry_date is not None and is_late(
        today=on, expiry=resident.iqama_expiry_date, grace_days=grace
    )
    dependents = sum(1 for d in resident.dependents.all() if d.is_active)
    quote = renewal_quote(
        schedule,
        months=period_months,
        dependents=dependents,
        saudis_majority=establishment.saudis_majority,
        abroad=not resident.inside_kingdom,
        domestic_worker=resident.is_domestic_worker,
        late=late,
        prior_late_renewals=resident.late_renewal_count,
    )
    snapshot = RenewalSnapshot(
        facts=resident_facts(resident=resident, establishment=establishment, today=on),
        period_months=period_months,
        allowed_periods=tuple(schedule.ints("renewal.periods_months")),
        max_horizon_months=schedule.int("renewal.max_horizon_months"),
        min_passport_days=schedule.int("renewal.min_passport_validity_days"),
        late=late,
        prior_late_renewals=resident.late_renewal_count,
        max_late_renewals=len(schedule.ints("renewal.late_fines")),
        total_halalas=quote.total_halalas,
    )
    return RenewalCheck(
        resident=resident, snapshot=snapshot, quote=quote, violations=evaluate(rules(), snapshot)
    )


def iqama_renewal_check(*, actor: User, iqama_number: str, period_months: int) -> RenewalCheck:
    """Everything the officer needs before paying: the resident, every blocker, the itemised fees.
    Changes nothing but the audit trail (reading a resident's file is audited)."""
    number = parse_iqama_number(iqama_number)
    resident = access_resident_by_iqama_number(actor=actor, iqama_number=number)
    on = today()
    check = _check_with_waivers(actor=actor, resident=resident, period_months=period_months, on=on)
    _checked_audit(actor=actor, check=check).save()
    return check


def iqama_renewal_check_many(
    *, actor: User, items: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], RenewalCheck]:
    """`iqama_renewal_check` for many (iqama number, months) pairs at once (a bulk batch's dry
    run): the residents and their dependents read by two statements, the schedule once, and the
    audit events inserted by one. The result has a check for each pair whose resident the actor
    may see; a pair without one (a number not valid or not of the establishment) gets its answer
    from `iqama_renewal_check`."""
    numbers: dict[str, str] = {}
    for number, _months in items:
        try:
            numbers[number] = parse_iqama_number(number)
        except DomainError:
            continue
    residents = {
        r.iqama_number: r
        for r in resident_qs_for(actor=actor)
        .filter(iqama_number__in=set(numbers.values()))
        .select_related("nationality", "profession", "establishment")
        .prefetch_related("dependents")
    }
    on = today()
    schedule = schedule_at(on)
    checks: dict[tuple[str, int], RenewalCheck] = {}
    for number, months in items:
        resident = residents.get(numbers.get(number, ""))
        if resident is not None:
            checks[(number, months)] = _check_with_waivers(
                actor=actor, resident=resident, period_months=months, on=on, schedule=schedule
            )
    AuditEvent.objects.bulk_create(
        [_checked_audit(actor=actor, check=check) for check in checks.values()]
    )
    return checks


def _check_with_waivers(
    *,
    actor: User,
    resident: Resident,
    period_months: int,
    on: date,
    schedule: Schedule | None = None,
) -> RenewalCheck:
    check = _assess(
        resident=resident,
        establishment=resident.establishment,
        period_months=period_months,
        on=on,
        schedule=schedule or schedule_at(on),
    )
    if not check.violations:
        return check
    return replace(
        check,
        violations=exception_waivers_filter(
            establishment_id=actor.establishment_id,
            resident=resident,
            service_type=ServiceType.IQAMA_RENEWAL,
            violations=check.violations,
        ),
    )


def _checked_audit(*, actor: User, check: RenewalCheck) -> AuditEvent:
    return audit_event_build(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=actor,
        resident=check.resident,
        extra={
            "service": ServiceType.IQAMA_RENEWAL,
            "violations": [str(v.code) for v in check.violations],
        },
    )


def iqama_renew(
    *,
    actor: User,
    iqama_number: str,
    period_months: int,
    idempotency_key: str,
    expected_version: int | None = None,
    expected_total_halalas: int | None = None,
    notify: bool = True,
    establishment_read: Establishment | None = None,
) -> RenewalResult:
    """Renew one iqama: request, new expiry, ledger debit, history and audit in one transaction.
    `notify=False` leaves the SMS to the caller (a bulk batch sends one summary, not one per row).
    `establishment_read`: the actor's establishment as the caller has just read it in this request
    (the API's key lookup), which saves reading it again; never one kept across requests.

    The resident's row is locked first; the establishment's row only by the balance debit, the
    last statement before COMMIT (ADR 0004), so renewals of different residents of one
    establishment run side by side. A retry with the same `idempotency_key` returns the first
    result; a quote whose resident or fees have changed since (another tab renewed, a fee changed)
    is refused, so nothing is ever renewed or charged twice or at a price the officer did not see.
    """
    number = parse_iqama_number(iqama_number)
    payload_hash = payload_fingerprint(
        {
            "service": ServiceType.IQAMA_RENEWAL,
            "iqama_number": number,
            "period_months": period_months,
        }
    )
    if actor.establishment_id is None:
        raise DomainError(ErrorCode.RESIDENT_NOT_FOUND)
    with transaction.atomic(durable=True):
        resident = access_resident_by_iqama_number(
            actor=actor, iqama_number=number, for_update=True
        )
        # Every call with this key locks this resident first, so a concurrent retry finds the
        # first call's request here once that has committed.
        establishment, replay = service_request_open(
            actor=actor,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            rows_locked=True,
            establishment_read=establishment_read,
        )
        if replay is not None:
            return RenewalResult(request=replay, renewal=replay.iqama_renewal, replayed=True)
        if expected_version is not None and resident.version != expected_version:
            raise QuoteChanged()
        on = today()
        check = _assess(
            resident=resident,
            establishment=establishment,
            period_months=period_months,
            on=on,
            schedule=schedule_at(on),
        )
        exception = service_request_admit(
            service_type=ServiceType.IQAMA_RENEWAL,
            establishment=establishment,
            resident=resident,
            violations=check.violations,
            quote=check.quote,
            expected_total_halalas=expected_total_halalas,
        )
        # Written as a set of one: the same statements as a bulk group's, once.
        (result,) = _renewals_write(
            actor=actor,
            establishment=establishment,
            on=on,
            plain=[(idempotency_key, payload_hash, resident, period_months, check)],
            notify=notify,
        )
        if exception is not None:
            # The one case with statements after the debit: a waived refusal, rare, marks its
            # exception used by the request it now has.
            exception_request_use(actor=actor, exception=exception, request=result.request)
    return result


@dataclass(frozen=True)
class RenewalItem:
    """One renewal of a set (`iqama_renew_many`), as `iqama_renew` takes it."""

    iqama_number: str
    period_months: int
    idempotency_key: str
    expected_total_halalas: int | None = None


def iqama_renew_many(*, actor: User, items: Sequence[RenewalItem]) -> dict[str, RenewalResult]:
    """Renew several iqamas of the actor's establishment in one transaction, set-based: the
    residents read and locked by one statement, the schedule read once, and the requests, events,
    renewals, history, journals, lines and audit events inserted a statement each for all of them
    (a bulk batch's chunk; `iqama_renew` with `notify=False` for each, in effect).

    Only the plain cases are done here: the resident found, the idempotency key new, no refusal,
    the quote as expected. The result maps the idempotency key of each item renewed to its result;
    the others are left to the caller to run one by one through `iqama_renew`, which gives each
    its own answer (not found, replay, refusal, exception waiver, changed price). The balance is
    debited once by the total, last (ADR 0004); when it cannot cover the set, or anything else
    fails, nothing is written and every item is left to the caller (an empty result)."""
    if actor.establishment_id is None or not items:
        return {}
    numbers = {}
    for item in items:
        try:
            numbers[item.idempotency_key] = parse_iqama_number(item.iqama_number)
        except DomainError:
            continue
    try:
        with transaction.atomic(durable=True):
            return _renew_plain(actor=actor, items=items, numbers=numbers)
    except DomainError:
        # Insufficient balance for the set, a suspension, a key taken meanwhile: one by one.
        return {}


def _renew_plain(
    *, actor: User, items: Sequence[RenewalItem], numbers: dict[str, str]
) -> dict[str, RenewalResult]:
    residents = {
        r.iqama_number: r
        for r in resident_qs_for(actor=actor)
        .filter(iqama_number__in=set(numbers.values()))
        .select_for_update(of=("self",))
        .order_by("pk")
        .prefetch_related("dependents")
    }
    establishment = establishment_for(actor=actor)
    taken = set(
        ServiceRequest.objects.filter(
            establishment=establishment, idempotency_key__in=list(numbers)
        ).values_list("idempotency_key", flat=True)
    )
    on = today()
    schedule = schedule_at(on)
    plain: list[tuple[RenewalItem, Resident, RenewalCheck, str]] = []
    seen: set[str] = set()
    for item in items:
        number = numbers.get(item.idempotency_key, "")
        resident = residents.get(number)
        if resident is None or item.idempotency_key in taken or number in seen:
            continue
        check = _assess(
            resident=resident,
            establishment=establishment,
            period_months=item.period_months,
            on=on,
            schedule=schedule,
        )
        if check.violations or (
            item.expected_total_halalas is not None
            and check.quote.total_halalas != item.expected_total_halalas
        ):
            continue
        seen.add(number)
        payload_hash = payload_fingerprint(
            {
                "service": ServiceType.IQAMA_RENEWAL,
                "iqama_number": number,
                "period_months": item.period_months,
            }
        )
        plain.append((item, resident, check, payload_hash))
    if not plain:
        return {}
    results = _renewals_write(
        actor=actor,
        establishment=establishment,
        on=on,
        plain=[
            (item.idempotency_key, payload_hash, resident, item.period_months, check)
            for item, resident, check, payload_hash in plain
        ],
        notify=False,
    )
    return {
        item.idempotency_key: result for (item, *_rest), result in zip(plain, results, strict=True)
    }


def _renewals_write(
    *,
    actor: User,
    establishment: Establishment,
    on: date,
    plain: Sequence[tuple[str, str, Resident, int, RenewalCheck]],
    notify: bool,
) -> list[RenewalResult]:
    """Write renewals already assessed with no refusal, each (idempotency key, payload hash,
    resident locked, months, check), a statement per table for all of them: the requests created
    completed with their events and webhook deliveries, the renewals, the residents' new expiries,
    the history, the SMS (`notify`), the charge journals and lines, the audit events, and last the
    one debit of the total (ADR 0004: the establishment's row locked for that statement and the
    commit). The caller holds the transaction and the residents' locks."""
    completed: list[AuditEvent] = []
    requests = service_requests_record_completed(
        actor=actor,
        service_type=ServiceType.IQAMA_RENEWAL,
        establishment=establishment,
        items=[
            (resident, key, payload_hash, check.quote)
            for key, payload_hash, resident, _m, check in plain
        ],
        audit_into=completed,
    )
    renewed: list[AuditEvent] = []
    now = timezone.now()
    renewals: list[IqamaRenewal] = []
    history: list[ResidentHistoryEntry] = []
    for (_key, _hash, resident, months, check), request in zip(plain, requests, strict=True):
        previous_expiry = resident.iqama_expiry_date or on
        new_expiry = new_expiry_for(
            today=on, current_expiry=resident.iqama_expiry_date, months=months
        )
        renewals.append(
            IqamaRenewal(
                request=request,
                period_months=months,
                previous_expiry=previous_expiry,
                new_expiry=new_expiry,
                was_late=check.snapshot.late,
                renewed_abroad=not resident.inside_kingdom,
            )
        )
        resident.iqama_expiry_date = new_expiry
        resident.work_permit_paid_until = new_expiry
        if check.snapshot.late:
            resident.late_renewal_count += 1
        resident.version += 1
        resident.updated_at = now
        history.append(
            ResidentHistoryEntry(
                resident=resident,
                occurred_at=now,
                kind=ResidentHistoryKind.IQAMA_RENEWED,
                establishment=establishment,
                service_request=request,
                old={"iqama_expiry_date": previous_expiry.isoformat()},
                new={"iqama_expiry_date": new_expiry.isoformat(), "period_months": months},
            )
        )
        renewed.append(
            audit_event_build(
                event_type=AuditEventType.IQAMA_RENEWED,
                actor=actor,
                establishment=establishment,
                resident=resident,
                service_request=request,
                extra={
                    "period_months": months,
                    "new_expiry": new_expiry.isoformat(),
                    "late": check.snapshot.late,
                },
            )
        )
        if notify and establishment.registered_mobile:
            sms_send(
                to=establishment.registered_mobile,
                body=_renewal_sms(request=request, resident=resident, new_expiry=new_expiry),
            )
    IqamaRenewal.objects.bulk_create(renewals)
    rows_update(
        Resident,
        RENEWED_FIELDS,
        [
            (resident.pk, {name: getattr(resident, name) for name in RENEWED_FIELDS})
            for _key, _hash, resident, _months, _check in plain
        ],
    )
    ResidentHistoryEntry.objects.bulk_create(history)
    posted: list[AuditEvent] = []
    ledger_post_charges(
        actor=actor,
        establishment=establishment,
        charges=[
            (request, check.quote.lines, f"charge:{request.pk}")
            for (*_rest, check), request in zip(plain, requests, strict=True)
        ],
        audit_into=posted,
    )
    # Each request's events in the order one renewal records them: posted, completed, renewed.
    charge_event = {event.service_request_id: event for event in posted}
    AuditEvent.objects.bulk_create(
        [
            event
            for request, done, renewal in zip(requests, completed, renewed, strict=True)
            for event in (charge_event.get(request.pk), done, renewal)
            if event is not None
        ]
    )
    # Last: the one debit of the total, which locks the establishment's row for this statement and
    # the commit; a balance short of it refuses it and rolls everything back.
    establishment_balance_debit(
        establishment=establishment, amount_halalas=sum(r.fee_total_halalas for r in requests)
    )
    return [
        RenewalResult(request=request, renewal=renewal, replayed=False)
        for request, renewal in zip(requests, renewals, strict=True)
    ]


def _renewal_sms(*, request: ServiceRequest, resident: Resident, new_expiry: date) -> str:
    return in_both_languages(
        lambda: _("Iqama {iqama} renewed until {expiry}. Request number {number}.").format(
            iqama=resident.iqama_number, expiry=format_gregorian(new_expiry), number=request.number
        )
    )


def iqama_renewal_get(*, actor: User, request_number: str) -> RenewalResult:
    """A renewal request of the actor's establishment by its request number (404 otherwise)."""
    pk = ServiceRequest.pk_from_number(request_number)
    request = (
        ServiceRequest.objects.select_related("resident", "establishment", "iqama_renewal")
        .filter(
            pk=pk, establishment_id=actor.establishment_id, service_type=ServiceType.IQAMA_RENEWAL
        )
        .first()
        if pk is not None and actor.establishment_id is not None
        else None
    )
    if request is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return RenewalResult(request=request, renewal=request.iqama_renewal, replayed=True)
