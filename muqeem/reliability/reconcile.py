"""Reconciliation: the invariants that must hold over the whole database, checked after the fact.

Each check counts what it looked at and lists a few offending ids. `manage.py reconcile` prints them
(or JSON) and exits non-zero on any failure; the backup drill runs it on the restored copy. The checks
use aggregate queries, so they read each table about once, and never write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.establishments.models import Establishment
from muqeem.fees.models import JournalKind, LedgerAccount, LedgerJournal, LedgerLine
from muqeem.residents.models import ResidentHistoryEntry
from muqeem.workflow.machine import RequestAction, RequestStatus, ServiceType
from muqeem.workflow.models import RequestEvent, ServiceRequest

SAMPLE = 10
# How late a due task may be before the queue counts as not keeping up (the worker polls every second
# or so; a busy one finishes the task in hand first).
QUEUE_GRACE = timedelta(seconds=60)

# Completed requests of these services change the resident's file, so each leaves a history entry.
FILE_CHANGING_SERVICES = (
    ServiceType.IQAMA_RENEWAL,
    ServiceType.IQAMA_ISSUANCE,
    ServiceType.PROFESSION_CHANGE,
    ServiceType.PASSPORT_UPDATE,
    ServiceType.SERVICE_TRANSFER,
)
ENDED_UNFULFILLED = (RequestStatus.REJECTED, RequestStatus.CANCELLED, RequestStatus.EXPIRED)


@dataclass
class Check:
    name: str
    title: str
    passed: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def fail(self, what: str, ids: list[Any]) -> None:
        """Record `len(ids)` offenders of one kind (a sample of their ids is kept)."""
        if not ids:
            return
        self.passed = False
        shown = ", ".join(str(i) for i in ids[:SAMPLE])
        more = f" (+{len(ids) - SAMPLE} more)" if len(ids) > SAMPLE else ""
        self.problems.append(f"{len(ids)} {what}: {shown}{more}")


@dataclass
class Report:
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [asdict(c) for c in self.checks]}


def _ids(qs: Any) -> list[Any]:
    return list(qs.values_list("pk", flat=True).order_by("pk")[: SAMPLE + 1_000])


# --- Requests ----------------------------------------------------------------------------------------


def check_requests_unique() -> Check:
    """Every acknowledged request exists, exactly once: no two requests share an establishment's
    idempotency key, and every request number the API acknowledged (a stored 2xx response) exists."""
    check = Check("requests_unique", "Every acknowledged request exists exactly once")
    from muqeem.api.models import IdempotencyRecord

    dups = (
        ServiceRequest.objects.values("establishment_id", "idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by()
    )
    check.counts["requests"] = ServiceRequest.objects.count()
    check.fail(
        "idempotency key(s) used by more than one request",
        [f"{d['establishment_id']}:{d['idempotency_key']}" for d in dups],
    )
    acknowledged: dict[int, str] = {}
    records = IdempotencyRecord.objects.filter(status_code__gte=200, status_code__lt=300).exclude(
        response_body=""
    )
    for record_id, body in records.values_list("pk", "response_body").iterator():
        try:
            data = json.loads(body)
        except ValueError:
            continue
        number = data.get("request_number") if isinstance(data, dict) else None
        if isinstance(number, str) and (pk := ServiceRequest.pk_from_number(number)):
            acknowledged[pk] = f"{number} (idempotency record {record_id})"
    existing = set(
        ServiceRequest.objects.filter(pk__in=list(acknowledged)).values_list("pk", flat=True)
    )
    check.counts["acknowledged_by_api"] = len(acknowledged)
    check.fail(
        "acknowledged request(s) missing",
        [v for pk, v in sorted(acknowledged.items()) if pk not in existing],
    )
    return check


def check_request_history() -> Check:
    """Every request starts with its submission event, its status is the last event's, and its version
    counts its events (the version moves only with a transition)."""
    check = Check("request_history", "Every request's status matches its history")
    check.counts["requests"] = ServiceRequest.objects.count()
    check.counts["history_events"] = RequestEvent.objects.count()
    no_submit = ServiceRequest.objects.exclude(
        Exists(RequestEvent.objects.filter(request=OuterRef("pk"), action=RequestAction.SUBMIT))
    )
    check.fail("request(s) without a submission event", _ids(no_submit))
    last_status = Subquery(
        RequestEvent.objects.filter(request=OuterRef("pk")).order_by("-id").values("to_status")[:1]
    )
    mismatched = ServiceRequest.objects.annotate(last=last_status).exclude(status=F("last"))
    check.fail("request(s) whose status is not their last event's", _ids(mismatched))
    event_count = Coalesce(
        Subquery(
            RequestEvent.objects.filter(request=OuterRef("pk"))
            .order_by()
            .values("request")
            .annotate(n=Count("*"))
            .values("n")
        ),
        0,
    )
    wrong_version = ServiceRequest.objects.annotate(n=event_count).exclude(version=F("n"))
    check.fail("request(s) whose version differs from their event count", _ids(wrong_version))
    return check


def check_transitions_audited() -> Check:
    """Every transition in a request's history has its REQUEST_TRANSITIONED audit event, and no audit
    event claims a transition that is not in the history."""
    check = Check("transitions_audited", "Every request transition has its audit event")

    def counted(qs: Any, key: str) -> Any:
        return Coalesce(
            Subquery(
                qs.filter(**{key: OuterRef("pk")})
                .order_by()
                .values(key)
                .annotate(n=Count("*"))
                .values("n")
            ),
            0,
        )

    transitions = counted(RequestEvent.objects.exclude(action=RequestAction.SUBMIT), "request")
    audits = counted(
        AuditEvent.objects.filter(event_type=AuditEventType.REQUEST_TRANSITIONED),
        "service_request",
    )
    mismatched = (
        ServiceRequest.objects.annotate(t=transitions, a=audits).exclude(t=F("a")).order_by("pk")
    )
    check.counts["transitions"] = RequestEvent.objects.exclude(action=RequestAction.SUBMIT).count()
    check.counts["transition_audits"] = AuditEvent.objects.filter(
        event_type=AuditEventType.REQUEST_TRANSITIONED
    ).count()
    check.fail(
        "request(s) whose transitions and audit events differ",
        [f"{r.pk} ({r.t} transitions, {r.a} audits)" for r in mismatched[: SAMPLE + 1_000]],
    )
    return check


def check_resident_history() -> Check:
    """Every completed request that changes a resident's file left a history entry, and every history
    entry made by a request has that request's audit trail for the same resident."""
    check = Check("resident_history", "Every change to a resident's file has its history and audit")
    entries = ResidentHistoryEntry.objects.filter(service_request__isnull=False)
    check.counts["history_entries"] = ResidentHistoryEntry.objects.count()
    missing_history = ServiceRequest.objects.filter(
        status=RequestStatus.COMPLETED, service_type__in=FILE_CHANGING_SERVICES
    ).exclude(Exists(ResidentHistoryEntry.objects.filter(service_request=OuterRef("pk"))))
    check.fail("completed request(s) without a resident history entry", _ids(missing_history))
    unaudited = entries.exclude(
        Exists(
            AuditEvent.objects.filter(
                service_request=OuterRef("service_request"), resident=OuterRef("resident")
            )
        )
    )
    check.fail("history entr(y/ies) without an audit event for its request", _ids(unaudited))
    return check


# --- Ledger -------------------------------------------------------------------------------------------


def check_journals_balanced() -> Check:
    """Double entry: each journal has at least two lines and they sum to zero."""
    check = Check("journals_balanced", "Every ledger journal balances")
    check.counts["journals"] = LedgerJournal.objects.count()
    check.counts["lines"] = LedgerLine.objects.count()
    unbalanced = (
        LedgerLine.objects.values("journal_id")
        .annotate(total=Sum("amount_halalas"), n=Count("id"))
        .filter(~Q(total=0) | Q(n__lt=2))
        .order_by("journal_id")
    )
    check.fail("journal(s) that do not balance", [u["journal_id"] for u in unbalanced])
    empty = LedgerJournal.objects.filter(lines__isnull=True)
    check.fail("journal(s) without lines", _ids(empty))
    orphan = LedgerLine.objects.filter(
        account=LedgerAccount.ESTABLISHMENT, establishment__isnull=True
    )
    check.fail("establishment line(s) without an establishment", _ids(orphan))
    return check


def check_charges_match_requests() -> Check:
    """Every ledger debit has its request and vice versa: each charge names a request, a request is
    charged at most once and exactly its quoted total, every completed request with fees was charged,
    and a charged request that ended unfulfilled was reversed."""
    check = Check("charges_match_requests", "Every ledger debit has its request and vice versa")
    charges = LedgerJournal.objects.filter(kind=JournalKind.CHARGE)
    check.counts["charges"] = charges.count()
    check.fail("charge(s) without a request", _ids(charges.filter(service_request__isnull=True)))
    twice = (
        charges.filter(service_request__isnull=False)
        .values("service_request_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("service_request_id")
    )
    check.fail("request(s) charged more than once", [t["service_request_id"] for t in twice])
    debits = (
        charges.filter(service_request__isnull=False)
        .annotate(
            debit=Coalesce(
                Sum("lines__amount_halalas", filter=Q(lines__account=LedgerAccount.ESTABLISHMENT)),
                0,
            )
        )
        .values_list("pk", "service_request_id", "debit", "service_request__fee_total_halalas")
        .order_by("pk")
    )
    check.fail(
        "charge(s) that differ from their request's total",
        [
            f"{pk} (request {req}: {debit} vs -{total})"
            for pk, req, debit, total in debits
            if debit != -total
        ],
    )
    charged = Exists(
        LedgerJournal.objects.filter(service_request=OuterRef("pk"), kind=JournalKind.CHARGE)
    )
    completed_paid = ServiceRequest.objects.filter(
        status=RequestStatus.COMPLETED, fee_total_halalas__gt=0
    )
    check.counts["completed_paid_requests"] = completed_paid.count()
    check.fail(
        "completed request(s) with fees but no charge", _ids(completed_paid.exclude(charged))
    )
    unreversed = charges.filter(service_request__status__in=ENDED_UNFULFILLED).exclude(
        Exists(LedgerJournal.objects.filter(reversal_of=OuterRef("pk")))
    )
    check.fail("charge(s) of unfulfilled requests not reversed", _ids(unreversed))
    return check


def check_balances() -> Check:
    """Every establishment's stored balance equals the sum of its ledger lines and is never negative."""
    check = Check("balances", "Every balance equals its ledger sum and is not negative")
    sums = dict(
        LedgerLine.objects.filter(account=LedgerAccount.ESTABLISHMENT)
        .values("establishment_id")
        .annotate(total=Sum("amount_halalas"))
        .order_by()
        .values_list("establishment_id", "total")
    )
    mismatched = []
    count = 0
    for pk, balance in Establishment.objects.values_list("pk", "balance_halalas").order_by("pk"):
        count += 1
        if balance != (sums.get(pk) or 0):
            mismatched.append(f"{pk} ({balance} stored, {sums.get(pk) or 0} in the ledger)")
    check.counts["establishments"] = count
    check.fail("establishment(s) whose balance differs from the ledger", mismatched)
    check.fail(
        "establishment(s) with a negative balance",
        _ids(Establishment.objects.filter(balance_halalas__lt=0)),
    )
    negative_sums = [pk for pk, total in sums.items() if total is not None and total < 0]
    check.fail("establishment(s) whose ledger sum is negative", sorted(negative_sums))
    return check


def check_ledger_audited() -> Check:
    """Every ledger journal has its audit event (LEDGER_POSTED or LEDGER_REVERSED naming it)."""
    check = Check("ledger_audited", "Every ledger posting has its audit event")
    audited = {
        int(j)
        for j in AuditEvent.objects.filter(
            event_type__in=[AuditEventType.LEDGER_POSTED, AuditEventType.LEDGER_REVERSED]
        ).values_list("extra_data__journal", flat=True)
        if j is not None
    }
    journals = list(LedgerJournal.objects.values_list("pk", flat=True).order_by("pk"))
    check.counts["journals"] = len(journals)
    check.counts["ledger_audits"] = len(audited)
    check.fail("journal(s) without an audit event", [j for j in journals if j not in audited])
    return check


# --- Platform -----------------------------------------------------------------------------------------


def check_task_queue(*, grace: timedelta = QUEUE_GRACE) -> Check:
    """The background task queue keeps up: nothing has waited past its time by more than `grace`,
    and nothing is stuck running (running longer than `TASKS_LOST_AFTER_SECONDS`, after which the
    recovery would run it again). A task that became due or started a moment ago is counted, not
    failed: on a live system one always may have. Failed tasks are counted (they are kept for
    inspection) but do not fail the check."""
    check = Check("task_queue", "The task queue is drained")
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    ready = DBTaskResult.objects.filter(status="READY")
    running = DBTaskResult.objects.filter(status="RUNNING")
    late = ready.filter(run_after__lte=now - grace)
    stuck = running.filter(
        started_at__lt=now - timedelta(seconds=settings.TASKS_LOST_AFTER_SECONDS)
    )
    check.counts["ready_due"] = ready.filter(run_after__lte=now).count()
    check.counts["ready_later"] = ready.filter(run_after__gt=now).count()
    check.counts["running"] = running.count()
    check.counts["failed"] = DBTaskResult.objects.filter(status="FAILED").count()
    check.fail("task(s) due but not run", _ids(late))
    check.fail("task(s) stuck running", _ids(stuck))
    return check


def check_audit_chain() -> Check:
    """The audit hash chain verifies (events not sealed yet are counted, not failed)."""
    from muqeem.audit.chain import audit_verify_run

    check = Check("audit_chain", "The audit log's hash chain verifies")
    result = audit_verify_run()
    check.counts = {"links": result.links, "unsealed": result.unsealed}
    if result.broken is not None:
        link = result.broken
        check.fail("broken link", [f"seq {link.seq} (event {link.event_id}): {link.problem}"])
    return check


CHECKS: dict[str, Callable[[], Check]] = {
    "requests_unique": check_requests_unique,
    "request_history": check_request_history,
    "transitions_audited": check_transitions_audited,
    "resident_history": check_resident_history,
    "journals_balanced": check_journals_balanced,
    "charges_match_requests": check_charges_match_requests,
    "balances": check_balances,
    "ledger_audited": check_ledger_audited,
    "task_queue": check_task_queue,
    "audit_chain": check_audit_chain,
}


def reconcile_run(*, only: list[str] | None = None) -> Report:
    return Report([CHECKS[name]() for name in (only or list(CHECKS))])
