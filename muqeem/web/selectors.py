"""The home page's dashboard: what expires before it becomes a fine, what is in flight, and what the
coming renewals will cost. Built from a handful of aggregate queries whatever the number of
residents, each answered on PostgreSQL from an index alone (`resident_current_expiry_idx`,
`resident_current_nat_idx`, `dependent_active_idx`): the current residents counted per expiry day
(a few hundred rows, summed here into the windows and the month chart), per nationality, and the
renewal estimate quoted once per group of identical fee inputs, never once per resident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery

from muqeem.core.dates import add_months, today
from muqeem.delivery.models import OPEN_STATUSES, DeliveryOrder
from muqeem.eservices.exit_reentry.models import Visa
from muqeem.eservices.iqama_renewal.fees import renewal_quote
from muqeem.eservices.iqama_renewal.rules import RENEWABLE_STATUSES
from muqeem.eservices.service_transfer.models import TransferRequest
from muqeem.establishments.models import Establishment
from muqeem.fees.models import FeeCode
from muqeem.fees.schedule import Schedule
from muqeem.fees.selectors import schedule_at
from muqeem.reports.residents import (
    CURRENT_STATUSES,
    VISA_AT_RISK_DAYS,
    visa_at_risk_q,
    visa_outstanding_q,
)
from muqeem.residents.models import Dependent, Nationality, Resident, ResidentStatus
from muqeem.workflow.machine import RequestStatus

__all__ = ["CURRENT_STATUSES", "Dashboard", "establishment_dashboard"]

EXPIRY_WINDOWS = (30, 60, 90)
EXPIRING_SOON_DAYS = EXPIRY_WINDOWS[0]
PASSPORT_WINDOW_DAYS = 180
RENEWAL_HORIZON_DAYS = 90
RENEWAL_MONTHS = 12
CHART_MONTHS = 12
CHART_NATIONALITIES = 10


@dataclass(frozen=True)
class ExpiryWindow:
    days: int
    until: date
    count: int


@dataclass(frozen=True)
class MonthCount:
    start: date
    end: date
    count: int


@dataclass(frozen=True)
class NationalityCount:
    code: str
    name_ar: str
    name_en: str
    count: int


@dataclass(frozen=True)
class RenewalNeeds:
    """12-month renewal fees of the residents whose iqama expires within the horizon."""

    residents: int
    total_halalas: int
    by_fee: tuple[tuple[FeeCode, int], ...]
    groups: int


@dataclass(frozen=True)
class Dashboard:
    on: date
    residents: int
    iqama_expired: int
    windows: tuple[ExpiryWindow, ...]
    passports_expiring: int
    abroad: int
    not_returned: int
    visas_outstanding: int
    visas_at_risk: int
    pending_transfers: int
    deliveries_in_transit: int
    renewal: RenewalNeeds
    months: tuple[MonthCount, ...]
    nationalities: tuple[NationalityCount, ...]

    @property
    def passport_until(self) -> date:
        return self.on + timedelta(days=PASSPORT_WINDOW_DAYS)

    @property
    def visa_risk_until(self) -> date:
        return self.on + timedelta(days=VISA_AT_RISK_DAYS)

    @property
    def renewal_until(self) -> date:
        return self.on + timedelta(days=RENEWAL_HORIZON_DAYS)

    def expiring_within(self, days: int) -> int:
        return next(w.count for w in self.windows if w.days == days)


def month_ranges(on: date, months: int = CHART_MONTHS) -> list[tuple[date, date]]:
    """Calendar months from this one: this month counts from today (what already expired is
    counted as expired, not as expiring)."""
    first = on.replace(day=1)
    ranges = []
    for i in range(months):
        start = add_months(first, i)
        end = add_months(first, i + 1) - timedelta(days=1)
        ranges.append((max(start, on), end))
    return ranges


def _resident_figures(establishment: Establishment, on: date) -> dict[str, Any]:
    """The current residents counted per iqama expiry day, with the abroad and passport counts of
    each day, then summed here into the expired count, the windows and the month chart. One
    ordered pass over `resident_current_expiry_idx`; two FILTER columns rather than one per
    window and month, each of which costs per row."""
    passport_until = on + timedelta(days=PASSPORT_WINDOW_DAYS)
    per_day = (
        Resident.objects.filter(establishment=establishment, status__in=CURRENT_STATUSES)
        .values_list("iqama_expiry_date")
        .annotate(
            n=Count("pk"),
            abroad=Count("pk", filter=Q(inside_kingdom=False)),
            passports=Count("pk", filter=Q(passport_expiry_date__lte=passport_until)),
        )
        .order_by()
    )
    windows = [(f"within_{days}", on + timedelta(days=days)) for days in EXPIRY_WINDOWS]
    months = [(f"month_{i}", start, end) for i, (start, end) in enumerate(month_ranges(on))]
    figures: dict[str, Any] = dict.fromkeys(
        ["residents", "iqama_expired", "passports_expiring", "abroad"]
        + [key for key, _ in windows]
        + [key for key, _, _ in months],
        0,
    )
    for day, n, abroad, passports in per_day:
        figures["residents"] += n
        figures["abroad"] += abroad
        figures["passports_expiring"] += passports
        if day is None:
            continue
        if day < on:
            figures["iqama_expired"] += n
            continue
        for key, until in windows:
            if day <= until:
                figures[key] += n
        for key, start, end in months:
            if start <= day <= end:
                figures[key] += n
                break
    return figures


class _RowCount(Subquery):
    """The number of `queryset`'s rows as a scalar subquery: `COUNT(*)` with no GROUP BY, 0 when
    there is none, and nothing read but what its WHERE tests (an index-only probe)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()


def _count_of(qs: QuerySet[Any], key: str) -> Subquery:
    """`qs`'s row count as a scalar subquery correlated on `key` = the outer establishment."""
    return _RowCount(qs.filter(**{key: OuterRef("pk")}).order_by().values(key))


def _in_flight(establishment: Establishment) -> dict[str, int]:
    """Residents who left and did not return, transfer requests waiting for this establishment's
    answer, and cards in the post: three small indexed counts in one query."""
    row = (
        Establishment.objects.filter(pk=establishment.pk)
        .annotate(
            not_returned=_count_of(
                Resident.objects.filter(status=ResidentStatus.EXITED_NOT_RETURNED),
                "establishment",
            ),
            pending_transfers=_count_of(
                TransferRequest.objects.filter(request__status=RequestStatus.SUBMITTED),
                "from_establishment",
            ),
            in_transit=_count_of(
                DeliveryOrder.objects.filter(status__in=OPEN_STATUSES), "establishment"
            ),
        )
        .values("not_returned", "pending_transfers", "in_transit")
        .get()
    )
    return {key: int(value) for key, value in row.items()}


def renewal_needs(*, establishment: Establishment, on: date, schedule: Schedule) -> RenewalNeeds:
    """Residents whose iqama expires within the horizon, grouped by what changes their quote
    (active dependents, inside or outside the kingdom, domestic worker), quoted once per group.
    None of them is late yet, so no late fine is added."""
    active_dependents = _RowCount(
        Dependent.objects.filter(resident=OuterRef("pk"), is_active=True)
        .order_by()
        .values("resident")
    )
    groups = (
        Resident.objects.filter(
            establishment=establishment,
            status__in=RENEWABLE_STATUSES,
            iqama_expiry_date__gte=on,
            iqama_expiry_date__lte=on + timedelta(days=RENEWAL_HORIZON_DAYS),
        )
        .annotate(dependents_count=active_dependents)
        .values("dependents_count", "inside_kingdom", "is_domestic_worker")
        .annotate(residents=Count("pk"))
        .order_by()
    )
    residents = total = 0
    by_fee: dict[FeeCode, int] = {}
    count = 0
    for group in groups:
        count += 1
        quote = renewal_quote(
            schedule,
            months=RENEWAL_MONTHS,
            dependents=group["dependents_count"],
            saudis_majority=establishment.saudis_majority,
            abroad=not group["inside_kingdom"],
            domestic_worker=group["is_domestic_worker"],
            late=False,
            prior_late_renewals=0,
        )
        n = group["residents"]
        residents += n
        total += quote.total_halalas * n
        for line in quote.lines:
            by_fee[line.code] = by_fee.get(line.code, 0) + line.amount_halalas * n
    return RenewalNeeds(
        residents=residents,
        total_halalas=total,
        by_fee=tuple(by_fee.items()),
        groups=count,
    )


def _nationalities(establishment: Establishment) -> list[NationalityCount]:
    """Current residents per nationality, most first. Grouped on the code alone (no join per row)
    in the order of `resident_current_nat_idx`, then the few names read in a second, tiny query."""
    rows = list(
        Resident.objects.filter(establishment=establishment, status__in=CURRENT_STATUSES)
        .values("nationality_id")
        .annotate(n=Count("*"))
        .order_by("-n", "nationality_id")
    )
    names = {
        n.code: n for n in Nationality.objects.filter(code__in=[r["nationality_id"] for r in rows])
    }
    return [
        NationalityCount(
            code=r["nationality_id"],
            name_ar=names[r["nationality_id"]].name_ar,
            name_en=names[r["nationality_id"]].name_en,
            count=r["n"],
        )
        for r in rows
    ]


def establishment_dashboard(*, establishment: Establishment, on: date | None = None) -> Dashboard:
    """Everything the home page shows, in seven queries whatever the number of residents: the
    current residents' counts, visas, the in-flight counts, the fee schedule, renewal groups, and
    nationalities (counts, then names)."""
    on = on or today()
    figures = _resident_figures(establishment, on)
    outstanding = visa_outstanding_q(establishment_id=establishment.pk)
    at_risk = visa_at_risk_q(establishment_id=establishment.pk, on=on)
    # Only the establishment's own visas in play are read (by its index), not every visa of its
    # residents; the residents still belong to it now.
    visas = Visa.objects.filter(
        outstanding | at_risk, resident__establishment=establishment
    ).aggregate(
        outstanding=Count("resident", distinct=True, filter=outstanding),
        at_risk=Count("resident", distinct=True, filter=at_risk),
    )
    in_flight = _in_flight(establishment)
    renewal = renewal_needs(establishment=establishment, on=on, schedule=schedule_at(on))
    return Dashboard(
        on=on,
        residents=figures["residents"],
        iqama_expired=figures["iqama_expired"],
        windows=tuple(
            ExpiryWindow(days, on + timedelta(days=days), figures[f"within_{days}"])
            for days in EXPIRY_WINDOWS
        ),
        passports_expiring=figures["passports_expiring"],
        abroad=figures["abroad"],
        not_returned=in_flight["not_returned"],
        visas_outstanding=visas["outstanding"],
        visas_at_risk=visas["at_risk"],
        pending_transfers=in_flight["pending_transfers"],
        deliveries_in_transit=in_flight["in_transit"],
        renewal=renewal,
        months=tuple(
            MonthCount(start, end, figures[f"month_{i}"])
            for i, (start, end) in enumerate(month_ranges(on))
        ),
        nationalities=tuple(_nationalities(establishment)),
    )
