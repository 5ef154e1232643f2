"""The dashboard's figures, computed from counts per expiry day, per nationality and per renewal
group, against the same figures worked out resident by resident on the boundaries that matter:
the first and last day of each window and month, no expiry date, every status, and the visas of
residents who have moved to another establishment."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import count
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from muqeem.core.dates import today
from muqeem.eservices.exit_reentry.models import VisaStatus
from muqeem.eservices.iqama_renewal.rules import RENEWABLE_STATUSES
from muqeem.reports.residents import CURRENT_STATUSES, VISA_AT_RISK_DAYS
from muqeem.reports.tests.builders import resident, visa
from muqeem.residents.models import (
    CURRENT_RESIDENT_STATUSES,
    Nationality,
    Resident,
    ResidentStatus,
)
from muqeem.web.selectors import (
    EXPIRY_WINDOWS,
    PASSPORT_WINDOW_DAYS,
    establishment_dashboard,
    month_ranges,
)
from tests.factories import DependentFactory

pytestmark = pytest.mark.django_db

_border_numbers = count(3_100_000_001)


def _nationality(code: str) -> Nationality:
    return Nationality.objects.get_or_create(
        code=code, defaults={"name_ar": code, "name_en": code}
    )[0]


def _offsets(on: date) -> list[int | None]:
    """Expiry days, as days from `on`, on each side of every edge the dashboard counts."""
    edges = {-400, -1, 0, 1, PASSPORT_WINDOW_DAYS}
    for days in EXPIRY_WINDOWS:
        edges |= {days - 1, days, days + 1}
    for start, end in month_ranges(on):
        for day in (start, end):
            edges |= {(day - on).days - 1, (day - on).days, (day - on).days + 1}
    return [None, *sorted(edges)]


def _build(establishment: Any, on: date) -> None:
    statuses = list(ResidentStatus)
    nationalities = [_nationality(code) for code in ("EGY", "IND", "PAK")]
    for i, offset in enumerate(_offsets(on)):
        status = statuses[i % len(statuses)]
        fields: dict[str, Any] = {
            "status": status,
            "inside_kingdom": i % 3 != 0,
            "is_domestic_worker": i % 4 == 0,
            "nationality": nationalities[i % len(nationalities)],
            "passport_expiry_date": on + timedelta(days=PASSPORT_WINDOW_DAYS - 1 + i % 3),
        }
        if offset is None:
            fields.update(iqama_number=None, border_number=str(next(_border_numbers)))
        holder = resident(establishment, expires_in=None, **fields)
        if offset is not None:
            Resident.objects.filter(pk=holder.pk).update(
                iqama_expiry_date=on + timedelta(days=offset)
            )
        for n in range(i % 3):
            DependentFactory(resident=holder, is_active=n != 1 or i % 2 == 0)


@pytest.mark.parametrize(
    "on",
    [date(2027, 1, 31), date(2027, 3, 1), date(2028, 2, 29), date(2027, 12, 15)],
    ids=str,
)
def test_every_figure_equals_the_residents_counted_one_by_one(
    establishment, other_establishment, on
):
    _build(establishment, on)
    _build(other_establishment, on)  # another establishment's residents never count
    current = [
        r
        for r in Resident.objects.filter(establishment=establishment)
        if r.status in CURRENT_STATUSES
    ]
    expiring = [r.iqama_expiry_date for r in current if r.iqama_expiry_date is not None]

    board = establishment_dashboard(establishment=establishment, on=on)

    assert board.residents == len(current)
    assert board.iqama_expired == sum(d < on for d in expiring)
    for window in board.windows:
        assert window.count == sum(on <= d <= on + timedelta(days=window.days) for d in expiring)
        assert window.count > 0
    assert [m.count for m in board.months] == [
        sum(start <= d <= end for d in expiring) for start, end in month_ranges(on)
    ]
    assert board.passports_expiring == sum(
        r.passport_expiry_date <= on + timedelta(days=PASSPORT_WINDOW_DAYS) for r in current
    )
    assert board.abroad == sum(not r.inside_kingdom for r in current)
    by_nationality = Counter(r.nationality_id for r in current)
    assert [(n.code, n.count) for n in board.nationalities] == sorted(
        by_nationality.items(), key=lambda item: (-item[1], item[0])
    )
    renewable = [
        r
        for r in current
        if r.status in RENEWABLE_STATUSES
        and r.iqama_expiry_date is not None
        and on <= r.iqama_expiry_date <= on + timedelta(days=90)
    ]
    groups = {
        (r.dependents.filter(is_active=True).count(), r.inside_kingdom, r.is_domestic_worker)
        for r in renewable
    }
    assert board.renewal.residents == len(renewable)
    assert board.renewal.groups == len(groups)
    assert any(dependents > 0 for dependents, _, _ in groups)


def test_an_establishment_without_residents_has_zero_everywhere(establishment):
    board = establishment_dashboard(establishment=establishment, on=date(2027, 5, 5))
    assert board.residents == board.iqama_expired == board.abroad == 0
    assert [w.count for w in board.windows] == [0] * len(EXPIRY_WINDOWS)
    assert [m.count for m in board.months] == [0] * 12
    assert board.nationalities == ()
    assert board.renewal.residents == board.renewal.total_halalas == 0


def test_visas_count_each_resident_once_and_only_while_they_are_the_establishments(
    establishment, other_establishment
):
    on = today()
    twice = resident(establishment)
    visa(twice, travel_by=on + timedelta(days=VISA_AT_RISK_DAYS))  # last day at risk
    visa(twice, travel_by=on)  # first day at risk
    later = resident(establishment)
    visa(later, travel_by=on + timedelta(days=VISA_AT_RISK_DAYS + 1))
    used = resident(establishment, status=ResidentStatus.EXITED_NOT_RETURNED)
    visa(used, status=VisaStatus.USED)
    returned = resident(establishment)
    visa(returned, status=VisaStatus.RETURNED)
    # Issued by this establishment, then the resident moved: no longer its concern.
    moved = resident(establishment)
    visa(moved, travel_by=on + timedelta(days=3))
    Resident.objects.filter(pk=moved.pk).update(establishment=other_establishment)
    # Issued by the previous establishment of a resident who is now ours: not ours to count.
    arrived = resident(other_establishment)
    visa(arrived, travel_by=on + timedelta(days=3))
    Resident.objects.filter(pk=arrived.pk).update(establishment=establishment)

    board = establishment_dashboard(establishment=establishment, on=on)
    assert board.visas_outstanding == 3  # twice (once), later, used
    assert board.visas_at_risk == 1  # twice


def test_the_partial_indexes_cover_the_statuses_the_dashboard_counts():
    """`resident_current_expiry_idx` and `resident_current_nat_idx` are built for
    `CURRENT_RESIDENT_STATUSES`; a query over other statuses could not use them."""
    assert set(CURRENT_STATUSES) == set(CURRENT_RESIDENT_STATUSES)
    assert set(RENEWABLE_STATUSES) <= set(CURRENT_RESIDENT_STATUSES)


@pytest.mark.postgres
def test_the_resident_counts_are_answered_from_the_indexes_alone(establishment):
    """The plans, with sequential and bitmap scans ruled out so that the tiny test tables do not
    hide an index the query cannot use, and the tables' pages marked all-visible as autovacuum
    keeps them (VACUUM cannot run in the test's transaction; the statistics it would record are
    set instead): the per-day counts, the nationalities and the renewal groups (with their
    dependents) are index-only scans of the dashboard's indexes."""
    for i in range(30):
        r = resident(establishment, expires_in=i * 10 - 50)
        if i % 5 == 0:
            DependentFactory(resident=r)
    with CaptureQueriesContext(connection) as ctx:
        establishment_dashboard(establishment=establishment)
    plans = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE residents_resident, residents_dependent")
        # What VACUUM records after marking every page all-visible (rolled back with the test).
        cursor.execute(
            "UPDATE pg_class SET relallvisible = relpages"
            " WHERE relname IN ('residents_resident', 'residents_dependent')"
        )
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # The tables' other secondary indexes dropped (rolled back with the test): on tiny tables the
        # planner's pick among indexes that could all serve is a coin toss; what is asserted is that
        # the dashboard's own indexes answer the queries alone.
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN"
            " ('residents_resident', 'residents_dependent')"
            " AND indexname NOT IN ('resident_current_expiry_idx', 'resident_current_nat_idx',"
            " 'dependent_active_idx') AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        for query in ctx.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans[query["sql"]] = "\n".join(row[0] for row in cursor.fetchall())
    used = {
        index: [sql for sql, plan in plans.items() if f"Index Only Scan using {index}" in plan]
        for index in (
            "resident_current_expiry_idx",
            "resident_current_nat_idx",
            "dependent_active_idx",
        )
    }
    assert len(used["resident_current_expiry_idx"]) == 2, plans  # the per-day counts, renewals
    assert len(used["resident_current_nat_idx"]) == 1, plans
    assert used["dependent_active_idx"] == used["resident_current_expiry_idx"][1:], plans
