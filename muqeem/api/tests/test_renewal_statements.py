"""What one renewal by API costs the database (docs/performance.md §4): a statement added here shows
as a failure, so the count only goes down on purpose."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from muqeem.api.tests.conftest import idem
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/iqama-renewals/"


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    # Savepoints depend on the database and the test's own transaction; BEGIN/COMMIT likewise.
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))
    ]


def test_a_renewal_by_api_takes_18_statements_and_one_audit_insert(api, establishment):
    first, second = ResidentFactory.create_batch(2, establishment=establishment)
    body = {"iqama_number": first.iqama_number, "period_months": 12}
    assert api.post(URL, body, format="json", **idem()).status_code == 201  # the key's last use
    with CaptureQueriesContext(connection) as ctx:
        response = api.post(
            URL,
            {"iqama_number": second.iqama_number, "period_months": 12},
            format="json",
            **idem(),
        )
    assert response.status_code == 201, response.content
    statements = _statements(ctx)
    # key (with its establishment); claim; resident (locked); replay lookup; schedule; dependents;
    # the request created completed; its submit and complete events in one INSERT; webhook
    # endpoints; renewal; resident; history; SMS; journal; lines; the three audit rows in one
    # INSERT; the debit; the kept response.
    assert len(statements) == 18, "\n".join(s[:100] for s in statements)
    assert sum(s.startswith('INSERT INTO "audit_auditevent"') for s in statements) == 1
    assert statements[-2].startswith('UPDATE "establishments_establishment"')
    request = ServiceRequest.objects.get(resident=second)
    assert request.number == response.json()["request_number"]
    events = AuditEvent.objects.filter(service_request=request).order_by("pk")
    assert [e.event_type for e in events] == [
        AuditEventType.LEDGER_POSTED,
        AuditEventType.REQUEST_TRANSITIONED,
        AuditEventType.IQAMA_RENEWED,
    ]


def test_a_suspended_establishments_renewal_is_refused_from_the_keys_read(
    api, resident, establishment
):
    """The renewal takes the establishment the key's lookup read; a suspension is still refused."""
    from django.utils import timezone

    from muqeem.establishments.models import Establishment

    Establishment.objects.filter(pk=establishment.pk).update(
        suspended_at=timezone.now(), suspension_reason="unpaid fines"
    )
    response = api.post(
        URL, {"iqama_number": resident.iqama_number, "period_months": 12}, format="json", **idem()
    )
    assert response.status_code in (403, 409, 422), response.content
    assert response.json()["code"] == "ESTABLISHMENT_SUSPENDED"
    assert not ServiceRequest.objects.exists()
