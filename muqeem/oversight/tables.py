"""The statistics page's tables: one per chart (the chart's data, readable without the picture),
each downloadable as CSV. A table is built from the selectors' aggregates, in the active language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from muqeem.fees.models import FeeCode
from muqeem.workflow.machine import RequestStatus, ServiceType

from .labels import rule_label
from .selectors import (
    Refusals,
    RevenueLine,
    TopUpDay,
    TransactionCount,
    days_in,
    refusals_by_rule,
    revenue_by_fee,
    top_ups_per_day,
    transaction_counts,
)

# Outcomes in the order a request moves through them.
OUTCOMES = tuple(RequestStatus)


@dataclass(frozen=True)
class Column:
    header: str
    # "date" (a day: Gregorian and Hijri), "text", "code" (left to right), "count" or "money"
    # (halalas).
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in ("count", "money")


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    footer: tuple[Any, ...] | None = None
    note: str = ""


def _choice_label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or "—"


def service_label(value: str) -> str:
    return _choice_label(ServiceType, value)


def outcome_label(value: str) -> str:
    return _choice_label(RequestStatus, value)


def fee_label(value: str) -> str:
    return _choice_label(FeeCode, value)


# --- Transactions --------------------------------------------------------------------------------


def _outcomes_present(counts: Sequence[TransactionCount]) -> list[str]:
    present = {c.status for c in counts}
    known = [str(s) for s in OUTCOMES if s in present]
    return known + sorted(present - set(known))


def transactions_daily_table(counts: Sequence[TransactionCount], start: date, end: date) -> Table:
    outcomes = _outcomes_present(counts)
    per_day: dict[date, dict[str, int]] = defaultdict(dict)
    for c in counts:
        per_day[c.day][c.status] = per_day[c.day].get(c.status, 0) + c.count
    rows: list[tuple[Any, ...]] = []
    for day in days_in(start, end):
        cells = [per_day[day].get(o, 0) for o in outcomes]
        rows.append((day, *cells, sum(cells)))
    totals = [sum(row[i + 1] for row in rows) for i in range(len(outcomes) + 1)]
    return Table(
        key="transactions-daily",
        title=_("Transactions per day"),
        columns=(
            Column(_("Date"), "date"),
            *(Column(outcome_label(o), "count") for o in outcomes),
            Column(_("Total"), "count"),
        ),
        rows=rows,
        footer=(_("Total"), *totals),
    )


def transactions_services_table(counts: Sequence[TransactionCount]) -> Table:
    outcomes = _outcomes_present(counts)
    per_service: dict[str, dict[str, int]] = defaultdict(dict)
    for c in counts:
        per_service[c.service_type][c.status] = (
            per_service[c.service_type].get(c.status, 0) + c.count
        )
    rows: list[tuple[Any, ...]] = []
    for service, by_outcome in per_service.items():
        cells = [by_outcome.get(o, 0) for o in outcomes]
        rows.append((service_label(service), *cells, sum(cells)))
    rows.sort(key=lambda r: (-r[-1], r[0]))
    totals = [sum(row[i + 1] for row in rows) for i in range(len(outcomes) + 1)]
    return Table(
        key="transactions-services",
        title=_("Transactions by service and outcome"),
        columns=(
            Column(_("Service")),
            *(Column(outcome_label(o), "count") for o in outcomes),
            Column(_("Total"), "count"),
        ),
        rows=rows,
        footer=(_("Total"), *totals) if rows else None,
    )


def transactions_detail_table(counts: Sequence[TransactionCount]) -> Table:
    """Every (day, service, outcome) with requests: the CSV behind both transaction tables."""
    return Table(
        key="transactions-detail",
        title=_("Transactions per day, service and outcome"),
        columns=(
            Column(_("Date"), "date"),
            Column(_("Service")),
            Column(_("Outcome")),
            Column(_("Requests"), "count"),
            Column(_("Service code"), "code"),
            Column(_("Status code"), "code"),
        ),
        rows=[
            (
                c.day,
                service_label(c.service_type),
                outcome_label(c.status),
                c.count,
                c.service_type,
                c.status,
            )
            for c in counts
        ],
    )


# --- Revenue, refusals, top-ups ------------------------------------------------------------------


def revenue_table(lines: Sequence[RevenueLine]) -> Table:
    return Table(
        key="revenue",
        title=_("Revenue by fee"),
        columns=(
            Column(_("Fee")),
            Column(_("Entries"), "count"),
            Column(_("Amount"), "money"),
            Column(_("Fee code"), "code"),
        ),
        rows=[(fee_label(r.fee_code), r.lines, r.amount_halalas, r.fee_code) for r in lines],
        footer=(
            _("Total"),
            sum(r.lines for r in lines),
            sum(r.amount_halalas for r in lines),
            "",
        )
        if lines
        else None,
    )


def refusals_table(refusals: Refusals) -> Table:
    rows = sorted(
        (
            (rule_label(code), service_label(service), count, code)
            for (code, service), count in refusals.by_rule.items()
        ),
        key=lambda r: (-r[2], r[3], r[1]),
    )
    return Table(
        key="refusals",
        title=_("Refusals by rule"),
        columns=(
            Column(_("Rule")),
            Column(_("Service")),
            Column(_("Refused checks"), "count"),
            Column(_("Rule code"), "code"),
        ),
        rows=rows,
        note=_("Only the newest {count} eligibility checks of the period are counted.").format(
            count=f"{refusals.checks:,}"
        )
        if refusals.truncated
        else "",
    )


def top_ups_table(days: Sequence[TopUpDay]) -> Table:
    return Table(
        key="top-ups",
        title=_("Balance top-ups per day"),
        columns=(
            Column(_("Date"), "date"),
            Column(_("Payments"), "count"),
            Column(_("Amount"), "money"),
        ),
        rows=[(d.day, d.count, d.amount_halalas) for d in days],
        footer=(
            _("Total"),
            sum(d.count for d in days),
            sum(d.amount_halalas for d in days),
        ),
    )


def _transactions_daily(start: date, end: date) -> Table:
    return transactions_daily_table(transaction_counts(start=start, end=end), start, end)


def _transactions_services(start: date, end: date) -> Table:
    return transactions_services_table(transaction_counts(start=start, end=end))


def _transactions_detail(start: date, end: date) -> Table:
    return transactions_detail_table(transaction_counts(start=start, end=end))


def _revenue(start: date, end: date) -> Table:
    return revenue_table(revenue_by_fee(start=start, end=end))


def _refusals(start: date, end: date) -> Table:
    return refusals_table(refusals_by_rule(start=start, end=end))


def _top_ups(start: date, end: date) -> Table:
    return top_ups_table(top_ups_per_day(start=start, end=end))


# The CSV download of one table runs only that table's query.
TABLE_BUILDERS: dict[str, Callable[[date, date], Table]] = {
    "transactions-daily": _transactions_daily,
    "transactions-services": _transactions_services,
    "transactions-detail": _transactions_detail,
    "revenue": _revenue,
    "refusals": _refusals,
    "top-ups": _top_ups,
}
