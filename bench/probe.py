"""Where the time of each benchmark scenario goes, measured in-process (no server, no other load):
queries per request, time in SQL versus the rest, the slowest statements, and a cProfile of the
request (written to var/bench*/profile-<scenario>.txt).

Run by bench/run.py after the load, against the same database, with `config.settings.bench`.
Prints one JSON line: {"queries": {scenario: count}, "notes": [markdown lines]}."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from muqeem.accounts.models import User  # noqa: E402
from muqeem.bulk.models import BatchStatus, BulkBatch  # noqa: E402
from muqeem.bulk.services import (  # noqa: E402
    bulk_batch_confirm,
    bulk_batch_execute,
    bulk_batch_upload,
    bulk_batch_validate,
)


def _short(sql: str, limit: int = 160) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def locks_establishment(sql: str) -> bool:
    """Whether a statement takes the establishment's row lock: an UPDATE of the establishments
    table (the balance debit), or a SELECT … FOR [NO KEY] UPDATE whose lock covers it (no `OF`, or an
    `OF` naming it or the bare write's alias `e`)."""
    s = " ".join(sql.upper().replace('"', "").split())
    if s.startswith("UPDATE ESTABLISHMENTS_ESTABLISHMENT "):
        return True
    if " FOR UPDATE" not in s and " FOR NO KEY UPDATE" not in s:
        return False
    tail = s.rsplit(" FOR ", 1)[1]
    if " OF " not in tail:
        return "ESTABLISHMENTS_ESTABLISHMENT" in s
    names = {n.strip() for n in tail.split(" OF ", 1)[1].split(",")}
    return bool(names & {"ESTABLISHMENTS_ESTABLISHMENT", "E"})


class Timeline:
    """Each statement's start and end (perf_counter), to see how long a lock is held."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, str]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((started, time.perf_counter(), sql))

    def lock_hold(self, locks: Callable[[str], bool]) -> float | None:
        """Seconds from the start of the first statement `locks` picks to the end of the COMMIT
        that follows it."""
        start = next((s for s, _e, sql in self.rows if locks(sql)), None)
        if start is None:
            return None
        end = next((e for s, e, sql in self.rows if s >= start and sql.startswith("COMMIT")), None)
        return None if end is None else end - start


class Probe:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.queries: dict[str, Any] = {}
        self.notes: list[str] = []
        self.lock_holds: dict[str, float] = {}
        self.timings: dict[str, float] = {}
        self.plain: dict[str, float] = {}

    def measure(  # noqa: PLR0915, PLR0917
        self,
        key: str,
        title: str,
        call: Callable[[int], Any],
        repeat: int,
        warm: int = 1,
        plain_repeat: int = 0,
    ) -> None:
        """Profile `repeat` calls (cProfile, every statement captured and timed); then, with
        `plain_repeat`, time that many more with nothing attached, whose median is the server
        time the profile inflates."""
        for i in range(warm):
            call(10_000 + i)
        if plain_repeat:
            times = []
            for i in range(plain_repeat):
                started = time.perf_counter()
                call(20_000 + i)
                times.append(time.perf_counter() - started)
            self.plain[key] = round(sorted(times)[len(times) // 2] * 1000, 1)
        profiler = cProfile.Profile()
        total_queries = 0
        sql_seconds = 0.0
        slowest: list[tuple[float, str]] = []
        started = time.perf_counter()
        holds: list[float] = []
        for i in range(repeat):
            timeline = Timeline()
            # COMMIT does not pass through execute wrappers: time it where Django sends it.
            plain_commit = connection._commit  # type: ignore[attr-defined]

            def timed_commit(timeline: Timeline = timeline, plain: Any = plain_commit) -> Any:
                started = time.perf_counter()
                try:
                    return plain()
                finally:
                    timeline.rows.append((started, time.perf_counter(), "COMMIT"))

            connection._commit = timed_commit  # type: ignore[attr-defined]
            try:
                with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timeline):
                    profiler.enable()
                    call(i)
                    profiler.disable()
            finally:
                del connection._commit  # type: ignore[attr-defined]
            # From the statement that locks the establishment's row (the balance debit, last in the
            # house lock order of ADR 0004) to the COMMIT.
            hold = timeline.lock_hold(locks_establishment)
            if hold is not None:
                holds.append(hold)
            if i == 0:
                (self.out_dir / f"queries-{key}.txt").write_text(
                    "\n".join(f"{q['time']}s  {q['sql']}" for q in ctx.captured_queries) + "\n"
                )
            total_queries += len(ctx.captured_queries)
            for q in ctx.captured_queries:
                seconds = float(q["time"])
                sql_seconds += seconds
                slowest.append((seconds, q["sql"]))
        wall = time.perf_counter() - started
        per_request = wall / repeat
        self.queries[key] = round(total_queries / repeat, 1)
        self.timings[key] = round(per_request * 1000, 1)
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        (self.out_dir / f"profile-{key}.txt").write_text(stream.getvalue())
        own = _top_own(profiler)
        slowest.sort(reverse=True)
        seen: set[str] = set()
        top_sql = []
        for seconds, sql in slowest:
            shape = _short(sql, 80)
            if shape in seen:
                continue
            seen.add(shape)
            top_sql.append(f"{seconds * 1000:.1f} ms `{_short(sql)}`")
            if len(top_sql) == 3:
                break
        lock = ""
        if holds:
            held = sorted(holds)[len(holds) // 2]
            self.lock_holds[key] = held
            lock = f" The establishment row stays locked {held * 1000:.1f} ms (median) per request."
        self.notes += [
            f"**{title}** — {per_request * 1000:.1f} ms per request in-process under cProfile, "
            f"{total_queries / repeat:.1f} queries, {sql_seconds / repeat * 1000:.1f} ms in SQL "
            f"({sql_seconds / wall * 100:.0f} %), the rest in Python "
            f"(cProfile in `{self.out_dir.name}/profile-{key}.txt`, statements in "
            f"`queries-{key}.txt`).{lock}",
            "",
            "* slowest statements: " + "; ".join(top_sql),
            "* most own time: " + ", ".join(own),
            "",
        ]


def _top_own(profiler: cProfile.Profile, count: int = 6) -> list[str]:
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename.split("site-packages/")[-1].split("/work/main/")[-1]
        rows.append((tottime, f"`{short}:{line}({name})` {tottime * 1000:.0f} ms"))
    rows.sort(reverse=True)
    return [r[1] for r in rows[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args()
    state = json.loads(args.state.read_text())
    pools = {name: Path(p).read_text().split() for name, p in state["pools"].items()}
    probe = Probe(args.state.parent)
    api = Client(
        HTTP_HOST="127.0.0.1",
        HTTP_AUTHORIZATION=f"Bearer {state['api_key']}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    portal = Client(HTTP_HOST="127.0.0.1")
    portal.cookies["sessionid"] = state["session_cookie"]
    any_resident = pools["big_any"]
    # Renewals take residents from the end of the API pool (the load takes them from the start).
    spare = iter(reversed(pools["api_renewal"][:-1]))

    def expect(response: Any, status: int) -> None:
        if response.status_code != status:
            raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")

    probe.measure(
        "bare_write",
        "Bare write",
        lambda i: expect(api.post(f"/bench/bare/write/{any_resident[i % 5000]}/"), 201),
        repeat=50,
    )
    probe.measure(
        "renewal_api",
        "Renewal by API",
        lambda i: expect(
            api.post(
                "/api/v1/iqama-renewals/",
                data={"iqama_number": next(spare), "period_months": 3},
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"profile-{time.time_ns()}",
            ),
            201,
        ),
        repeat=40,
    )
    probe.measure(
        "bare_read",
        "Bare read",
        lambda i: expect(api.get(f"/bench/bare/read/{any_resident[i % 5000]}/"), 200),
        repeat=50,
    )
    probe.measure(
        "resident_api",
        "Resident detail by API",
        lambda i: expect(api.get(f"/api/v1/residents/{any_resident[i % 5000]}/"), 200),
        repeat=50,
    )
    probe.measure(
        "dashboard", "Dashboard (figures cached)", lambda i: expect(portal.get("/"), 200), repeat=5
    )
    with override_settings(FIGURES_CACHE_SECONDS=0):
        probe.measure(
            "dashboard_cold",
            "Dashboard (figures computed: the first view after a change)",
            lambda i: expect(portal.get("/"), 200),
            repeat=3,
            plain_repeat=15,
        )
    probe.measure(
        "residents_list",
        "Residents list page",
        lambda i: expect(portal.get("/residents/"), 200),
        repeat=10,
    )

    def export(_i: int) -> None:
        response = portal.get("/residents/export.xlsx")
        expect(response, 200)
        if response.streaming:
            for _chunk in getattr(response, "streaming_content", []):
                pass

    probe.measure("export", "Residents .xlsx export", export, repeat=1, warm=0)

    officer = User.objects.get(pk=state["officer_id"])
    rows = 50
    numbers = pools["bulk_renewal"][:rows]
    data = "operation,iqama_number,months\n" + "".join(f"renew_iqama,{n},3\n" for n in numbers)
    data += f"\n\n\n{time.time_ns() % 1000 * chr(10)}"

    def bulk(_i: int) -> None:
        body = data.encode()
        batch = bulk_batch_upload(
            actor=officer, filename="profile.csv", size=len(body), content=io.BytesIO(body)
        )
        bulk_batch_validate(batch_id=batch.pk)
        bulk_batch_confirm(actor=officer, batch_id=batch.pk)
        bulk_batch_execute(batch_id=batch.pk)
        done = BulkBatch.objects.get(pk=batch.pk)
        if done.status != BatchStatus.DONE:
            raise SystemExit(f"profile batch ended {done.status}")

    probe.measure("bulk_batch", f"Bulk renewal of {rows} rows (validate + run)", bulk, 1, 0)
    probe.queries["bulk_row"] = round(probe.queries["bulk_batch"] / rows, 1)
    # The worker would pick up the tasks the in-process run enqueued; they have nothing left to do.
    print(
        json.dumps(
            {
                "queries": probe.queries,
                "timings_ms": probe.timings,
                "plain_ms": probe.plain,
                "lock_holds": probe.lock_holds,
                "notes": probe.notes,
            }
        )
    )


if __name__ == "__main__":
    main()
