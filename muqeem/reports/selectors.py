"""Reads behind the reports, each scoped to the actor's establishment and built from aggregate
queries (or one streamed query for the statement's lines), so a report costs the same few queries
for a small office and for an establishment with 100,000 residents.

A report's period is whole calendar days in the kingdom (Asia/Riyadh): `start` 00:00 up to the
midnight after `end`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.utils import timezone

from muqeem.eservices.exit_reentry.models import VisaEvent, VisaEventKind
from muqeem.fees.models import FeeCode, JournalKind, LedgerAccount, LedgerLine
from muqeem.workflow.machine import RequestStatus, ServiceType
from muqeem.workflow.models import ServiceRequest

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment


def _own(actor: User) -> int:
    """The actor's establishment id (the reports are establishments' pages; staff have none)."""
    if actor.establishment_id is None:
        raise PermissionDenied
    return actor.establishment_id


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the kingdom's time."""
    zone = timezone.get_default_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


# --- Transactions by period and type -----------------------------------------------------------


@dataclass(frozen=True)
class TransactionGroup:
    service_type: str
    status: str
    count: int
    fees_halalas: int

    @property
    def service_label(self) -> str:
        return _label(ServiceType, self.service_type)

    @property
    def status_label(self) -> str:
        return _label(RequestStatus, self.status)


@dataclass(frozen=True)
class ServiceTotal:
    service_type: str
    count: int
    completed: int
    fees_halalas: int

    @property
    def service_label(self) -> str:
        return _label(ServiceType, self.service_type)


@dataclass(frozen=True)
class TransactionsReport:
    start: date
    end: date
    groups: tuple[TransactionGroup, ...]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def fees_halalas(self) -> int:
        return sum(g.fees_halalas for g in self.groups)

    def by_service(self) -> list[ServiceTotal]:
        totals: dict[str, list[int]] = {}
        for g in self.groups:
            row = totals.setdefault(g.service_type, [0, 0, 0])
            row[0] += g.count
            row[2] += g.fees_halalas
            if g.status == RequestStatus.COMPLETED:
                row[1] += g.count
        return [
            ServiceTotal(service, count, completed, fees)
            for service, (count, completed, fees) in totals.items()
        ]


def _label(choices: type[ServiceType] | type[RequestStatus], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def transactions_report(*, actor: User, start: date, end: date) -> TransactionsReport:
    """Requests created in the period, counted and their fees summed per service and status
    (one query)."""
    low, high = period_bounds(start, end)
    rows = (
        ServiceRequest.objects.filter(
            establishment_id=_own(actor), created_at__gte=low, created_at__lt=high
        )
        .values("service_type", "status")
        .annotate(count=Count("pk"), fees=Sum("fee_total_halalas"))
        .order_by("service_type", "status")
    )
    return TransactionsReport(
        start=start,
        end=end,
        groups=tuple(
            TransactionGroup(r["service_type"], r["status"], r["count"], int(r["fees"] or 0))
            for r in rows
        ),
    )


# --- Fee statement (كشف الحساب) -----------------------------------------------------------------


@dataclass(frozen=True)
class StatementSummary:
    start: date
    end: date
    opening_halalas: int
    debits_halalas: int
    credits_halalas: int
    # Journals that moved the balance in the period (a charge itemised by fee is one journal).
    journals: int

    @property
    def closing_halalas(self) -> int:
        return self.opening_halalas + self.debits_halalas + self.credits_halalas


@dataclass(frozen=True)
class StatementLine:
    journal_id: int
    occurred_at: datetime
    reference: str
    kind: str
    fee_code: str
    amount_halalas: int
    balance_halalas: int

    @property
    def day(self) -> date:
        return timezone.localdate(self.occurred_at)

    @property
    def kind_label(self) -> str:
        try:
            return str(JournalKind(self.kind).label)
        except ValueError:
            return self.kind

    @property
    def fee_label(self) -> str:
        if not self.fee_code:
            return ""
        try:
            return str(FeeCode(self.fee_code).label)
        except ValueError:
            return self.fee_code


def _balance_lines(establishment: Establishment) -> Q:
    """The lines that make up the stored balance (see `establishment_ledger_balance`)."""
    return Q(account=LedgerAccount.ESTABLISHMENT, establishment=establishment)


def fee_statement_summary(
    *, establishment: Establishment, start: date, end: date
) -> StatementSummary:
    """Opening balance (every line before the period), the period's debits and credits, in one
    aggregate query; the closing balance is their sum."""
    low, high = period_bounds(start, end)
    in_period = Q(journal__occurred_at__gte=low, journal__occurred_at__lt=high)
    row = LedgerLine.objects.filter(_balance_lines(establishment)).aggregate(
        opening=Sum("amount_halalas", filter=Q(journal__occurred_at__lt=low)),
        debits=Sum("amount_halalas", filter=in_period & Q(amount_halalas__lt=0)),
        credits=Sum("amount_halalas", filter=in_period & Q(amount_halalas__gt=0)),
        journals=Count("journal", distinct=True, filter=in_period),
    )
    return StatementSummary(
        start=start,
        end=end,
        opening_halalas=int(row["opening"] or 0),
        debits_halalas=int(row["debits"] or 0),
        credits_halalas=int(row["credits"] or 0),
        journals=row["journals"],
    )


def fee_statement_lines(
    *, establishment: Establishment, start: date, end: date, opening_halalas: int
) -> Iterator[StatementLine]:
    """The period's movements in time order with the running balance, streamed (one query).

    A charge is one debit of the establishment's balance and one revenue line per fee; the
    statement shows the charge itemised by fee (each fee as a debit) when the fees add up to the
    debit, as they do for every charge the services post. Whatever the itemisation, the amounts
    shown always add up to the establishment's own lines, so opening + lines = closing."""
    low, high = period_bounds(start, end)
    lines = (
        LedgerLine.objects.filter(journal__occurred_at__gte=low, journal__occurred_at__lt=high)
        .filter(
            _balance_lines(establishment)
            | Q(account=LedgerAccount.REVENUE, journal__establishment=establishment)
        )
        .order_by("journal__occurred_at", "journal_id", "id")
        .values_list(
            "journal_id",
            "journal__occurred_at",
            "journal__reference",
            "journal__kind",
            "account",
            "fee_code",
            "amount_halalas",
        )
    )
    balance = opening_halalas
    for journal_id, journal_lines in groupby(lines.iterator(chunk_size=2000), key=lambda r: r[0]):
        rows = list(journal_lines)
        _, occurred_at, reference, kind, *_rest = rows[0]
        own = sum(r[6] for r in rows if r[4] == LedgerAccount.ESTABLISHMENT)
        if not own:
            continue
        fees = [(r[5], -r[6]) for r in rows if r[4] == LedgerAccount.REVENUE and r[5]]
        if not fees or sum(amount for _, amount in fees) != own:
            fees = [(fees[0][0] if len(fees) == 1 else "", own)]
        for fee_code, amount in fees:
            balance += amount
            yield StatementLine(
                journal_id=journal_id,
                occurred_at=occurred_at,
                reference=reference,
                kind=kind,
                fee_code=fee_code,
                amount_halalas=amount,
                balance_halalas=balance,
            )


# --- Exit and re-entry visas ---------------------------------------------------------------------

VISA_REPORT_KINDS = (
    VisaEventKind.ISSUED,
    VisaEventKind.DEPARTED,
    VisaEventKind.ARRIVED,
    VisaEventKind.EXPIRED_UNUSED,
    VisaEventKind.NOT_RETURNED,
    VisaEventKind.CANCELLED,
    VisaEventKind.EXTENDED,
)
# The visas an officer has to act on (a fine was recorded, or the resident is gone), listed by name.
VISA_PROBLEM_KINDS = (VisaEventKind.EXPIRED_UNUSED, VisaEventKind.NOT_RETURNED)
VISA_PROBLEMS_SHOWN = 500


@dataclass(frozen=True)
class VisasReport:
    start: date
    end: date
    # Visas per event kind in the period (a multiple visa used twice counts once as used).
    counts: dict[str, int]
    problems: tuple[VisaEvent, ...]
    problems_total: int

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)


def visas_report(*, actor: User, start: date, end: date) -> VisasReport:
    """Visas issued, used (departed), returned, expired unused and not returned in the period, from
    the visas' own history (two queries: the counts, then the visas needing action)."""
    events = VisaEvent.objects.filter(
        visa__establishment_id=_own(actor), on__gte=start, on__lte=end
    )
    columns = {
        str(kind): Count("visa", distinct=True, filter=Q(kind=kind)) for kind in VISA_REPORT_KINDS
    }
    columns["problems_total"] = Count("pk", filter=Q(kind__in=VISA_PROBLEM_KINDS))
    counts = events.aggregate(**columns)
    problems_total = counts.pop("problems_total")
    problems = tuple(
        events.filter(kind__in=VISA_PROBLEM_KINDS)
        .select_related("visa__resident")
        .order_by("on", "id")[:VISA_PROBLEMS_SHOWN]
    )
    return VisasReport(
        start=start,
        end=end,
        counts=counts,
        problems=problems,
        problems_total=problems_total,
    )
