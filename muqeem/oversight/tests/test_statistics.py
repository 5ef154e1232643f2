from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import ErrorCode
from muqeem.fees.models import FeeCode, JournalKind, LedgerAccount, LedgerJournal, LedgerLine
from muqeem.oversight.forms import StatisticsPeriodForm
from muqeem.oversight.selectors import refusals_by_rule
from muqeem.workflow.machine import RequestStatus, ServiceType
from muqeem.workflow.models import ServiceRequest
from tests.factories import EstablishmentFactory, UserFactory

from .conftest import riyadh

pytestmark = pytest.mark.django_db

START = date(2026, 3, 10)
END = date(2026, 3, 12)
PERIOD = {"date_from": START.isoformat(), "date_to": END.isoformat()}
D0, D1, D2 = START, START + timedelta(days=1), END
BEFORE, AFTER = START - timedelta(days=1), END + timedelta(days=1)
S, R = ServiceType, RequestStatus

# (created at, service, outcome): the boundaries are the kingdom's midnights.
REQUESTS = [
    (riyadh(D0, 0, 30), S.IQAMA_RENEWAL, R.COMPLETED),  # 21:30 UTC the day before
    (riyadh(D0, 12), S.IQAMA_RENEWAL, R.COMPLETED),
    (riyadh(D0, 13), S.EXIT_REENTRY_ISSUE, R.COMPLETED),
    (riyadh(D1, 9), S.SERVICE_TRANSFER, R.AWAITING_APPROVAL),
    (riyadh(D1, 10), S.SERVICE_TRANSFER, R.REJECTED),
    (riyadh(D1, 11), S.IQAMA_RENEWAL, R.COMPLETED),
    (riyadh(D2, 23, 50), S.FINAL_EXIT_ISSUE, R.COMPLETED),
    (riyadh(BEFORE, 23, 59), S.IQAMA_RENEWAL, R.COMPLETED),  # outside
    (riyadh(AFTER, 0, 1), S.IQAMA_RENEWAL, R.COMPLETED),  # outside
]

# (occurred at, kind, [(fee code, revenue halalas)]).
CHARGES = [
    (
        riyadh(D0, 12),
        JournalKind.CHARGE,
        [(FeeCode.IQAMA_FEE, 65_000), (FeeCode.EXPAT_LEVY, 80_000)],
    ),
    (riyadh(D1, 11), JournalKind.CHARGE, [(FeeCode.IQAMA_FEE, 65_000)]),
    (riyadh(D2, 8), JournalKind.CHARGE, [(FeeCode.EXIT_REENTRY_VISA_FEE, 20_000)]),
    (riyadh(D2, 9), JournalKind.REFUND, [(FeeCode.EXIT_REENTRY_VISA_FEE, -20_000)]),
    (riyadh(BEFORE, 12), JournalKind.CHARGE, [(FeeCode.IQAMA_FEE, 65_000)]),  # outside
]

# (occurred at, amount in halalas).
TOP_UPS = [
    (riyadh(D0, 0, 10), 500_000),
    (riyadh(D0, 18), 100_000),
    (riyadh(D2, 7), 250_000),
    (riyadh(AFTER, 7), 999_900),  # outside
]

V = ErrorCode
# (occurred at, service, violations).
CHECKS = [
    (riyadh(D0, 9), S.IQAMA_RENEWAL, [V.PASSPORT_EXPIRED, V.INSURANCE_INACTIVE]),
    (riyadh(D0, 10), S.IQAMA_RENEWAL, [V.PASSPORT_EXPIRED]),
    (riyadh(D1, 10), S.IQAMA_RENEWAL, []),
    (riyadh(D1, 11), S.EXIT_REENTRY_ISSUE, [V.PASSPORT_EXPIRED, V.PASSPORT_EXPIRED]),
    (riyadh(D2, 12), S.FINAL_EXIT_ISSUE, [V.UNPAID_TRAFFIC_FINES]),
    (riyadh(AFTER, 12), S.IQAMA_RENEWAL, [V.PASSPORT_EXPIRED]),  # outside
]


def _inside(moment: datetime) -> bool:
    return START <= timezone.localtime(moment).date() <= END


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


@pytest.fixture
def usage(make_event: Any) -> None:
    est = EstablishmentFactory()
    officer = UserFactory(establishment=est)
    for n, (at, service, status) in enumerate(REQUESTS):
        ServiceRequest.objects.create(
            service_type=service,
            establishment=est,
            status=status,
            submitted_by=officer,
            idempotency_key=f"k{n}",
            payload_hash="x",
            created_at=at,
            updated_at=at,
        )
    for n, (at, kind, lines) in enumerate(CHARGES):
        journal = LedgerJournal.objects.create(
            kind=kind, establishment=est, idempotency_key=f"c{n}", reference=f"C{n}", occurred_at=at
        )
        total = sum(amount for _code, amount in lines)
        LedgerLine.objects.create(
            journal=journal,
            account=LedgerAccount.ESTABLISHMENT,
            establishment=est,
            amount_halalas=-total,
        )
        for code, amount in lines:
            LedgerLine.objects.create(
                journal=journal, account=LedgerAccount.REVENUE, fee_code=code, amount_halalas=amount
            )
    for n, (at, amount) in enumerate(TOP_UPS):
        journal = LedgerJournal.objects.create(
            kind=JournalKind.PAYMENT,
            establishment=est,
            idempotency_key=f"p{n}",
            reference=f"P{n}",
            occurred_at=at,
        )
        LedgerLine.objects.create(
            journal=journal, account=LedgerAccount.BANK, amount_halalas=-amount
        )
        LedgerLine.objects.create(
            journal=journal,
            account=LedgerAccount.ESTABLISHMENT,
            establishment=est,
            amount_halalas=amount,
        )
    for at, service, violations in CHECKS:
        make_event(
            AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
            at=at,
            actor=officer,
            establishment=est,
            extra={"service": str(service), "violations": [str(v) for v in violations]},
        )


def _tables(response: Any) -> dict[str, Any]:
    return {t.key: t for section in response.context["sections"] for t in section.tables}


def _csv(client: Any, key: str) -> list[list[str]]:
    response = client.get(reverse("oversight:statistics_csv", args=[key]), PERIOD)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_transactions_per_day_service_and_outcome(auditor_client: Any, usage: None) -> None:
    expected = Counter((_day(at), str(s), str(st)) for at, s, st in REQUESTS if _inside(at))
    response = auditor_client.get(reverse("oversight:statistics"), PERIOD)
    assert response.status_code == 200
    tables = _tables(response)

    daily = tables["transactions-daily"]
    assert [row[0] for row in daily.rows] == [D0, D1, D2]
    per_day = Counter()
    for (day, _s, _st), n in expected.items():
        per_day[day] += n
    assert [row[-1] for row in daily.rows] == [per_day[D0], per_day[D1], per_day[D2]] == [3, 3, 1]
    assert response.context["total_requests"] == sum(expected.values()) == 7

    services = tables["transactions-services"]
    rejected_column = [c.header for c in services.columns].index(str(R.REJECTED.label))
    transfer = next(r for r in services.rows if r[0] == str(S.SERVICE_TRANSFER.label))
    assert transfer[rejected_column] == 1 and transfer[-1] == 2

    detail = _csv(auditor_client, "transactions-detail")
    got = Counter()
    for row in detail[1:]:
        got[(date.fromisoformat(row[0]), row[5], row[6])] += int(row[4])
    assert got == expected


def test_revenue_by_fee(auditor_client: Any, usage: None) -> None:
    expected: Counter[str] = Counter()
    for at, _kind, lines in CHARGES:
        if _inside(at):
            for code, amount in lines:
                expected[str(code)] += amount
    response = auditor_client.get(reverse("oversight:statistics"), PERIOD)
    revenue = _tables(response)["revenue"]
    assert {row[3]: row[2] for row in revenue.rows} == dict(expected)
    assert dict(expected)[FeeCode.EXIT_REENTRY_VISA_FEE] == 0  # charged and refunded
    rows = _csv(auditor_client, "revenue")
    assert {r[3]: r[2] for r in rows[1:-1]} == {k: f"{v / 100:.2f}" for k, v in expected.items()}
    assert rows[-1][2] == f"{sum(expected.values()) / 100:.2f}"


def test_refusals_by_rule_and_service(auditor_client: Any, usage: None) -> None:
    expected: Counter[tuple[str, str]] = Counter()
    for at, service, violations in CHECKS:
        if _inside(at):
            for code in set(violations):
                expected[(str(code), str(service))] += 1
    refusals = refusals_by_rule(start=START, end=END)
    assert refusals.by_rule == dict(expected)
    assert refusals.checks == 5 and refusals.refused == 4 and not refusals.truncated
    rows = _csv(auditor_client, "refusals")
    assert {(r[3], r[2]) for r in rows[1:]} == {
        (code, str(n)) for (code, _s), n in expected.items()
    } | set()
    assert sum(int(r[2]) for r in rows[1:]) == sum(expected.values())


def test_refusals_counting_is_bounded(auditor_client: Any, usage: None, monkeypatch: Any) -> None:
    monkeypatch.setattr("muqeem.oversight.selectors.REFUSALS_MAX_EVENTS", 2)
    refusals = refusals_by_rule(start=START, end=END)
    assert refusals.checks == 2 and refusals.truncated
    # The newest two: the final exit (traffic fines) and the exit and re-entry visa.
    assert refusals.by_rule == {
        (str(V.UNPAID_TRAFFIC_FINES), str(S.FINAL_EXIT_ISSUE)): 1,
        (str(V.PASSPORT_EXPIRED), str(S.EXIT_REENTRY_ISSUE)): 1,
    }


def test_top_ups_per_day(auditor_client: Any, usage: None) -> None:
    count: Counter[date] = Counter()
    amount: Counter[date] = Counter()
    for at, halalas in TOP_UPS:
        if _inside(at):
            count[_day(at)] += 1
            amount[_day(at)] += halalas
    response = auditor_client.get(reverse("oversight:statistics"), PERIOD)
    table = _tables(response)["top-ups"]
    assert [(r[0], r[1], r[2]) for r in table.rows] == [
        (d, count[d], amount[d]) for d in (D0, D1, D2)
    ]
    assert response.context["total_top_ups"] == 3
    rows = _csv(auditor_client, "top-ups")
    assert rows[1][:3] == [D0.isoformat(), rows[1][1], "2"]
    assert rows[1][3] == f"{amount[D0] / 100:.2f}"


def test_statistics_page_is_audited_and_costs_few_queries(
    auditor_client: Any, auditor: Any, usage: None
) -> None:
    with CaptureQueriesContext(connection) as ctx:
        response = auditor_client.get(reverse("oversight:statistics"), PERIOD)
    assert response.status_code == 200
    assert len(ctx.captured_queries) <= 10
    viewed = AuditEvent.objects.filter(event_type=AuditEventType.STATISTICS_VIEWED).get()
    assert viewed.actor_user == auditor
    assert viewed.extra_data == {"from": START.isoformat(), "to": END.isoformat()}
    html = response.content.decode()
    for chart in ("chart-transactions-daily", "chart-revenue", "chart-refusals", "chart-top-ups"):
        assert f'id="{chart}"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, "default"),
        (
            {"date_from": "2026-03-01", "date_to": "2026-03-31"},
            (date(2026, 3, 1), date(2026, 3, 31)),
        ),
        ({"date_from": "2026-03-31", "date_to": "2026-03-01"}, "default"),
        ({"date_from": "2025-01-01", "date_to": "2026-03-01"}, "default"),
        ({"date_to": "2026-03-31"}, (date(2026, 3, 2), date(2026, 3, 31))),
    ],
)
def test_period(query: dict[str, str], expected: Any) -> None:
    form = StatisticsPeriodForm(query or None)
    if expected == "default":
        expected = StatisticsPeriodForm.default_period()
        assert (expected[1] - expected[0]).days == 29
    assert form.period() == expected
