# ruff: noqa: S608  (SQL built from this file's own constants; values go as parameters)
"""Generate the benchmark registry in the real tables, then the fixtures the load needs.

    DJANGO_SETTINGS_MODULE=config.settings.bench .venv/bin/python bench/seed.py \
        --residents 1000000 --establishments 20000 --big 100000 --state var/bench/state.json

Python computes the iqama numbers (`make_iqama_number`) and sends them with COPY; PostgreSQL builds
the rows from them (INSERT … SELECT), ids assigned here so foreign keys need no round trip. The load
is one transaction, as a DBA loads: foreign-key triggers off, the big tables' secondary indexes built
once after their rows, then every foreign key checked (one anti-join per key) and the ledger
invariant checked; anything wrong and nothing is kept. What is made:

* establishments, each with a main user (no usable password) and a paid SADAD top-up in the ledger
  (a PAYMENT journal, bank -x / establishment +x); the first one is the big establishment;
* residents (valid Luhn iqama numbers from `muqeem.core.ids`), spread over every establishment, the
  first `--big` of them in the big one; nationalities and professions from the reference tables;
  expiries a year back to two years ahead, some abroad, some exited, some with blockers
  (fines, no insurance, no fingerprint, absent report), 10 % with a dependent;
* one "iqama issued" history entry per resident;
* an exit and re-entry visa for one resident in ten: its completed request, the request's events,
  the visa's event, and its fee charged in the ledger (CHARGE journal, establishment -fee / revenue
  +fee), so every balance equals the sum of its ledger lines;
* two pools of residents of the big establishment that every renewal rule accepts (passport valid,
  insured, fingerprinted, no fines, iqama expiring in 1–10 months): one for the API renewals, one for
  the bulk renewals.

Then, through the application's own services: an API key (`api_key_create`) for the big
establishment's main user, and a portal session for that user carrying the security-code flag
(`SESSION_FLAG`), as a login followed by the code would leave it. Everything the load driver needs is
written to `--state` (JSON) and the pools to files beside it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

import django

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from muqeem.accounts.models import User  # noqa: E402
from muqeem.accounts.permissions import Permission  # noqa: E402
from muqeem.accounts.security_code import SESSION_FLAG  # noqa: E402
from muqeem.api.services import api_key_create  # noqa: E402
from muqeem.core.dates import today  # noqa: E402
from muqeem.core.ids import make_iqama_number  # noqa: E402
from muqeem.fees.models import FeeCode, JournalKind, LedgerAccount  # noqa: E402
from muqeem.workflow.machine import RequestAction, RequestStatus, ServiceType  # noqa: E402

IQAMA_SERIAL_BASE = 10_000_000
MOI_BASE = 7_100_000_000
CHUNK = 1 << 20  # characters per COPY write
VISA_FEE = 20_000  # a single visa's base fee (schedule `visa.single_base_fee`)
BIG_TOP_UP = 500_000_000_00  # SAR 500 million: covers every renewal the load makes
TOP_UP = 5_000_000_00


def iqama(resident_id: int) -> str:
    return make_iqama_number(IQAMA_SERIAL_BASE + resident_id)


def _copy(table: str, columns: Iterable[str], lines: Iterable[str]) -> int:
    """COPY text-format lines (tab-separated, newline-terminated) into `table`."""
    cols = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor
        with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            buffer = io.StringIO()
            for line in lines:
                buffer.write(line)
                count += 1
                if buffer.tell() >= CHUNK:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    return count


def _reset_sequence(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" GREATEST((SELECT max(id) FROM {table}), 1))"
        )


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _b(value: bool) -> str:
    return "t" if value else "f"


def _sql(sql: str, params: dict[str, Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def _h(salt: int, modulus: int, column: str = "id") -> str:
    """A deterministic pseudo-random integer in [0, modulus) drawn from the row's id."""
    return f"mod(abs(hashint8extended({column}, {salt})), {modulus})"


class Registry:
    """The registry, generated in the database (INSERT … SELECT over the iqama numbers that Python
    made and COPY sent): PostgreSQL builds a million rows in seconds where Python needs minutes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.n_residents: int = args.residents
        self.n_establishments: int = args.establishments
        self.big: int = args.big
        self.pooled: int = args.api_pool + args.bulk_pool
        self.on: date = today()
        self.now = timezone.now().isoformat()
        with connection.cursor() as cursor:
            cursor.execute("SELECT code FROM residents_nationality ORDER BY code")
            nationalities = [r[0] for r in cursor.fetchall()]
            cursor.execute("SELECT code FROM residents_profession WHERE is_active ORDER BY code")
            self.professions = [r[0] for r in cursor.fetchall()]
        # A few nationalities make most of the workforce: repeat each by its weight.
        self.nationality_draw = [
            code for i, code in enumerate(nationalities) for _ in range(max(1, 40 - 2 * i))
        ]

    @property
    def params(self) -> dict[str, Any]:
        return {
            "on": self.on,
            "big": self.big,
            "n_est": self.n_establishments,
            "pooled": self.pooled,
            "nats": self.nationality_draw,
            "profs": self.professions,
        }

    def establishments(self) -> Iterator[str]:
        for eid in range(1, self.n_establishments + 1):
            big = eid == 1
            name_en = "Bench Contracting Co." if big else f"Bench Establishment {eid}"
            name_ar = "شركة المقاولات التجريبية" if big else f"منشأة تجريبية {eid}"
            mobile = f"9665{eid % 100_000_000:08d}"
            yield (
                f"{eid}\t{MOI_BASE + eid}\t{name_ar}\t{name_en}\t{1_010_000_000 + eid}\t{mobile}\t"
                f"{_b(eid % 3 == 0)}\t{1000 + eid % 9000}\tKing Fahd Road\tAl Olaya\tRiyadh\t"
                f"{12211 + eid % 80000:05d}\t{1000 + eid % 9000}\t0\tt\t{self.now}\t\\N\t\n"
            )

    ESTABLISHMENT_COLUMNS = [
        "id",
        "moi_number",
        "name_ar",
        "name_en",
        "cr_number",
        "registered_mobile",
        "saudis_majority",
        "building_number",
        "street",
        "district",
        "city",
        "postal_code",
        "additional_number",
        "balance_halalas",
        "is_active",
        "created_at",
        "suspended_at",
        "suspension_reason",
    ]

    def users(self) -> Iterator[str]:
        extra = "".join("\t" + value for _column, value in self.user_extra_columns())
        for eid in range(1, self.n_establishments + 1):
            yield (
                f"{eid}\t!bench-unusable\t\\N\tf\tbench{MOI_BASE + eid}\tMain\tUser\t"
                f"main{eid}@bench.invalid\tf\tt\t{self.now}\tt\tالمستخدم الرئيسي\t{eid}\t[]\t"
                f"{extra}\n"
            )

    @classmethod
    def user_extra_columns(cls) -> list[tuple[str, str]]:
        """The user table's columns added after the ones above, each left empty: NULL where the
        column allows it, '' for text. A column that needs a real value stops the seeder."""
        extra = []
        for field in User._meta.concrete_fields:
            if field.column in cls.BASE_USER_COLUMNS:
                continue
            if field.null:
                extra.append((field.column, "\\N"))
            elif isinstance(field, models.CharField | models.TextField):
                extra.append((field.column, ""))
            else:
                raise SystemExit(f"bench/seed.py: accounts_user.{field.column} needs a value")
        return extra

    BASE_USER_COLUMNS = [
        "id",
        "password",
        "last_login",
        "is_superuser",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "date_joined",
        "is_main_user",
        "full_name_ar",
        "establishment_id",
        "service_permissions",
        "staff_role",
    ]

    def iqama_numbers(self) -> Iterator[str]:
        for rid in range(1, self.n_residents + 1):
            yield f"{rid}\t{iqama(rid)}\n"

    def residents(self) -> int:
        """Pooled residents (the first `pooled` of the big establishment) pass every renewal rule;
        the others get statuses, expiries, passports and blockers spread as in a real registry."""
        _sql("CREATE TEMP TABLE bench_iqama (id bigint PRIMARY KEY, iqama varchar(10))")
        _copy("bench_iqama", ["id", "iqama"], self.iqama_numbers())
        return _sql(
            f"""
            WITH drawn AS (
              SELECT id, iqama, id <= %(pooled)s AS pooled,
                CASE WHEN id <= %(big)s THEN 1
                     ELSE 2 + mod(id - %(big)s - 1, %(n_est)s - 1) END AS eid,
                {_h(1, 1000)} AS r, {_h(2, 1000)} AS b,
                {_h(3, 1096)} - 365 AS expiry_days, {_h(4, 3031)} - 30 AS passport_days,
                {_h(5, 1_000_000)} AS pick
              FROM bench_iqama
            ), shaped AS (
              SELECT d.*,
                CASE WHEN pooled THEN 'active'
                     WHEN r < 50 THEN 'outside_kingdom'
                     WHEN r < 60 THEN 'exited_not_returned'
                     WHEN r < 65 THEN 'absent_from_work'
                     ELSE 'active' END AS status,
                CASE WHEN pooled THEN %(on)s::date + (30 + mod(id, 270))::int
                     ELSE %(on)s::date + expiry_days::int END AS expiry,
                CASE WHEN pooled THEN %(on)s::date + (2000 + mod(id, 1000))::int
                     ELSE %(on)s::date + passport_days::int END AS passport_expiry,
                NOT pooled AND b < 30 AS fined,
                pooled OR b >= 50 OR b < 30 AS insured,
                pooled OR b < 50 OR b >= 60 AS fingerprinted
              FROM drawn d
            )
            INSERT INTO residents_resident (
              id, iqama_number, border_number, name_ar, name_en, gender, date_of_birth, religion,
              is_domestic_worker, mobile, iqama_issue_date, iqama_expiry_date, iqama_card_version,
              arrival_date, passport_number, passport_issue_date, passport_expiry_date, status,
              inside_kingdom, fingerprint_registered, insurance_active, insurance_expiry_date,
              unpaid_traffic_fines_halalas, absent_from_work_reported, work_permit_paid_until,
              late_renewal_count, version, created_at, updated_at, establishment_id,
              nationality_id, profession_id, registered_vehicles, medical_exam_passed,
              profession_corrections_used, transfer_count)
            SELECT id, iqama, NULL, 'مقيم تجريبي ' || id, 'Bench Resident ' || id,
              CASE WHEN mod(id, 7) = 0 THEN 'f' ELSE 'm' END,
              %(on)s::date - (7300 + mod(id, 12775))::int, '', mod(id, 20) = 0,
              '9665' || lpad(mod(id, 100000000)::text, 8, '0'),
              expiry - 365, expiry, 1, expiry - 365,
              'P' || lpad(id::text, 9, '0'), passport_expiry - 3650, passport_expiry, status,
              status NOT IN ('outside_kingdom', 'exited_not_returned'), fingerprinted, insured,
              CASE WHEN insured THEN expiry + 30 ELSE %(on)s::date - 10 END,
              CASE WHEN fined THEN 50000 + mod(id, 5) * 10000 ELSE 0 END,
              status = 'absent_from_work', expiry, 0, 1, now(), now(), eid,
              (%(nats)s::text[])[1 + mod(pick, cardinality(%(nats)s::text[]))],
              (%(profs)s::text[])[1 + mod(pick / 7, cardinality(%(profs)s::text[]))],
              0, true, 0, 0
            FROM shaped
            """,
            self.params,
        )

    def dependents(self) -> int:
        return _sql(
            """
            INSERT INTO residents_dependent (id, name_ar, name_en, relation, date_of_birth,
              iqama_number, inside_kingdom, is_active, resident_id)
            SELECT row_number() OVER (ORDER BY id), 'تابع ' || id, 'Dependent of ' || id,
              'spouse', %(on)s::date - (9000 + mod(id, 5000))::int, NULL, true, true, id
            FROM residents_resident WHERE mod(id, 10) = 3
            """,
            self.params,
        )

    def history(self) -> int:
        """One "iqama issued" entry per resident, as the issuance records it."""
        return _sql(
            """
            INSERT INTO residents_residenthistoryentry (id, occurred_at, kind, old, new,
              establishment_id, resident_id, service_request_id)
            SELECT id, (iqama_issue_date + time '09:00') AT TIME ZONE 'Asia/Riyadh',
              'iqama_issued', '{}'::jsonb, jsonb_build_object('iqama_number', iqama_number),
              establishment_id, id, NULL
            FROM residents_resident
            """,
            self.params,
        )

    def visas(self) -> int:
        """An exit and re-entry visa for one resident in ten (not the pooled ones): the completed
        request and its two events, the visa and its event, and the fee in the ledger."""
        fee_lines = _j(
            [
                {
                    "code": str(FeeCode.EXIT_REENTRY_VISA_FEE),
                    "amount_halalas": VISA_FEE,
                    "basis": {"months": 2},
                }
            ]
        )
        p = {**self.params, "fee": VISA_FEE, "fee_lines": fee_lines}
        count = _sql(
            """
            CREATE TEMP TABLE bench_visa AS
            SELECT row_number() OVER (ORDER BY id) AS vid, id AS rid, establishment_id AS eid,
              status, passport_number
            FROM residents_resident WHERE mod(id, 10) = 5 AND id > %(pooled)s
            """,
            p,
        )
        _sql(
            "ALTER TABLE bench_visa ADD COLUMN issued date, ADD COLUMN at timestamptz,"
            " ADD COLUMN visa_status text"
        )
        _sql(
            """
            UPDATE bench_visa SET issued = %(on)s::date - (10 + mod(vid, 50))::int,
              at = ((%(on)s::date - (10 + mod(vid, 50))::int) + time '10:00')
                   AT TIME ZONE 'Asia/Riyadh',
              visa_status = CASE WHEN status IN ('outside_kingdom', 'exited_not_returned')
                                 THEN 'used'
                                 WHEN mod(vid, 3) = 0 THEN 'returned' ELSE 'issued' END
            """,
            p,
        )
        _sql(
            f"""
            INSERT INTO workflow_servicerequest (id, service_type, status, version,
              idempotency_key, payload_hash, fee_total_halalas, fee_lines, created_at, updated_at,
              establishment_id, resident_id, submitted_by_id)
            SELECT vid, '{ServiceType.EXIT_REENTRY_ISSUE}', '{RequestStatus.COMPLETED}', 1,
              'bench-visa-' || vid, md5(vid::text) || md5(rid::text), %(fee)s,
              %(fee_lines)s::jsonb, at, at, eid, rid, eid
            FROM bench_visa
            """,
            p,
        )
        _sql(
            f"""
            INSERT INTO workflow_requestevent (id, action, from_status, to_status, occurred_at,
              payload, actor_id, request_id)
            SELECT 2 * vid - 1, '{RequestAction.SUBMIT}', '', '{RequestStatus.SUBMITTED}', at,
              '{{}}'::jsonb, eid, vid FROM bench_visa
            UNION ALL
            SELECT 2 * vid, '{RequestAction.COMPLETE}', '{RequestStatus.SUBMITTED}',
              '{RequestStatus.COMPLETED}', at, '{{}}'::jsonb, eid, vid FROM bench_visa
            """
        )
        _sql(
            """
            INSERT INTO exit_reentry_visa (id, visa_type, duration_unit, duration_value,
              months_charged, issued_on, travel_by, expires_on, first_departure_on,
              last_arrival_on, extended_months, passport_number, status, version, created_at,
              establishment_id, request_id, resident_id, unused_fine_id)
            SELECT vid, 'single', 'months', 2, 2, issued, issued + 90,
              CASE WHEN visa_status = 'issued' THEN NULL ELSE issued + 62 END,
              CASE WHEN visa_status = 'issued' THEN NULL ELSE issued + 2 END,
              CASE WHEN visa_status = 'returned' THEN issued + 20 END,
              0, passport_number, visa_status, 1, at, eid, vid, rid, NULL
            FROM bench_visa
            """
        )
        _sql(
            """
            INSERT INTO exit_reentry_visaevent (id, kind, "on", occurred_at, detail, visa_id)
            SELECT vid, 'issued', issued, at, '{}'::jsonb, vid FROM bench_visa
            """
        )
        # Ledger: journals 1..n_est are the top-ups; the charges follow.
        _sql(
            f"""
            INSERT INTO fees_ledgerjournal (id, kind, idempotency_key, reference, occurred_at,
              memo, actor_id, establishment_id, reversal_of_id, service_request_id)
            SELECT %(n_est)s + vid, '{JournalKind.CHARGE}', 'charge:bench-visa-' || vid,
              (1000000000 + vid)::text, at, '', eid, eid, NULL, vid
            FROM bench_visa
            """,
            p,
        )
        _sql(
            f"""
            INSERT INTO fees_ledgerline (id, account, fee_code, amount_halalas, establishment_id,
              journal_id)
            SELECT 2 * vid - 1, '{LedgerAccount.ESTABLISHMENT}', '{FeeCode.EXIT_REENTRY_VISA_FEE}',
              -%(fee)s, eid, %(n_est)s + vid FROM bench_visa
            UNION ALL
            SELECT 2 * vid, '{LedgerAccount.REVENUE}', '{FeeCode.EXIT_REENTRY_VISA_FEE}',
              %(fee)s, NULL, %(n_est)s + vid FROM bench_visa
            """,
            p,
        )
        return count

    def top_ups(self, visas: int) -> None:
        """One paid SADAD top-up per establishment; then each balance is set to the sum of the
        establishment's ledger lines, which is the invariant the services keep."""
        p = {**self.params, "big_top_up": BIG_TOP_UP, "top_up": TOP_UP, "lines": 2 * visas}
        at = f"{self.on - timedelta(days=60)}T08:00:00+03:00"
        _sql(
            f"""
            INSERT INTO fees_ledgerjournal (id, kind, idempotency_key, reference, occurred_at,
              memo, actor_id, establishment_id, reversal_of_id, service_request_id)
            SELECT id, '{JournalKind.PAYMENT}', 'bench-topup-' || id,
              'SADAD-' || lpad(id::text, 8, '0'), '{at}'::timestamptz, 'SADAD top-up', NULL, id,
              NULL, NULL
            FROM establishments_establishment
            """,
            p,
        )
        _sql(
            f"""
            INSERT INTO fees_ledgerline (id, account, fee_code, amount_halalas, establishment_id,
              journal_id)
            SELECT %(lines)s + 2 * id - 1, '{LedgerAccount.BANK}', '',
              -(CASE WHEN id = 1 THEN %(big_top_up)s ELSE %(top_up)s END), NULL, id
            FROM establishments_establishment
            UNION ALL
            SELECT %(lines)s + 2 * id, '{LedgerAccount.ESTABLISHMENT}', '',
              CASE WHEN id = 1 THEN %(big_top_up)s ELSE %(top_up)s END, id, id
            FROM establishments_establishment
            """,
            p,
        )
        _sql(
            f"""
            UPDATE establishments_establishment e SET balance_halalas = l.total
            FROM (SELECT establishment_id, sum(amount_halalas) AS total FROM fees_ledgerline
                  WHERE account = '{LedgerAccount.ESTABLISHMENT}' GROUP BY establishment_id) l
            WHERE l.establishment_id = e.id
            """
        )


def seed(args: argparse.Namespace) -> dict[str, Any]:
    reg = Registry(args)
    timings: dict[str, float] = {}

    def step(name: str, func: Any) -> Any:
        started = time.perf_counter()
        result = func()
        timings[name] = time.perf_counter() - started
        print(f"  {name}: {timings[name]:.1f} s", flush=True)
        return result

    started = time.perf_counter()
    with transaction.atomic():
        # A bulk load as a DBA does it, inside the one transaction (all or nothing): no commit
        # flush per statement, the foreign-key triggers off (every key is checked afterwards in
        # one join per key, `_check_foreign_keys`), and the big tables' secondary indexes built
        # once after their rows rather than maintained row by row.
        _sql("SET LOCAL synchronous_commit = off")
        _sql("SET LOCAL session_replication_role = replica")
        _sql("SET LOCAL maintenance_work_mem = '256MB'")
        dropped = step("drop indexes", lambda: _drop_secondary_indexes(BIG_TABLES))
        step(
            "establishments",
            lambda: _copy(
                "establishments_establishment", reg.ESTABLISHMENT_COLUMNS, reg.establishments()
            ),
        )
        user_columns = reg.BASE_USER_COLUMNS + [c for c, _v in reg.user_extra_columns()]
        step("users", lambda: _copy("accounts_user", user_columns, reg.users()))
        step("residents", reg.residents)
        step("dependents", reg.dependents)
        step("history", reg.history)
        visas = step("visas", reg.visas)
        step("ledger", lambda: reg.top_ups(visas))
        step("create indexes", lambda: _create_indexes(dropped))
        _sql("SET LOCAL session_replication_role = origin")
        step("check keys", _check_foreign_keys)
        for table in (
            "establishments_establishment",
            "accounts_user",
            "residents_resident",
            "residents_dependent",
            "residents_residenthistoryentry",
            "workflow_servicerequest",
            "workflow_requestevent",
            "exit_reentry_visa",
            "exit_reentry_visaevent",
            "fees_ledgerjournal",
            "fees_ledgerline",
        ):
            _reset_sequence(table)
    timings["copy_total"] = time.perf_counter() - started
    print(f"  committed: {timings['copy_total']:.1f} s", flush=True)
    step("analyze", _analyze)
    timings["total"] = time.perf_counter() - started
    return {"timings": timings, "visas": visas}


BIG_TABLES = ("residents_resident", "residents_residenthistoryentry", "residents_dependent")
LOADED_MODELS = (
    "establishments.Establishment",
    "accounts.User",
    "residents.Resident",
    "residents.Dependent",
    "residents.ResidentHistoryEntry",
    "workflow.ServiceRequest",
    "workflow.RequestEvent",
    "exit_reentry.Visa",
    "exit_reentry.VisaEvent",
    "fees.LedgerJournal",
    "fees.LedgerLine",
)


def _drop_secondary_indexes(tables: Iterable[str]) -> list[str]:
    """Drop the indexes that back no constraint; return their definitions to build them again."""
    definitions = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname"
                " NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                definitions.append(definition)
    return definitions


def _create_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)


def _check_foreign_keys() -> None:
    """Every foreign key of every loaded row points at a row (one anti-join per key)."""
    from django.apps import apps

    with connection.cursor() as cursor:
        for label in LOADED_MODELS:
            model = apps.get_model(label)
            for f in model._meta.concrete_fields:
                if not f.is_relation or f.related_model is None:
                    continue
                target = f.related_model._meta
                column = f.target_field.column
                cursor.execute(
                    f'SELECT count(*) FROM "{model._meta.db_table}" t'
                    f' WHERE t."{f.column}" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM'
                    f' "{target.db_table}" p WHERE p."{column}" = t."{f.column}")'
                )
                (missing,) = cursor.fetchone()
                if missing:
                    raise SystemExit(f"{missing} rows of {label}.{f.name} point at nothing")


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def _check_ledger() -> None:
    """Every balance equals the sum of its ledger lines (the invariant the services keep)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM establishments_establishment e LEFT JOIN ("
            " SELECT establishment_id, sum(amount_halalas) s FROM fees_ledgerline"
            " WHERE account = %s GROUP BY establishment_id) l ON l.establishment_id = e.id"
            " WHERE e.balance_halalas <> coalesce(l.s, 0)",
            [LedgerAccount.ESTABLISHMENT],
        )
        (mismatched,) = cursor.fetchone()
    if mismatched:
        raise SystemExit(f"{mismatched} establishments' balances differ from their ledger")


def fixtures(args: argparse.Namespace, state_path: Path) -> dict[str, Any]:
    """The API key and the portal session of the big establishment's main user, and the pools."""
    officer = User.objects.get(pk=1)
    _key, raw_key = api_key_create(
        actor=officer,
        name="Bench HR system",
        permissions=[Permission.VIEW_RESIDENTS, Permission.IQAMA_RENEWAL],
    )
    session = SessionStore()
    session[SESSION_KEY] = str(officer.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = officer.get_session_auth_hash()
    session[SESSION_FLAG] = timezone.now().isoformat()
    session.create()
    # `create()` keeps the default expiry; the benchmark may outlast nothing shorter than an hour.
    session.set_expiry(3600 * 8)
    session.save()

    out = state_path.parent
    pools = {
        "api_renewal": [iqama(r) for r in range(1, args.api_pool + 1)],
        "bulk_renewal": [
            iqama(r) for r in range(args.api_pool + 1, args.api_pool + args.bulk_pool + 1)
        ],
    }
    rng = random.Random(args.seed + 1)
    first_other = args.api_pool + args.bulk_pool + 1
    others = list(range(first_other, args.big + 1))
    pools["big_any"] = [iqama(r) for r in rng.sample(others, min(len(others), 20_000))]
    files = {}
    for name, numbers in pools.items():
        path = out / f"pool-{name}.txt"
        path.write_text("\n".join(numbers) + "\n")
        files[name] = str(path)
    return {
        "api_key": raw_key,
        "session_cookie": session.session_key,
        "officer_id": officer.pk,
        "big_establishment_id": 1,
        "pools": files,
        "pool_sizes": {k: len(v) for k, v in pools.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--establishments", type=int, default=20_000)
    parser.add_argument("--big", type=int, default=100_000, help="residents of the big one")
    parser.add_argument("--api-pool", type=int, default=30_000)
    parser.add_argument("--bulk-pool", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--state", type=Path, default=Path("var/bench/state.json"))
    args = parser.parse_args()
    if args.api_pool + args.bulk_pool >= args.big or args.big >= args.residents:
        parser.error("need api-pool + bulk-pool < big < residents")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM residents_resident")
        if cursor.fetchone()[0]:
            raise SystemExit("the benchmark database already has residents; recreate it first")
    print(
        f"Seeding {args.residents:,} residents across {args.establishments:,} establishments "
        f"({args.big:,} in the big one)…",
        flush=True,
    )
    result = seed(args)
    _check_ledger()
    state = fixtures(args, args.state)
    state["seed"] = {
        "residents": args.residents,
        "establishments": args.establishments,
        "big": args.big,
        "visas": result["visas"],
        "timings": {k: round(v, 1) for k, v in result["timings"].items()},
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    args.state.parent.mkdir(parents=True, exist_ok=True)
    args.state.write_text(json.dumps(state, indent=2))
    print(f"Seeded in {result['timings']['total']:.0f} s; state in {args.state}")


if __name__ == "__main__":
    main()
