"""The audit of a read: committed without waiting for the WAL flush when it is its own transaction,
and never changing how a use case's own commit is made."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_record_read

ASYNC = "set_config('synchronous_commit', 'off', true)"


def _read_event(resident) -> AuditEvent:  # type: ignore[no-untyped-def]
    return audit_record_read(
        event_type=AuditEventType.RESIDENT_VIEWED, actor=None, resident=resident, extra={"n": 1}
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_read_event_alone_commits_asynchronously_on_postgresql(resident):
    with CaptureQueriesContext(connection) as ctx:
        event = _read_event(resident)
    # One statement, its own transaction: no BEGIN, SET LOCAL or COMMIT round trips.
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 1, statements
    assert statements[0].startswith('INSERT INTO "audit_auditevent"')
    assert statements[0].endswith(ASYNC)
    assert AuditEvent.objects.filter(pk=event.pk, resident=resident).exists()
    with connection.cursor() as cursor:  # SET LOCAL ended with the read's transaction
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_inside_a_use_case_the_commit_stays_synchronous(resident):
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        event = _read_event(resident)
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    assert not any(ASYNC in q["sql"] for q in ctx.captured_queries)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_a_read_event_is_recorded_like_any_other(resident):
    event = _read_event(resident)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.event_type == AuditEventType.RESIDENT_VIEWED
    assert stored.resident_id == resident.pk
    assert stored.actor_establishment_id is None
    assert stored.extra_data == {"n": 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_one_statement_stores_what_save_would(resident):
    event = _read_event(resident)
    stored = AuditEvent.objects.get(pk=event.pk)
    for field in AuditEvent._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(event, field.attname), field.name
    assert not event._state.adding
