"""A request whose database connection dies mid-transaction (a restart, a dropped session) must not
leave its Idempotency-Key claimed: the client's retry with the same key runs the work, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from muqeem.api.apis import renewals
from muqeem.api.models import IdempotencyRecord
from muqeem.fees.models import LedgerJournal
from muqeem.workflow.models import ServiceRequest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _cut_the_connection_once(monkeypatch: pytest.MonkeyPatch, *, after_the_work: bool) -> None:
    """The first renewal's session is ended by the server (as a restart or pg_terminate_backend
    does), before the renewal runs or after it has committed."""
    real_renew = renewals.iqama_renew
    calls = {"n": 0}

    def cut() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    def renew(**kwargs: Any) -> Any:
        calls["n"] += 1
        first = calls["n"] == 1
        if first and not after_the_work:
            cut()
        result = real_renew(**kwargs)
        if first and after_the_work:
            cut()
        return result

    monkeypatch.setattr(renewals, "iqama_renew", renew)


def test_a_request_cut_off_from_the_database_frees_its_key_for_the_retry(
    api: Any, resident: Any, establishment: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cut_the_connection_once(monkeypatch, after_the_work=False)
    payload = {"iqama_number": resident.iqama_number, "period_months": 12}

    first = api.post(
        "/api/v1/iqama-renewals/", payload, format="json", HTTP_IDEMPOTENCY_KEY="cut-off"
    )
    assert first.status_code == 500
    body = first.json()
    assert body["code"] == "INTERNAL_ERROR"
    assert body["messages"]["ar"] and body["messages"]["en"]
    assert not IdempotencyRecord.objects.filter(key="cut-off").exists()

    retry = api.post(
        "/api/v1/iqama-renewals/", payload, format="json", HTTP_IDEMPOTENCY_KEY="cut-off"
    )
    assert retry.status_code == 201, retry.content
    assert ServiceRequest.objects.filter(establishment=establishment).count() == 1
    assert LedgerJournal.objects.filter(establishment=establishment, kind="charge").count() == 1


def test_a_connection_lost_after_the_work_committed_still_answers_once(
    api: Any, resident: Any, establishment: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cut_the_connection_once(monkeypatch, after_the_work=True)
    payload = {"iqama_number": resident.iqama_number, "period_months": 12}

    first = api.post(
        "/api/v1/iqama-renewals/", payload, format="json", HTTP_IDEMPOTENCY_KEY="late-cut"
    )
    # Whatever the first answer, it is ours (an envelope or the result), never the portal's page.
    assert first["Content-Type"] == "application/json"
    retry = api.post(
        "/api/v1/iqama-renewals/", payload, format="json", HTTP_IDEMPOTENCY_KEY="late-cut"
    )
    assert retry.status_code == 201, retry.content
    if first.status_code == 201:
        assert retry.json()["request_number"] == first.json()["request_number"]
    assert ServiceRequest.objects.filter(establishment=establishment).count() == 1
    assert LedgerJournal.objects.filter(establishment=establishment, kind="charge").count() == 1
