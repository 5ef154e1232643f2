"""Seed N residents into one establishment (bulk_create), then time the dashboard and the residents
list on them. Not run by the tests; for checking the pages stay fast at 100,000 residents.

    MUQEEM_VAR_DIR=/tmp/bench .venv/bin/python manage.py migrate
    MUQEEM_VAR_DIR=/tmp/bench .venv/bin/python manage.py demo_data
    MUQEEM_VAR_DIR=/tmp/bench .venv/bin/python bench/seed_residents.py --moi 7001234567 -n 100000

Residents get spread iqama expiries (a year back to two years ahead), nationalities, professions,
some abroad, some with dependents, so every dashboard figure has something to count. Iqama numbers
come from `--serial-base` upwards; pick a base no other seeding used."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from muqeem.core.dates import today  # noqa: E402
from muqeem.core.ids import make_iqama_number  # noqa: E402
from muqeem.establishments.models import Establishment  # noqa: E402
from muqeem.residents.models import (  # noqa: E402
    Dependent,
    DependentRelation,
    Gender,
    Nationality,
    Profession,
    Resident,
    ResidentStatus,
)

BATCH = 5_000


def seed(establishment: Establishment, count: int, serial_base: int, rng: random.Random) -> None:
    on = today()
    nationalities = list(Nationality.objects.values_list("code", flat=True))
    professions = list(Profession.objects.values_list("code", flat=True))
    weights = [40, 20, 15, 10, 6, 4, 3, 2] + [1] * max(0, len(nationalities) - 8)
    made = 0
    while made < count:
        batch = []
        for i in range(made, min(count, made + BATCH)):
            abroad = rng.random() < 0.05
            status = ResidentStatus.OUTSIDE_KINGDOM if abroad else ResidentStatus.ACTIVE
            if rng.random() < 0.01:
                status = ResidentStatus.EXITED_NOT_RETURNED
                abroad = True
            batch.append(
                Resident(
                    establishment=establishment,
                    iqama_number=make_iqama_number(serial_base + i),
                    name_ar=f"مقيم تجريبي {i}",
                    name_en=f"Bench Resident {i}",
                    gender=Gender.MALE,
                    date_of_birth=on - timedelta(days=rng.randint(20 * 365, 55 * 365)),
                    nationality_id=rng.choices(nationalities, weights[: len(nationalities)])[0],
                    profession_id=rng.choice(professions),
                    is_domestic_worker=rng.random() < 0.05,
                    iqama_issue_date=on - timedelta(days=300),
                    iqama_expiry_date=on + timedelta(days=rng.randint(-365, 730)),
                    passport_number=f"B{serial_base + i}",
                    passport_issue_date=on - timedelta(days=1000),
                    passport_expiry_date=on + timedelta(days=rng.randint(-30, 3000)),
                    status=status,
                    inside_kingdom=not abroad,
                )
            )
        created = Resident.objects.bulk_create(batch, batch_size=1_000)
        dependents = [
            Dependent(
                resident=r,
                name_ar="تابع",
                name_en="Dependent",
                relation=DependentRelation.SPOUSE,
                date_of_birth=on - timedelta(days=30 * 365),
            )
            for r in created
            if r.pk is not None and rng.random() < 0.1
        ]
        Dependent.objects.bulk_create(dependents, batch_size=1_000)
        made += len(batch)
        print(f"  {made:,} / {count:,}")


def measure(establishment: Establishment) -> None:
    from muqeem.accounts.models import User
    from muqeem.reports.forms import ResidentFilterForm
    from muqeem.reports.residents import keyset_page, resident_search
    from muqeem.web.selectors import establishment_dashboard

    total = Resident.objects.filter(establishment=establishment).count()
    print(f"{total:,} residents in {establishment.moi_number}")
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        board = establishment_dashboard(establishment=establishment)
        took = time.perf_counter() - started
    print(
        f"dashboard: {took * 1000:.0f} ms, {len(ctx.captured_queries)} queries; "
        f"expired {board.iqama_expired:,}, within 90 days {board.expiring_within(90):,}, "
        f"renewal fees SAR {board.renewal.total_halalas / 100:,.2f} "
        f"({board.renewal.groups} quote groups)"
    )
    officer = User.objects.filter(establishment=establishment).first()
    if officer is None:
        return
    for params in ({}, {"name": "99"}, {"status": "current", "sort": "name"}):
        filters = ResidentFilterForm(params or None).filters()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            qs = resident_search(actor=officer, filters=filters, on=today())
            count = qs.count()
            page = keyset_page(qs.select_related("nationality", "profession"), sort=filters.sort)
            if page.next_cursor:
                keyset_page(qs, sort=filters.sort, after=page.next_cursor)
            took = time.perf_counter() - started
        print(
            f"list {params or '(no filter)'}: {count:,} match, first two pages in "
            f"{took * 1000:.0f} ms, {len(ctx.captured_queries)} queries"
        )
    reset_queries()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moi", default="7001234567", help="establishment number")
    parser.add_argument("-n", type=int, default=100_000, help="residents to add (0: only time)")
    parser.add_argument("--serial-base", type=int, default=60_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    establishment = Establishment.objects.get(moi_number=args.moi)
    if args.n:
        print(f"Adding {args.n:,} residents to {establishment.moi_number}…")
        seed(establishment, args.n, args.serial_base, random.Random(args.seed))
    measure(establishment)


if __name__ == "__main__":
    main()
