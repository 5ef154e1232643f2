"""Reconciliation: a database written only through the services passes every check; each kind of
broken data (written behind the services' back, with raw SQL) fails the check that covers it, and
only that one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from muqeem.accounts.permissions import Permission
from muqeem.api.models import IdempotencyRecord
from muqeem.api.services import api_key_create
from muqeem.audit.chain import audit_seal_run
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.eservices.iqama_renewal.services import iqama_renew
from muqeem.establishments.models import Establishment
from muqeem.fees.models import JournalKind, LedgerAccount, LedgerJournal, LedgerLine
from muqeem.reliability.reconcile import CHECKS, reconcile_run
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def raw(sql: str, params: list[Any] | None = None) -> None:
    """Write behind the application's back (on PostgreSQL in replica mode, so neither the append-only
    triggers nor the foreign keys stop it: the data a bug or an intruder could leave)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])


def failing() -> set[str]:
    return {c.name for c in reconcile_run().checks if not c.passed}


@pytest.fixture
def activity(establishment: Any, hr_officer: Any) -> dict[str, Any]:
    """Two iqama renewals (requests, charges, history, audit) and an API acknowledgement of one."""
    requests = []
    for i in range(2):
        resident = ResidentFactory(establishment=establishment)
        result = iqama_renew(
            actor=hr_officer,
            iqama_number=resident.iqama_number,
            period_months=12,
            idempotency_key=f"renew-{i}",
        )
        requests.append(result.request)
    main_user = UserFactory(establishment=establishment, is_main_user=True)
    key, _ = api_key_create(
        actor=main_user, name="HR", permissions=[Permission.IQAMA_RENEWAL.value]
    )
    IdempotencyRecord.objects.create(
        api_key=key,
        key="k-1",
        request_hash="h",
        status_code=201,
        response_body=json.dumps({"request_number": requests[0].number}),
        created_at=timezone.now(),
        completed_at=timezone.now(),
    )
    audit_seal_run(settle_seconds=0)
    return {"requests": requests, "establishment": establishment, "api_key": key}


def test_a_database_written_through_the_services_passes_every_check(activity):
    report = reconcile_run()
    assert report.passed, [c.problems for c in report.checks if not c.passed]
    counts = {c.name: c.counts for c in report.checks}
    assert counts["requests_unique"]["acknowledged_by_api"] == 1
    assert counts["charges_match_requests"]["charges"] == 2
    assert counts["transitions_audited"]["transitions"] == 2
    assert counts["audit_chain"]["unsealed"] == 0
    assert set(CHECKS) == {c.name for c in report.checks}


def _acknowledged_but_missing(a: dict[str, Any]) -> None:
    IdempotencyRecord.objects.create(
        api_key=a["api_key"],
        key="k-2",
        request_hash="h",
        status_code=201,
        response_body=json.dumps({"request_number": "1000999999"}),
        created_at=timezone.now(),
    )


def _status_without_history(a: dict[str, Any]) -> None:
    raw(
        "UPDATE workflow_servicerequest SET version = version + 1 WHERE id = %s",
        [a["requests"][0].pk],
    )


def _submission_lost(a: dict[str, Any]) -> None:
    raw(
        "DELETE FROM workflow_requestevent WHERE request_id = %s AND action = 'submit'",
        [a["requests"][0].pk],
    )


def _transition_without_history(a: dict[str, Any]) -> None:
    request = a["requests"][1]
    audit_record(
        event_type=AuditEventType.REQUEST_TRANSITIONED,
        actor=None,
        establishment=a["establishment"],
        resident=request.resident,
        service_request=request,
        extra={"action": "complete", "to": "completed"},
    )


def _history_entry_lost(a: dict[str, Any]) -> None:
    raw(
        "DELETE FROM residents_residenthistoryentry WHERE service_request_id = %s",
        [a["requests"][0].pk],
    )


def _unbalanced_journal(a: dict[str, Any]) -> None:
    raw(
        "UPDATE fees_ledgerline SET amount_halalas = amount_halalas + 1 "
        "WHERE account = 'revenue' AND id = (SELECT MIN(id) FROM fees_ledgerline WHERE account = 'revenue')"
    )


def _charge_differs_from_quote(a: dict[str, Any]) -> None:
    raw(
        "UPDATE workflow_servicerequest SET fee_total_halalas = fee_total_halalas + 100 WHERE id = %s",
        [a["requests"][0].pk],
    )


def _charge_without_request(a: dict[str, Any]) -> None:
    raw(
        "UPDATE fees_ledgerjournal SET service_request_id = NULL WHERE service_request_id = %s",
        [a["requests"][0].pk],
    )


def _balance_drifted(a: dict[str, Any]) -> None:
    raw(
        "UPDATE establishments_establishment SET balance_halalas = balance_halalas - 1 WHERE id = %s",
        [a["establishment"].pk],
    )


def _unaudited_posting(a: dict[str, Any]) -> None:
    establishment = a["establishment"]
    journal = LedgerJournal.objects.create(
        kind=JournalKind.PAYMENT,
        establishment=establishment,
        idempotency_key="silent",
        reference="silent",
        occurred_at=timezone.now(),
    )
    LedgerLine.objects.bulk_create(
        [
            LedgerLine(journal=journal, account=LedgerAccount.BANK, amount_halalas=-100),
            LedgerLine(
                journal=journal,
                account=LedgerAccount.ESTABLISHMENT,
                establishment=establishment,
                amount_halalas=100,
            ),
        ]
    )
    raw(
        "UPDATE establishments_establishment SET balance_halalas = balance_halalas + 100 WHERE id = %s",
        [establishment.pk],
    )


def _task_left_in_queue(a: dict[str, Any]) -> None:
    DBTaskResult.objects.create(
        status="READY",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="muqeem.web.tasks.daily_jobs_task",
        queue_name="default",
        backend_name="default",
        run_after=timezone.now() - timedelta(minutes=2),
        exception_class_path="",
        traceback="",
    )


def _audit_event_tampered(a: dict[str, Any]) -> None:
    raw(
        "UPDATE audit_auditevent SET extra_data = '{}' WHERE id = "
        "(SELECT MAX(event_id) FROM audit_auditseal)"
    )


BREAKAGES = [
    ("requests_unique", _acknowledged_but_missing),
    ("request_history", _status_without_history),
    ("request_history", _submission_lost),
    ("transitions_audited", _transition_without_history),
    ("resident_history", _history_entry_lost),
    ("journals_balanced", _unbalanced_journal),
    ("charges_match_requests", _charge_differs_from_quote),
    ("charges_match_requests", _charge_without_request),
    ("balances", _balance_drifted),
    ("ledger_audited", _unaudited_posting),
    ("task_queue", _task_left_in_queue),
    ("audit_chain", _audit_event_tampered),
]


@pytest.mark.parametrize(
    ("check", "breakage"), BREAKAGES, ids=[b.__name__[1:] for _, b in BREAKAGES]
)
def test_each_kind_of_broken_data_fails_its_check(activity, check, breakage):
    breakage(activity)
    assert failing() == {check}


def test_a_negative_balance_fails_even_when_the_ledger_agrees(activity):
    """The database refuses a negative balance (a CHECK constraint); the check still catches one in a
    database restored without its constraints."""
    establishment = activity["establishment"]
    if connection.vendor == "postgresql":
        raw(
            "ALTER TABLE establishments_establishment "
            "DROP CONSTRAINT establishment_balance_not_negative"
        )
    else:
        raw("PRAGMA ignore_check_constraints = ON")
    raw(
        "UPDATE fees_ledgerline SET amount_halalas = amount_halalas - 1000000000000 "
        "WHERE account = 'establishment' AND establishment_id = %s AND id = "
        "(SELECT MIN(id) FROM fees_ledgerline WHERE account = 'establishment' AND establishment_id = %s)",
        [establishment.pk, establishment.pk],
    )
    raw(
        "UPDATE establishments_establishment SET balance_halalas = balance_halalas - 1000000000000 "
        "WHERE id = %s",
        [establishment.pk],
    )
    if connection.vendor == "sqlite":
        raw("PRAGMA ignore_check_constraints = OFF")
    balances = next(c for c in reconcile_run().checks if c.name == "balances")
    assert not balances.passed
    assert any("negative balance" in p for p in balances.problems)
    assert Establishment.objects.get(pk=establishment.pk).balance_halalas < 0


def test_the_command_prints_pass_fail_lines_and_json_and_fails_with_status_1(activity, capsys):
    call_command("reconcile")
    out = capsys.readouterr().out
    assert out.count("PASS ") == len(CHECKS)
    assert f"{len(CHECKS)}/{len(CHECKS)} checks passed" in out
    _balance_drifted(activity)
    with pytest.raises(CommandError) as failure:
        call_command("reconcile", "--json")
    assert failure.value.returncode == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    verdicts = {c["name"]: c["passed"] for c in report["checks"]}
    assert [name for name, ok in verdicts.items() if not ok] == ["balances"]
    call_command("reconcile", "--check", "request_history")
    assert "1/1 checks passed" in capsys.readouterr().out


def test_a_charged_request_that_ended_unfulfilled_must_be_reversed(activity):
    request: ServiceRequest = activity["requests"][1]
    raw("UPDATE workflow_servicerequest SET status = 'cancelled' WHERE id = %s", [request.pk])
    raw(
        "UPDATE workflow_requestevent SET to_status = 'cancelled' WHERE id = "
        "(SELECT MAX(id) FROM workflow_requestevent WHERE request_id = %s)",
        [request.pk],
    )
    charges = next(c for c in reconcile_run().checks if c.name == "charges_match_requests")
    assert any("not reversed" in p for p in charges.problems)


def test_refunds_and_payment_reversals_written_by_the_services_reconcile(activity):
    from muqeem.fees.services import ledger_post_payment, ledger_post_refund, ledger_post_reversal

    establishment = activity["establishment"]
    supervisor = UserFactory(establishment=None, is_staff=True, staff_role="supervisor")
    with transaction.atomic():
        locked = Establishment.objects.select_for_update().get(pk=establishment.pk)
        payment = ledger_post_payment(
            actor=None,
            establishment=locked,
            amount_halalas=50_000,
            reference="SADAD-1",
            idempotency_key="bill-1",
        )
    ledger_post_reversal(actor=supervisor, journal_id=payment.pk, reason="recorded in error")
    ledger_post_refund(
        actor=supervisor,
        establishment_id=establishment.pk,
        amount_halalas=10_000,
        reason="closing the account",
        idempotency_key="refund-1",
    )
    audit_seal_run(settle_seconds=0)
    report = reconcile_run()
    assert report.passed, [c.problems for c in report.checks if not c.passed]
    ledger = next(c for c in report.checks if c.name == "ledger_audited")
    assert ledger.counts["journals"] == ledger.counts["ledger_audits"]


def _task(status: str, *, run_after: Any, started_at: Any = None) -> None:
    DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="muqeem.web.tasks.daily_jobs_task",
        queue_name="default",
        backend_name="default",
        run_after=run_after,
        started_at=started_at,
        exception_class_path="",
        traceback="",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "age", "fails"),
    [
        ("READY", timedelta(seconds=5), False),  # just became due: in hand
        ("READY", timedelta(minutes=5), True),  # waited long past its time
        ("RUNNING", timedelta(seconds=5), False),  # in flight
        ("RUNNING", timedelta(hours=2), True),  # stuck: the recovery would run it again
    ],
)
def test_the_queue_check_tells_a_task_in_hand_from_one_left_behind(status, age, fails, settings):
    settings.TASKS_LOST_AFTER_SECONDS = 900
    moment = timezone.now() - age
    _task(status, run_after=moment, started_at=moment if status == "RUNNING" else None)
    (check,) = reconcile_run(only=["task_queue"]).checks
    assert check.passed is not fails
