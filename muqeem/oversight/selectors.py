"""Reads behind the staff console's audit viewer and statistics.

The audit log grows by millions of rows, so the viewer never counts or offsets it: each page is
one query ordered newest first over (occurred_at, id) and continued from a cursor, and every filter
is an equality on an indexed column (the username, establishment number and iqama number are turned
into ids first) or a range on `occurred_at`.

Statistics cover whole days in the kingdom (Asia/Riyadh) and are aggregated in the database, except
the eligibility refusals, whose rule codes sit in the events' JSON: those are counted in Python over
at most `REFUSALS_MAX_EVENTS` checks, newest first."""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.fees.models import JournalKind, LedgerAccount, LedgerLine
from muqeem.reports.selectors import period_bounds
from muqeem.workflow.models import ServiceRequest

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
EXPORT_CHUNK_SIZE = 2_000
# Refusals are counted from the events' JSON in Python: at most this many checks per period.
REFUSALS_MAX_EVENTS = 100_000


# --- The audit viewer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """Valid filters, with the typed identifiers already resolved to row ids. `nothing` is set when
    a typed identifier matches no row: the result is then empty, never unfiltered."""

    actor_id: int | None = None
    establishment_id: int | None = None
    resident_id: int | None = None
    event_type: int | None = None
    start: date | None = None
    end: date | None = None
    nothing: bool = False
    # What was typed, for the export's audit event and the links.
    typed: dict[str, str] = field(default_factory=dict)

    def used(self) -> dict[str, str]:
        return dict(self.typed)


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The events the filters match (unordered)."""
    qs = AuditEvent.objects.all()
    if filters.nothing:
        return qs.none()
    if filters.actor_id is not None:
        qs = qs.filter(actor_user_id=filters.actor_id)
    if filters.establishment_id is not None:
        qs = qs.filter(actor_establishment_id=filters.establishment_id)
    if filters.resident_id is not None:
        qs = qs.filter(resident_id=filters.resident_id)
    if filters.event_type is not None:
        qs = qs.filter(event_type=filters.event_type)
    if filters.start is not None:
        qs = qs.filter(occurred_at__gte=period_bounds(filters.start, filters.start)[0])
    if filters.end is not None:
        qs = qs.filter(occurred_at__lt=period_bounds(filters.end, filters.end)[1])
    return qs


NEWEST_FIRST = ("-occurred_at", "-id")
OLDEST_FIRST = ("occurred_at", "id")


def newest_first(qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    return qs.order_by(*NEWEST_FIRST)


def encode_cursor(event: AuditEvent) -> str:
    raw = json.dumps([event.occurred_at.isoformat(), event.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, int] | None:
    """(occurred_at, id), or None for a damaged or edited cursor (the first page is shown)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        moment, pk = json.loads(raw)
        when = datetime.fromisoformat(moment)
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(pk, int) or isinstance(pk, bool) or when.tzinfo is None:
        return None
    return when, pk


def _older_than(when: datetime, pk: int) -> Q:
    """Rows after (when, pk) newest first. The leading `<=` is redundant but lets the database
    walk the occurred_at index from the cursor instead of collecting every older row first."""
    return Q(occurred_at__lte=when) & (Q(occurred_at__lt=when) | Q(id__lt=pk))


def _newer_than(when: datetime, pk: int) -> Q:
    return Q(occurred_at__gte=when) & (Q(occurred_at__gt=when) | Q(id__gt=pk))


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditEvent]
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def audit_page(
    qs: QuerySet[AuditEvent],
    *,
    size: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
    before: str | None = None,
) -> AuditPage:
    """One page, newest first, in one query (`size + 1` rows say whether more follow)."""
    qs = qs.select_related("actor_user", "actor_establishment", "resident", "service_request")
    cursor_after = decode_cursor(after) if after else None
    cursor_before = decode_cursor(before) if before and cursor_after is None else None
    if cursor_before is not None:
        fetched = list(qs.filter(_newer_than(*cursor_before)).order_by(*OLDEST_FIRST)[: size + 1])
        rows = list(reversed(fetched[:size]))
        if not rows:
            return audit_page(qs, size=size)
        return AuditPage(
            rows=rows,
            next_cursor=encode_cursor(rows[-1]),
            previous_cursor=encode_cursor(rows[0]) if len(fetched) > size else None,
        )
    if cursor_after is not None:
        qs = qs.filter(_older_than(*cursor_after))
    fetched = list(newest_first(qs)[: size + 1])
    rows = fetched[:size]
    return AuditPage(
        rows=rows,
        next_cursor=encode_cursor(rows[-1]) if len(fetched) > size else None,
        previous_cursor=encode_cursor(rows[0]) if cursor_after is not None and rows else None,
    )


EXPORT_FIELDS = (
    "id",
    "occurred_at",
    "event_type",
    "actor_user__username",
    "actor_establishment__moi_number",
    "resident__iqama_number",
    "resident__border_number",
    "service_request_id",
    "request_id",
    "ip",
    "extra_data",
)


def audit_export_rows(qs: QuerySet[AuditEvent]) -> Iterator[tuple[Any, ...]]:
    """The matching events' columns (`EXPORT_FIELDS`), newest first, read in chunks."""
    return newest_first(qs).values_list(*EXPORT_FIELDS).iterator(chunk_size=EXPORT_CHUNK_SIZE)


# --- Statistics ----------------------------------------------------------------------------------


def days_in(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _local_day(field_name: str) -> TruncDate:
    return TruncDate(field_name, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class TransactionCount:
    day: date
    service_type: str
    status: str
    count: int


def transaction_counts(*, start: date, end: date) -> list[TransactionCount]:
    """Requests created in the period per day, service and status (one query)."""
    low, high = period_bounds(start, end)
    rows = (
        ServiceRequest.objects.filter(created_at__gte=low, created_at__lt=high)
        .annotate(day=_local_day("created_at"))
        .values("day", "service_type", "status")
        .annotate(count=Count("id"))
        .order_by("day", "service_type", "status")
    )
    return [TransactionCount(r["day"], r["service_type"], r["status"], r["count"]) for r in rows]


@dataclass(frozen=True)
class RevenueLine:
    fee_code: str
    amount_halalas: int
    lines: int


def revenue_by_fee(*, start: date, end: date) -> list[RevenueLine]:
    """Government revenue posted in the period per fee code, net of refunds and reversals (one
    query), largest first."""
    low, high = period_bounds(start, end)
    rows = (
        LedgerLine.objects.filter(
            account=LedgerAccount.REVENUE,
            journal__occurred_at__gte=low,
            journal__occurred_at__lt=high,
        )
        .values("fee_code")
        .annotate(amount=Sum("amount_halalas"), lines=Count("id"))
        .order_by("-amount", "fee_code")
    )
    return [RevenueLine(r["fee_code"], r["amount"] or 0, r["lines"]) for r in rows]


@dataclass(frozen=True)
class TopUpDay:
    day: date
    count: int
    amount_halalas: int


def top_ups_per_day(*, start: date, end: date) -> list[TopUpDay]:
    """Balance top-ups (payment journals) per day, every day of the period (one query)."""
    low, high = period_bounds(start, end)
    rows = (
        LedgerLine.objects.filter(
            account=LedgerAccount.ESTABLISHMENT,
            journal__kind=JournalKind.PAYMENT,
            journal__occurred_at__gte=low,
            journal__occurred_at__lt=high,
        )
        .annotate(day=_local_day("journal__occurred_at"))
        .values("day")
        .annotate(count=Count("journal_id", distinct=True), amount=Sum("amount_halalas"))
        .order_by("day")
    )
    by_day = {r["day"]: (r["count"], r["amount"] or 0) for r in rows}
    return [TopUpDay(d, *by_day.get(d, (0, 0))) for d in days_in(start, end)]


@dataclass(frozen=True)
class Refusals:
    """Eligibility checks in the period and the rules that refused them."""

    checks: int
    refused: int
    # (rule code, service) -> how many checks that rule refused.
    by_rule: dict[tuple[str, str], int]
    # More checks than `REFUSALS_MAX_EVENTS`: only the newest were counted.
    truncated: bool


def refusals_by_rule(*, start: date, end: date) -> Refusals:
    """The rules eligibility checks found broken, per rule code and service (the codes are in
    the events' JSON, so they are counted here, over at most `REFUSALS_MAX_EVENTS` checks)."""
    low, high = period_bounds(start, end)
    extras = (
        AuditEvent.objects.filter(
            event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
            occurred_at__gte=low,
            occurred_at__lt=high,
        )
        .order_by(*NEWEST_FIRST)
        .values_list("extra_data", flat=True)[: REFUSALS_MAX_EVENTS + 1]
    )
    counts: Counter[tuple[str, str]] = Counter()
    checks = refused = 0
    truncated = False
    for extra in extras.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        if checks == REFUSALS_MAX_EVENTS:
            truncated = True
            break
        checks += 1
        data = extra if isinstance(extra, dict) else {}
        codes = data.get("violations") or []
        if not isinstance(codes, list) or not codes:
            continue
        refused += 1
        service = str(data.get("service") or "")
        for code in dict.fromkeys(str(c) for c in codes):
            counts[(code, service)] += 1
    return Refusals(checks=checks, refused=refused, by_rule=dict(counts), truncated=truncated)
