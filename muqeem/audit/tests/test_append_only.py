"""The audit log and the ledger are append-only, in the application and, on PostgreSQL, in the database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_record
from muqeem.fees.models import LedgerLine

pytestmark = pytest.mark.django_db


def test_the_model_refuses_to_change_or_delete_an_event(hr_officer):
    event = audit_record(event_type=AuditEventType.LOGIN, actor=hr_officer)
    event.extra_data = {"changed": True}
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_even_in_raw_queries(hr_officer, establishment):
    event = audit_record(event_type=AuditEventType.LOGIN, actor=hr_officer)
    line = LedgerLine.objects.filter(establishment=establishment).first()
    assert line is not None  # the fixture's funding posted a payment
    attempts = [
        lambda: AuditEvent.objects.filter(pk=event.pk).update(extra_data={"tampered": True}),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: LedgerLine.objects.filter(pk=line.pk).update(amount_halalas=1),
        lambda: LedgerLine.objects.filter(pk=line.pk).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    event.refresh_from_db()
    line.refresh_from_db()
    assert event.extra_data == {}
    assert line.amount_halalas > 0
