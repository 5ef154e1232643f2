"""Creating requests and moving them through their transition table.

Callers hold a transaction (`transaction.atomic(durable=True)` in the use-case service) and have
already locked the rows they change; these helpers only write the request and its history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_event_build
from muqeem.core.cache import establishment_data_changed
from muqeem.core.errors import (
    DomainError,
    EligibilityError,
    ErrorCode,
    QuoteChanged,
    TransitionNotAllowed,
    Violation,
)
from muqeem.webhooks.services import REQUEST_EVENTS, webhook_event_emit, webhook_events_emit
from muqeem.workflow.machine import INITIAL_STATUS, RequestAction, RequestStatus, next_status
from muqeem.workflow.models import RequestEvent, ServiceRequest

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment
    from muqeem.exception_requests.models import ExceptionRequest
    from muqeem.fees.quotes import Quote
    from muqeem.residents.models import Resident


def payload_fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable hash of what the client asked for, to tell a retry from a different request."""
    blob = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def establishment_lock_for(*, actor: User) -> Establishment:
    """The actor's establishment row, locked, for a transaction that moves money and locks nothing
    else of the establishment's before it (a SADAD bill paid, a top-up). `FOR NO KEY UPDATE`: rows
    that merely reference the establishment (a request, a ledger line) can still be inserted
    meanwhile. Use cases over residents do not take this lock: see `establishment_for`."""
    from muqeem.establishments.models import Establishment

    if actor.establishment_id is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    establishment = Establishment.objects.select_for_update(no_key=True).get(
        pk=actor.establishment_id
    )
    establishment_refuse_if_suspended(establishment)
    return establishment


def establishment_for(*, actor: User, read: Establishment | None = None) -> Establishment:
    """The actor's establishment, read without a lock, refused when suspended. `read`: the same row
    as the caller read it moments ago in this request (the API's key lookup); without a lock a read
    now is no fresher, so it is used instead of a second query.

    House lock order (ADR 0004): a use case locks its own rows first (the resident, the visa, the
    request) and the establishment's row last, by the balance debit (`fees.services.
    establishment_balance_debit`, one conditional UPDATE just before COMMIT). The balance read here
    is only for an early refusal; the debit is the check that counts, and it refuses a suspended
    establishment too, so a suspension committed meanwhile still stops the charge."""
    from muqeem.establishments.models import Establishment

    if actor.establishment_id is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    if read is not None and read.pk == actor.establishment_id:
        establishment = read
    else:
        establishment = Establishment.objects.get(pk=actor.establishment_id)
    establishment_refuse_if_suspended(establishment)
    return establishment


def establishment_refuse_if_suspended(establishment: Establishment) -> None:
    """A suspended establishment keeps its reads; every transaction is refused with the reason."""
    if establishment.suspended_at is not None:
        raise DomainError(
            ErrorCode.ESTABLISHMENT_SUSPENDED, {"reason": establishment.suspension_reason}
        )


def service_request_find_replay(
    *, establishment: Establishment, idempotency_key: str, payload_hash: str
) -> ServiceRequest | None:
    """The request an earlier call with this key created, or None. The same key with other data is
    refused rather than silently returning someone else's result."""
    existing = ServiceRequest.objects.filter(
        establishment=establishment, idempotency_key=idempotency_key
    ).first()
    if existing is None:
        return None
    if existing.payload_hash != payload_hash:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
    return existing


def service_request_create(
    *,
    actor: User,
    service_type: str,
    establishment: Establishment,
    resident: Resident | None,
    idempotency_key: str,
    payload_hash: str,
    fee_total_halalas: int = 0,
    fee_lines: list[dict[str, Any]] | None = None,
) -> ServiceRequest:
    now = timezone.now()
    try:
        with transaction.atomic():
            request = ServiceRequest.objects.create(
                service_type=service_type,
                establishment=establishment,
                resident=resident,
                status=INITIAL_STATUS,
                submitted_by=actor,
                idempotency_key=idempotency_key,
                payload_hash=payload_hash,
                fee_total_halalas=fee_total_halalas,
                fee_lines=fee_lines or [],
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        # Lost a race with a retry carrying the same key; the caller replays the winner.
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT) from None
    establishment_data_changed(establishment.pk)
    RequestEvent.objects.create(
        request=request,
        action=RequestAction.SUBMIT,
        from_status="",
        to_status=INITIAL_STATUS,
        actor=actor,
        occurred_at=now,
    )
    return request


def service_request_transition(
    *,
    request: ServiceRequest,
    action: str,
    actor: User | None,
    payload: dict[str, Any] | None = None,
    audit_into: list[AuditEvent] | None = None,
) -> ServiceRequest:
    """Apply `action` if the service's table allows it from the current status (caller holds the lock).
    `audit_into` collects the audit event for the caller to insert with its others."""
    target = next_status(request.service_type, request.status, action)
    if target is None:
        raise TransitionNotAllowed(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            {
                "action": str(RequestAction(action).label),
                "status": str(RequestStatus(request.status).label),
            },
        )
    now = timezone.now()
    RequestEvent.objects.create(
        request=request,
        action=action,
        from_status=request.status,
        to_status=target,
        actor=actor,
        occurred_at=now,
        payload=payload or {},
    )
    establishment_data_changed(request.establishment_id)
    request.status = target
    request.version += 1
    request.updated_at = now
    request.save(update_fields=["status", "version", "updated_at"])
    webhook_event_emit(
        establishment_id=request.establishment_id,
        event_type=REQUEST_EVENTS.get(target),
        data={
            "request_number": request.number,
            "service_type": request.service_type,
            "status": target,
            "iqama_number": getattr(request.resident, "iqama_number", None),
        },
    )
    event = audit_event_build(
        event_type=AuditEventType.REQUEST_TRANSITIONED,
        actor=actor,
        establishment=request.establishment,
        resident=request.resident,
        service_request=request,
        extra={"action": action, "to": target},
    )
    if audit_into is None:
        event.save()
    else:
        audit_into.append(event)
    return request


# --- The shape every instant e-service shares --------------------------------------------------
# open (read the establishment, replay a retry) → the service locks and assesses its own rows →
# start (refuse on violations or a changed price, record the request) → the service applies its
# change → finish (charge the quote, complete the request, and debit the balance last). All inside
# the service's durable transaction, so a failure anywhere leaves nothing behind.


def _idempotency_key_lock(*, establishment: Establishment, idempotency_key: str) -> None:
    """Serialise the calls carrying one idempotency key (PostgreSQL: a transaction-scoped advisory
    lock on a hash of the establishment and key), so a concurrent retry waits for the first and then
    finds it as a replay. SQLite's write transaction already excludes every other writer."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(
        f"request:{establishment.pk}:{idempotency_key}".encode(), digest_size=8
    ).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
        )


def service_request_open(
    *,
    actor: User,
    idempotency_key: str,
    payload_hash: str,
    rows_locked: bool = False,
    establishment_read: Establishment | None = None,
) -> tuple[Establishment, ServiceRequest | None]:
    """The actor's establishment (not locked, refused when suspended; `establishment_read`: see
    `establishment_for`) and the request an earlier call with this key created, if any.
    `rows_locked`: the caller already holds the lock on the row every call with this key must lock
    too (the resident), which serialises the retries; otherwise the key itself is locked first."""
    establishment = establishment_for(actor=actor, read=establishment_read)
    if not rows_locked:
        _idempotency_key_lock(establishment=establishment, idempotency_key=idempotency_key)
    replay = service_request_find_replay(
        establishment=establishment, idempotency_key=idempotency_key, payload_hash=payload_hash
    )
    return establishment, replay


def service_request_admit(
    *,
    service_type: str,
    establishment: Establishment,
    resident: Resident | None,
    violations: Sequence[Violation],
    quote: Quote,
    expected_total_halalas: int | None = None,
) -> ExceptionRequest | None:
    """Let an assessed request through, or refuse it: with refusals, only under an approved
    exception request (claimed here under its lock; the caller marks it used by the request,
    `exception_request_use`, in the same transaction) — otherwise every refusal at once; and only
    at the price the caller was shown (`expected_total_halalas`)."""
    exception = None
    if violations:
        from muqeem.exception_requests.services import exception_waiver_claim

        exception = exception_waiver_claim(
            establishment=establishment,
            resident=resident,
            service_type=service_type,
            violations=violations,
        )
        if exception is None:
            raise EligibilityError(violations)
    if expected_total_halalas is not None and quote.total_halalas != expected_total_halalas:
        raise QuoteChanged()
    return exception


def service_request_start(
    *,
    actor: User,
    service_type: str,
    establishment: Establishment,
    resident: Resident | None,
    idempotency_key: str,
    payload_hash: str,
    violations: Sequence[Violation],
    quote: Quote,
    expected_total_halalas: int | None = None,
) -> ServiceRequest:
    from muqeem.exception_requests.services import exception_request_use

    exception = service_request_admit(
        service_type=service_type,
        establishment=establishment,
        resident=resident,
        violations=violations,
        quote=quote,
        expected_total_halalas=expected_total_halalas,
    )
    request = service_request_create(
        actor=actor,
        service_type=service_type,
        establishment=establishment,
        resident=resident,
        idempotency_key=idempotency_key,
        payload_hash=payload_hash,
        fee_total_halalas=quote.total_halalas,
        fee_lines=quote.as_list(),
    )
    if exception is not None:
        exception_request_use(actor=actor, exception=exception, request=request)
    return request


def service_request_finish(
    *,
    actor: User,
    establishment: Establishment,
    request: ServiceRequest,
    quote: Quote,
    audit: Sequence[AuditEvent] = (),
) -> None:
    """Charge the quote and complete the request. The balance debit is the last statement, so the
    establishment's row is locked for that statement and the commit only; the caller does its own
    writes (SMS) before calling this and hands its unsaved audit events (`audit_event_build`) in
    `audit`: they are inserted after the charge's and the completion's, in one statement."""
    from muqeem.fees.services import establishment_balance_debit, ledger_post_charge

    events: list[AuditEvent] = []
    ledger_post_charge(
        actor=actor,
        establishment=establishment,
        service_request=request,
        lines=quote.lines,
        idempotency_key=f"charge:{request.pk}",
        debit=False,
        audit_into=events,
    )
    service_request_transition(
        request=request, action=RequestAction.COMPLETE, actor=actor, audit_into=events
    )
    events += audit
    AuditEvent.objects.bulk_create(events)
    establishment_balance_debit(establishment=establishment, amount_halalas=quote.total_halalas)


def service_requests_record_completed(
    *,
    actor: User,
    service_type: str,
    establishment: Establishment,
    items: Sequence[tuple[Resident, str, str, Quote]],
    audit_into: list[AuditEvent],
) -> list[ServiceRequest]:
    """The set form of `service_request_start` + `service_request_finish`'s completion, for
    requests already assessed with no refusal: each (resident, idempotency key, payload hash,
    quote) becomes a completed request with its submit and complete events and its webhook event,
    in three statements whatever their number. The transition's audit events are collected in
    `audit_into`; the charge (`fees.services.ledger_post_charges`) and the balance debit are the
    caller's, the debit last (ADR 0004). A duplicate idempotency key fails the whole insert: the
    caller's transaction rolls back and the requests go one by one."""
    target = next_status(service_type, INITIAL_STATUS, RequestAction.COMPLETE)
    if target is None:
        raise ValueError(f"{service_type} requests cannot complete from {INITIAL_STATUS}")
    now = timezone.now()
    requests = ServiceRequest.objects.bulk_create(
        [
            ServiceRequest(
                service_type=service_type,
                establishment=establishment,
                resident=resident,
                status=target,
                # Created (version 1) and completed (one transition), as one at a time would.
                version=2,
                submitted_by=actor,
                idempotency_key=key,
                payload_hash=payload_hash,
                fee_total_halalas=quote.total_halalas,
                fee_lines=quote.as_list(),
                created_at=now,
                updated_at=now,
            )
            for resident, key, payload_hash, quote in items
        ]
    )
    events = []
    for request in requests:
        events += [
            RequestEvent(
                request=request,
                action=RequestAction.SUBMIT,
                from_status="",
                to_status=INITIAL_STATUS,
                actor=actor,
                occurred_at=now,
            ),
            RequestEvent(
                request=request,
                action=RequestAction.COMPLETE,
                from_status=INITIAL_STATUS,
                to_status=target,
                actor=actor,
                occurred_at=now,
                payload={},
            ),
        ]
        audit_into.append(
            audit_event_build(
                event_type=AuditEventType.REQUEST_TRANSITIONED,
                actor=actor,
                establishment=establishment,
                resident=request.resident,
                service_request=request,
                extra={"action": RequestAction.COMPLETE, "to": target},
            )
        )
    RequestEvent.objects.bulk_create(events)
    establishment_data_changed(establishment.pk)
    webhook_events_emit(
        establishment_id=establishment.pk,
        event_type=REQUEST_EVENTS.get(target),
        data=[
            {
                "request_number": request.number,
                "service_type": service_type,
                "status": target,
                "iqama_number": getattr(request.resident, "iqama_number", None),
            }
            for request in requests
        ],
    )
    return requests
