from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.middleware import current_request_id

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment
    from muqeem.residents.models import Resident
    from muqeem.workflow.models import ServiceRequest


def audit_record(
    *,
    event_type: AuditEventType,
    actor: User | None,
    establishment: Establishment | None = None,
    resident: Resident | None = None,
    service_request: ServiceRequest | None = None,
    extra: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one audit event. Call inside the transaction of the change it describes, so the two
    commit or roll back together. `extra` holds ids and codes, never personal data."""
    event = audit_event_build(
        event_type=event_type,
        actor=actor,
        establishment=establishment,
        resident=resident,
        service_request=service_request,
        extra=extra,
        ip=ip,
    )
    event.save()
    return event


def audit_event_build(
    *,
    event_type: AuditEventType,
    actor: User | None,
    establishment: Establishment | None = None,
    resident: Resident | None = None,
    service_request: ServiceRequest | None = None,
    extra: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """The event `audit_record` would append, not saved yet: a use case that records several in one
    transaction inserts them with one `AuditEvent.objects.bulk_create` before it commits."""
    if establishment is None and actor is not None:
        establishment = getattr(actor, "establishment", None)
    return AuditEvent(
        occurred_at=timezone.now(),
        event_type=int(event_type),
        actor_user=actor if actor is not None and actor.pk else None,
        actor_establishment=establishment,
        resident=resident,
        service_request=service_request,
        extra_data=extra or {},
        request_id=current_request_id(),
        ip=ip,
    )


def audit_record_read(
    *,
    event_type: AuditEventType,
    actor: User | None,
    establishment: Establishment | None = None,
    resident: Resident | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append the audit event of a read (a file viewed, a list searched) that changes nothing.

    Outside any transaction on PostgreSQL, the event is its own transaction committed with
    `synchronous_commit = off`: the reader does not wait for the WAL flush, and a database crash can
    lose at most the last few hundred milliseconds of read events (the WAL writer flushes them
    within three `wal_writer_delay`s). A change is never committed this way: inside a transaction
    (a use case that also writes) the setting would apply to the whole commit, so the event is
    then recorded as usual. The hash chain is unaffected: the sealer leaves events younger than
    `chain.SETTLE_SECONDS` alone, and a seal is committed synchronously, which flushes every
    earlier commit record with it, so a sealed event is never one a crash could lose.

    That transaction is one statement, not four (BEGIN, SET LOCAL, INSERT, COMMIT): the INSERT
    runs in autocommit and sets the option for its own transaction only
    (`set_config('synchronous_commit', 'off', true)` in its RETURNING list, evaluated before the
    statement's commit, which is when the option is read; it ends with that transaction)."""
    event = audit_event_build(
        event_type=event_type,
        actor=actor,
        establishment=establishment,
        resident=resident,
        extra=extra,
    )
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        event.save()
    else:
        _insert_committed_asynchronously(event)
    return event


_READ_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
_read_event_sql: list[str] = []


def _insert_committed_asynchronously(event: AuditEvent) -> None:
    """`event.save()` as one autocommit statement whose commit does not wait for the WAL flush."""
    if not _read_event_sql:
        qn = connection.ops.quote_name
        table = qn(AuditEvent._meta.db_table)
        _read_event_sql.append(
            f"INSERT INTO {table} ({', '.join(qn(f.column) for f in _READ_EVENT_FIELDS)})"  # noqa: S608 - names from the models
            f" VALUES ({', '.join(['%s'] * len(_READ_EVENT_FIELDS))})"
            f" RETURNING {table}.{qn(AuditEvent._meta.pk.column)},"
            " set_config('synchronous_commit', 'off', true)"
        )
    values = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in _READ_EVENT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_read_event_sql[0], values)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias
