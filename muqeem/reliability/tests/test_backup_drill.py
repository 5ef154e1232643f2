"""The backup drill, for real: pg_dump the test database, restore it into a fresh one and prove the
copy (migrations, reconcile, audit chain, row counts)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from muqeem.audit.chain import audit_seal_run
from muqeem.eservices.iqama_renewal.services import iqama_renew
from tests.factories import ResidentFactory

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump and pg_restore"),
]


def _server_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"


def _drill(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": _server_url()}
    return subprocess.run(  # noqa: S603 - fixed script
        [
            str(ROOT / "scripts" / "backup-drill"),
            "--source",
            connection.settings_dict["NAME"],
            *args,
        ],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_drill_restores_the_database_and_proves_the_copy(establishment, hr_officer):
    for i in range(2):
        resident = ResidentFactory(establishment=establishment)
        iqama_renew(
            actor=hr_officer,
            iqama_number=resident.iqama_number,
            period_months=12,
            idempotency_key=f"drill-{i}",
        )
    sealed = audit_seal_run(settle_seconds=0)
    connection.close()  # the drill's pg_dump needs no open transaction of ours

    result = _drill()

    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "PASS  migrations of the copy match the code" in out
    assert "PASS  the copy reconciles" in out
    assert f"OK: {sealed.head_seq} link(s) verified; head seq={sealed.head_seq}" in out
    assert "PASS  row counts of all" in out
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'muqeem_drill_%%'")
        assert cursor.fetchone()[0] == 0  # the copy was dropped


def test_the_drill_fails_on_a_copy_that_does_not_reconcile(establishment):
    # A balance that disagrees with the ledger, written behind the services' back.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE establishments_establishment SET balance_halalas = balance_halalas + 1 "
            "WHERE id = %s",
            [establishment.pk],
        )
    connection.close()
    result = _drill()
    out = result.stdout
    assert result.returncode == 1, out
    assert "FAIL  the copy reconciles" in out, out
    assert "establishment(s) whose balance differs from the ledger" in out, out
