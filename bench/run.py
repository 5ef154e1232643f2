"""`make bench`: seed a registry, serve it with gunicorn, load it with wrk, write docs/benchmarks.md.

    .venv/bin/python bench/run.py            # the full registry (1,000,000 residents), 3 runs
    .venv/bin/python bench/run.py --quick    # a small registry, 1 run, for development
    .venv/bin/python bench/run.py --tasks both   # the bulk renewal on the database backend and on
                                                 # RQ (two rqworker processes, the local Redis)

Every figure is measured against a bare reference served by the same gunicorn in the same run
(`config.bench_urls`): the renewal by API against the bare locked write, the resident by API against
the bare read. The machine is shared, so absolute figures move from run to run; the ratios are what
the targets are about. The database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/muqeem_bench, muqeem_bench_quick for --quick) is dropped and
created anew: its name must contain "bench". Every process started here (gunicorn, the task worker)
is stopped on the way out, whatever happens.

`--tasks rq` (or `both`) runs the bulk renewal on the RQ backend too: two `manage.py rqworker`
processes (`--rq-workers`) against the Redis database named by BENCH_REDIS_URL (default
redis://127.0.0.1:6379/13; only its "default" queue is emptied), the run's task enqueued once per
worker so that they take its rows between them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python")
LUA = str(ROOT / "bench" / "wrk" / "scenario.lua")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/muqeem_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


@dataclass
class Config:
    residents: int
    establishments: int
    big: int
    api_pool: int
    bulk_pool: int
    runs: int
    duration: int
    page_duration: int
    clients: int
    workers: int
    exports: int
    bulk_runs: int
    bulk_timeout: int
    port: int
    output: Path
    label: str
    # The bulk renewal's task backends ("db", "rq" or "both") and the RQ worker processes.
    tasks: str = "db"
    rq_workers: int = 2


FULL: dict[str, int] = {
    "residents": 1_000_000,
    "establishments": 20_000,
    "big": 100_000,
    "api_pool": 40_000,
    "bulk_pool": 10_000,
    "runs": 3,
    "duration": 15,
    "page_duration": 10,
    "exports": 3,
    "bulk_runs": 1,
    "bulk_timeout": 360,
}
QUICK: dict[str, int] = {
    "residents": 20_000,
    "establishments": 200,
    "big": 5_000,
    "api_pool": 2_000,
    "bulk_pool": 500,
    "runs": 1,
    "duration": 5,
    "page_duration": 4,
    "exports": 1,
    "bulk_runs": 1,
    "bulk_timeout": 180,
}


# --- processes ---------------------------------------------------------------------------------


class Processes:
    """The servers started here, each in its own process group, stopped on every way out."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, cmd: list[str], env: dict[str, str], log: Path
    ) -> subprocess.Popen[bytes]:
        handle = log.open("ab")
        proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop; killing it", flush=True)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()

    def stop_one(self, name: str) -> None:
        """Stop the process started under `name` (warm: a worker finishes its job first)."""
        for entry in [e for e in self.procs if e[0] == name]:
            _name, proc = entry
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    print(f"  {name} did not stop; killing it", flush=True)
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            self.procs.remove(entry)


def free_port() -> int:
    """A loopback port nobody listens on (other people run servers on this machine too)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(cmd: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, text=True, **kwargs)  # noqa: S603


# --- the database ------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database's name must say bench")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        # The deployment's settings that differ from PostgreSQL's defaults and matter to the
        # measured statements (docs/deploy.md §5), for this database only.
        conn.execute(f'ALTER DATABASE "{name}" SET jit = off')


def vacuum_if_autovacuum_off(url: str) -> str:
    """The load renewed tens of thousands of the big establishment's residents; the deployment's
    autovacuum (docs/deploy.md §5, and the residents table's 1 % threshold) would have vacuumed
    them within a minute, keeping the dashboard's index-only scans index-only. A server running
    with autovacuum off (as a shared development server may) gets that VACUUM here, before the
    in-process profile, and the report says so."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if str(conn.execute("SHOW autovacuum").fetchone()[0]) == "on":  # type: ignore[index]
            return ""
        started = time.perf_counter()
        print("Autovacuum is off on this server: vacuuming as it would have…", flush=True)
        conn.execute("VACUUM (ANALYZE)")
        return f"{time.perf_counter() - started:.0f} s"


def server_facts(url: str) -> dict[str, str]:
    import psycopg

    facts = {}
    with psycopg.connect(url) as conn:
        facts["version"] = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        for setting in (
            "shared_buffers",
            "work_mem",
            "max_connections",
            "synchronous_commit",
            "jit",
        ):
            facts[setting] = str(conn.execute(f"SHOW {setting}").fetchone()[0])  # type: ignore[index]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        facts["database_size"] = str(size.fetchone()[0])  # type: ignore[index]
    return facts


# --- HTTP --------------------------------------------------------------------------------------


def http(
    base: str,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 120,
) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310
        base + path, data=body, headers=headers or {}, method=method
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def wait_ready(base: str, number: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log}")
        try:
            status, _ = http(base, f"/bench/bare/read/{number}/", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer within 90 s; see {log}")


# --- scenarios ---------------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    title: str
    method: str
    path: str  # "{n}" is an iqama number from the pool
    pool: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    clients: int = 16
    reference: str | None = None  # key of the bare scenario it is measured against
    expect: int = 200
    walks_pool: bool = False  # each run takes fresh numbers (writes)


def scenarios(state: dict[str, Any], clients: int) -> list[Scenario]:
    key = state["api_key"]
    cookie = f"sessionid={state['session_cookie']}"
    api = {"Authorization": f"Bearer {key}", "Accept-Language": "en"}
    json_h = {**api, "Content-Type": "application/json"}
    return [
        Scenario(
            "bare_write",
            "Bare write (3-statement locked update)",
            "POST",
            "/bench/bare/write/{n}/",
            "big_any",
            clients=clients,
            expect=201,
        ),
        Scenario(
            "renewal_api",
            "Renewal by API (key, idempotency, rules, ledger, history, audit)",
            "POST",
            "/api/v1/iqama-renewals/",
            "api_renewal",
            headers=json_h,
            body='{"iqama_number": "{n}", "period_months": 3}',
            clients=clients,
            reference="bare_write",
            expect=201,
            walks_pool=True,
        ),
        Scenario(
            "bare_read",
            "Bare read (one indexed row)",
            "GET",
            "/bench/bare/read/{n}/",
            "big_any",
            clients=clients,
        ),
        Scenario(
            "resident_api",
            "Resident detail by API",
            "GET",
            "/api/v1/residents/{n}/",
            "big_any",
            headers=api,
            clients=clients,
            reference="bare_read",
        ),
        Scenario(
            "dashboard",
            f"Dashboard, {state['seed']['big']:,}-resident establishment (1 client)",
            "GET",
            "/",
            "big_any",
            headers={"Cookie": cookie},
            clients=1,
            reference="bare_read",
        ),
        Scenario(
            "residents_list",
            "Residents list page (1 client)",
            "GET",
            "/residents/",
            "big_any",
            headers={"Cookie": cookie},
            clients=1,
            reference="bare_read",
        ),
    ]


def wrk(  # noqa: PLR0917
    base: str,
    scenario: Scenario,
    pool_file: str,
    first: int,
    tag: str,
    duration: int,
) -> dict[str, Any]:
    threads = min(2, scenario.clients)
    cmd = [
        shutil.which("wrk") or "wrk",
        f"-t{threads}",
        f"-c{scenario.clients}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        LUA,
        base,
        "--",
        scenario.method,
        scenario.path,
        pool_file,
        str(first),
        tag,
        scenario.body,
        *[f"{k}: {v}" for k, v in scenario.headers.items()],
    ]
    env = {**os.environ, "BENCH_WRK_THREADS": str(threads)}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
            result["errors"] = sum(v for k, v in result.items() if k.startswith("errors_"))
            return result
    raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")


def preflight(base: str, scenario: Scenario, number: str) -> None:
    """One request by hand: the scenario answers what it should (not a redirect to the login)."""
    body = scenario.body.replace("{n}", number).encode() if scenario.body else None
    headers = {**scenario.headers, "Idempotency-Key": f"preflight-{time.time_ns()}"}
    status, content = http(
        base,
        scenario.path.replace("{n}", number),
        method=scenario.method,
        headers=headers,
        body=body,
    )
    if status != scenario.expect:
        raise SystemExit(
            f"{scenario.key}: expected {scenario.expect}, got {status}: {content[:600]!r}"
        )


# --- the export and the bulk run --------------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text()
    return [int(p) for p in children.split()]


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def export_xlsx(base: str, cookie: str, master: int) -> dict[str, Any]:
    """Download the residents export, sampling every gunicorn worker's RSS meanwhile: the growth of
    the worker serving it is the export's memory."""
    pids = worker_pids(master)
    before = {pid: rss_kib(pid) for pid in pids}
    peak = dict(before)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for pid in pids:
                peak[pid] = max(peak[pid], rss_kib(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    request = urllib.request.Request(  # noqa: S310
        base + "/residents/export.xlsx", headers={"Cookie": f"sessionid={cookie}"}
    )
    size = 0
    first_byte = None
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        status = response.status
        while chunk := response.read(1 << 16):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
    took = time.perf_counter() - started
    stop.set()
    sampler.join()
    growth = max(peak[p] - before[p] for p in pids)
    return {
        "status": status,
        "seconds": took,
        "first_byte_s": first_byte or took,
        "bytes": size,
        "rss_growth_mib": growth / 1024,
        "rss_peak_mib": max(peak.values()) / 1024,
    }


def bulk_seconds(b: dict[str, Any]) -> float:
    """The run's seconds, or its projection when the benchmark's time ran out first."""
    if b["complete"]:
        return float(b["run_s"])
    return float(b.get("run_projected_s") or b.get("validate_projected_s") or float("nan"))


def bulk_rate(b: dict[str, Any]) -> float:
    seconds = bulk_seconds(b)
    return b["rows"] / seconds if seconds else 0.0


def bulk_text(b: dict[str, Any]) -> str:
    if b["run_s"] is None:
        return (
            f"{b['rows']:,} rows; the dry run had checked {b['checked']:,} when the benchmark's "
            f"time ran out ({b['validate_s']:.0f} s; the whole dry run would take about "
            f"{b['validate_projected_s'] or 0:.0f} s)"
        )
    text = (
        f"{b['rows']:,} rows checked (dry run) in {b['validate_s']:.1f} s, "
        f"{b['done']:,} renewed and {b['failed']:,} failed in {b['run_s']:.1f} s"
    )
    if not b["complete"]:
        text += (
            f" when the benchmark's time ran out (the whole run would take about "
            f"{b['run_projected_s'] or 0:.0f} s)"
        )
    return text + f", {b['invalid']:,} refused by the check"


def bulk_run(
    cfg: Config, env: dict[str, str], state_path: Path, index: int, run_tasks: int = 1
) -> dict[str, Any]:
    out = run(
        [
            PYTHON,
            "bench/bulk.py",
            f"--state={state_path}",
            f"--run={index}",
            f"--timeout={cfg.bulk_timeout}",
            f"--run-tasks={run_tasks}",
        ],
        env,
        capture_output=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def rq_bulk(  # noqa: PLR0917
    cfg: Config, env: dict[str, str], var: Path, state_path: Path, procs: Processes, first: int
) -> list[dict[str, Any]]:
    """The bulk renewal on the RQ backend: `cfg.rq_workers` rqworker processes against the local
    Redis, the run's task enqueued once per worker. Stops the workers before returning."""
    import redis
    from rq import Queue, Worker

    url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.RedisError as exc:
        raise SystemExit(f"--tasks rq needs Redis at {url} (BENCH_REDIS_URL): {exc}") from exc
    Queue("default", connection=connection).empty()
    rq_env = {**env, "TASKS_BACKEND": "rq", "RQ_REDIS_URL": url}
    names = [f"bench-{os.getpid()}-{n + 1}" for n in range(cfg.rq_workers)]
    for n, name in enumerate(names):
        procs.start(
            name,
            [PYTHON, "manage.py", "rqworker", "default", "--with-scheduler", "--name", name],
            rq_env,
            var / f"rqworker-{n + 1}.log",
        )
    deadline = time.monotonic() + 60
    while not set(names) <= {w.name for w in Worker.all(connection=connection)}:
        if time.monotonic() > deadline:
            raise SystemExit(f"the RQ workers did not start within 60 s; see {var}/rqworker-*.log")
        time.sleep(0.2)
    print(f"{cfg.rq_workers} RQ workers are up ({url})", flush=True)
    results = []
    for index in range(cfg.bulk_runs):
        result = bulk_run(cfg, rq_env, state_path, first + index, run_tasks=cfg.rq_workers)
        result["workers"] = cfg.rq_workers
        results.append(result)
        print(f"  bulk on RQ {index + 1}/{cfg.bulk_runs}: {bulk_text(result)}", flush=True)
    for name in names:
        procs.stop_one(name)
    return results


# --- the report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small registry, one run")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--duration", type=int, help="seconds per load run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "4")))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "0")))
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database (dev)")
    parser.add_argument(
        "--no-probe", action="store_true", help="with --report-only: keep the stored profile"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="profile again and rewrite the report from the last run's measurements",
    )
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--tasks",
        choices=["db", "rq", "both"],
        default=os.environ.get("BENCH_TASKS", "db"),
        help="the bulk renewal's task backend: the database (db_worker), RQ (rqworker), or both",
    )
    parser.add_argument(
        "--rq-workers", type=int, default=2, help="rqworker processes for the RQ bulk renewal"
    )
    args = parser.parse_args()
    preset = QUICK if args.quick else FULL
    cfg = Config(
        **{
            **preset,
            "runs": args.runs or preset["runs"],
            "duration": args.duration or preset["duration"],
        },
        clients=args.clients,
        workers=args.workers,
        port=args.port or free_port(),
        output=args.output
        or ROOT / ("var/bench-quick/benchmarks.md" if args.quick else "docs/benchmarks.md"),
        label="quick" if args.quick else "full",
        tasks=args.tasks,
        rq_workers=args.rq_workers,
    )
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL + ("_quick" if args.quick else ""))
    var = ROOT / "var" / ("bench-quick" if args.quick else "bench")
    var.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "MUQEEM_VAR_DIR": str(var),
        "SMS_BACKEND": "file",
        "PYTHONPATH": str(ROOT),
    }
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench installs it: apt-get install -y wrk)")
    host = machine()
    host["measured_at"] = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    host["cache"] = (
        "Redis (REDIS_URL), shared by every process"
        if os.environ.get("REDIS_URL")
        else "per-process memory (REDIS_URL not set): each worker has its own figures cache"
    )
    print(f"Benchmark ({cfg.label}) on {host['nproc']} cores, {host['memory']}; database {url}")
    state_path = var / "state.json"
    procs = Processes()
    started_all = time.perf_counter()

    def on_signal(signum: int, _frame: Any) -> None:
        procs.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.report_only:
        report_again(cfg, var, state_path, env, probe=not args.no_probe)
        return
    try:
        if not (args.reuse and state_path.exists()):
            print("Creating the database…", flush=True)
            recreate_database(url)
            run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
            run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
            seed_started = time.perf_counter()
            run(
                [
                    PYTHON,
                    "bench/seed.py",
                    f"--residents={cfg.residents}",
                    f"--establishments={cfg.establishments}",
                    f"--big={cfg.big}",
                    f"--api-pool={cfg.api_pool}",
                    f"--bulk-pool={cfg.bulk_pool}",
                    f"--state={state_path}",
                ],
                env,
            )
            seed_seconds = time.perf_counter() - seed_started
            state = json.loads(state_path.read_text())
            state["seed"]["wall_seconds"] = round(seed_seconds, 1)
            state["api_used"] = 0
            state_path.write_text(json.dumps(state, indent=2))
        state = json.loads(state_path.read_text())
        pg = server_facts(url)
        pools = {name: Path(p).read_text().split() for name, p in state["pools"].items()}

        base = f"http://127.0.0.1:{cfg.port}"
        log = var / "gunicorn.log"
        server = procs.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                f"--workers={cfg.workers}",
                f"--bind=127.0.0.1:{cfg.port}",
                "--backlog=2048",
                "--timeout=600",
                "--graceful-timeout=5",
                "--log-level=warning",
            ],
            env,
            log,
        )
        task_worker = "task worker"
        procs.start(
            task_worker,
            [
                PYTHON,
                "manage.py",
                "db_worker",
                "--queue-name",
                "default",
                "--no-reload",
                "--interval",
                "0.2",
            ],
            env,
            var / "worker.log",
        )
        wait_ready(base, pools["big_any"][0], server, log)
        print(f"gunicorn ({cfg.workers} sync workers) and the task worker are up", flush=True)

        all_scenarios = scenarios(state, cfg.clients)
        for sc in all_scenarios:
            number = pools[sc.pool][-1]  # the last of each pool is kept for these checks
            preflight(base, sc, number)
            if sc.walks_pool:
                pools[sc.pool].pop()
        results: dict[str, list[dict[str, Any]]] = {sc.key: [] for sc in all_scenarios}
        run_tag = datetime.now(UTC).strftime("%H%M%S")
        api_used = int(state.get("api_used", 0))
        # Warm every worker (imports, template loading, connections) before measuring.
        for sc in all_scenarios:
            if not sc.walks_pool:
                wrk(base, sc, state["pools"][sc.pool], 0, f"warm{run_tag}", 2)
        for index in range(cfg.runs):
            for sc in all_scenarios:
                first = 0
                if sc.walks_pool:
                    first = api_used
                duration = cfg.duration if sc.clients > 1 else cfg.page_duration
                result = wrk(
                    base, sc, state["pools"][sc.pool], first, f"r{run_tag}{index}", duration
                )
                if sc.walks_pool:
                    api_used += result["requests"] + 64
                results[sc.key].append(result)
                print(
                    f"  run {index + 1}/{cfg.runs} {sc.key:15} {result['rps']:8.1f} req/s  "
                    f"p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
                    f"errors {result['errors']}",
                    flush=True,
                )
        state["api_used"] = api_used
        state_path.write_text(json.dumps(state, indent=2))
        if api_used >= len(pools["api_renewal"]):
            print("  note: the renewal pool wrapped; later requests renewed residents again")

        exports = []
        for index in range(cfg.exports):
            result = export_xlsx(base, state["session_cookie"], server.pid)
            exports.append(result)
            print(
                f"  export {index + 1}/{cfg.exports}: {result['seconds']:.1f} s, "
                f"{result['bytes'] / 2**20:.1f} MiB, worker RSS +{result['rss_growth_mib']:.0f} MiB",
                flush=True,
            )

        bulk = []
        if cfg.tasks in {"db", "both"}:
            for index in range(cfg.bulk_runs):
                result = bulk_run(cfg, env, state_path, index)
                bulk.append(result)
                print(f"  bulk {index + 1}/{cfg.bulk_runs}: {bulk_text(result)}", flush=True)
        bulk_rq: list[dict[str, Any]] = []
        if cfg.tasks in {"rq", "both"}:
            # The database backend's worker stops first (finishing its job), so that the RQ
            # workers have the machine to themselves; each RQ run renews from a file of its own.
            procs.stop_one(task_worker)
            bulk_rq = rq_bulk(cfg, env, var, state_path, procs, first=cfg.bulk_runs)
        procs.stop()

        pg["vacuumed"] = vacuum_if_autovacuum_off(url)
        print("Counting queries and profiling in-process…", flush=True)
        out = run([PYTHON, "bench/probe.py", f"--state={state_path}"], env, capture_output=True)
        profile = json.loads(out.stdout.strip().splitlines()[-1])

        report = render(
            cfg, host, pg, state, all_scenarios, results, exports, bulk, profile, bulk_rq
        )
        cfg.output.parent.mkdir(parents=True, exist_ok=True)
        cfg.output.write_text(report)
        measured = {"results": results, "exports": exports, "bulk": bulk, "profile": profile}
        measured["bulk_rq"] = bulk_rq
        measured |= {"host": host, "pg": pg, "cfg": {**vars(cfg), "output": str(cfg.output)}}
        (var / "results.json").write_text(json.dumps(measured, indent=2))
        print(f"Wrote {cfg.output} in {(time.perf_counter() - started_all) / 60:.1f} min")
    finally:
        procs.stop()


def report_again(
    cfg: Config, var: Path, state_path: Path, env: dict[str, str], *, probe: bool = True
) -> None:
    """Profile the seeded database again and rewrite the report from the stored measurements."""
    measured = json.loads((var / "results.json").read_text())
    state = json.loads(state_path.read_text())
    url = env["DATABASE_URL"]
    host = measured.get("host") or {**machine(), "load_before": "not recorded"}
    pg = measured.get("pg") or server_facts(url)
    if "cfg" in measured:
        stored = measured["cfg"]
        cfg = Config(**{**stored, "output": Path(stored["output"])})
    if probe:
        pg["vacuumed"] = vacuum_if_autovacuum_off(url)
        out = run([PYTHON, "bench/probe.py", f"--state={state_path}"], env, capture_output=True)
        profile = json.loads(out.stdout.strip().splitlines()[-1])
        host["profiled_at"] = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    else:
        profile = measured["profile"]
    all_scenarios = scenarios(state, cfg.clients)
    report = render(
        cfg,
        host,
        pg,
        state,
        all_scenarios,
        measured["results"],
        measured["exports"],
        measured["bulk"],
        profile,
        measured.get("bulk_rq", []),
    )
    cfg.output.write_text(report)
    measured["profile"] = profile
    measured["host"] = host
    (var / "results.json").write_text(json.dumps(measured, indent=2))
    print(f"Rewrote {cfg.output}")


# --- rendering ---------------------------------------------------------------------------------


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def render(  # noqa: PLR0917, PLR0915
    cfg: Config,
    host: dict[str, str],
    pg: dict[str, str],
    state: dict[str, Any],
    all_scenarios: list[Scenario],
    results: dict[str, list[dict[str, Any]]],
    exports: list[dict[str, Any]],
    bulk: list[dict[str, Any]],
    profile: dict[str, Any],
    bulk_rq: list[dict[str, Any]] | None = None,
) -> str:
    by_key = {sc.key: sc for sc in all_scenarios}
    med: dict[str, dict[str, float]] = {}
    for key, runs in results.items():
        med[key] = {m: median([r[m] for r in runs]) for m in ("rps", "p50_ms", "p99_ms")}
        med[key]["errors"] = sum(r["errors"] for r in runs)
        med[key]["requests"] = sum(r["requests"] for r in runs)

    def ratio(key: str) -> float | None:
        ref = by_key[key].reference
        if ref is None:
            return None
        # The ratio of each run to its own reference, then the median of those.
        return median(
            [a["rps"] / b["rps"] for a, b in zip(results[key], results[ref], strict=True)]
        )

    seed = state["seed"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench{'-quick' if cfg.label == 'quick' else ''}` "
        f"(started {host.get('measured_at', 'at a time not recorded')}"
        + (f"; profile re-run {host['profiled_at']}" if host.get("profiled_at") else "")
        + "). "
        "How it works and what the figures mean: [performance.md](performance.md).",
        "",
        "## Machine",
        "",
        f"* {host['nproc']} cores ({host['cpu']}), {host['memory']} memory, Linux {host['kernel']}, "
        f"Python {host['python']}; load average before the run {host['load_before']} "
        "(the machine is shared: other work ran during the measurement)",
        f"* PostgreSQL {pg['version']} on the same machine (shared_buffers {pg['shared_buffers']}, "
        f"work_mem {pg['work_mem']}, synchronous_commit {pg['synchronous_commit']}, "
        f"jit {pg.get('jit', 'on')}"
        + (
            f"; autovacuum off on this server, so the database was vacuumed ({pg['vacuumed']}) "
            "before the in-process profile, as autovacuum would have"
            if pg.get("vacuumed")
            else ""
        )
        + "); "
        f"benchmark database {pg['database_size']}",
        f"* gunicorn {cfg.workers} sync workers, persistent connections (CONN_MAX_AGE 600, health "
        "checks), `config.settings.bench` (production settings on loopback HTTP); the task worker "
        "(`db_worker`) running throughout; wrk on the same machine; cache: "
        + host.get("cache", "per-process memory (REDIS_URL not set)"),
        "",
        "## Registry",
        "",
        f"{seed['residents']:,} residents across {seed['establishments']:,} establishments "
        f"({seed['big']:,} in the big one), {seed['visas']:,} exit and re-entry visas with their "
        f"requests, events and ledger charges, one history entry per resident, a ledger top-up per "
        f"establishment; generated (COPY and INSERT … SELECT) in **{seed['wall_seconds']:.0f} s** (seeding "
        f"{seed['timings']['total']:.0f} s, of which "
        + ", ".join(
            f"{k} {v:.0f} s" for k, v in seed["timings"].items() if k not in ("total", "copy_total")
        )
        + ") plus migrate and collectstatic.",
        "",
        f"## Results (median of {cfg.runs} run{'s' if cfg.runs > 1 else ''})",
        "",
        f"Throughput scenarios: {cfg.clients} concurrent clients (wrk, 2 threads), "
        f"{cfg.duration} s per run; page scenarios: 1 client, {cfg.page_duration} s per run, so "
        "their latency is the server time. Errors are connection errors, timeouts and HTTP "
        "statuses ≥ 400, summed over the runs.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | errors | requests | ratio to bare | queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for sc in all_scenarios:
        m = med[sc.key]
        r = ratio(sc.key)
        ref = (
            f"{r * 100:.0f} % of {(sc.reference or '').replace('_', ' ')}" if r is not None else "—"
        )
        queries = profile.get("queries", {}).get(sc.key, "")
        lines.append(
            f"| {sc.title} | {fmt(m['rps'])} | {fmt(m['p50_ms'])} | {fmt(m['p99_ms'])} | "
            f"{int(m['errors'])} | {int(m['requests']):,} | {ref} | {queries} |"
        )
    if exports:
        e_med = median([e["seconds"] for e in exports])
        growth = max(e["rss_growth_mib"] for e in exports)
        lines.append(
            f"| .xlsx export of {seed['big']:,} residents | — | {fmt(e_med * 1000, 0)} | "
            f"{fmt(max(e['seconds'] for e in exports) * 1000, 0)} (max) | "
            f"{sum(e['status'] != 200 for e in exports)} | {len(exports)} | — | "
            f"{profile.get('queries', {}).get('export', '')} |"
        )
    if bulk:
        lines.append(
            f"| Bulk renewal of {bulk[0]['rows']:,} rows (worker) | "
            f"{fmt(median([bulk_rate(b) for b in bulk]))} rows/s | — | — | "
            f"{sum(b['failed'] for b in bulk)} | {sum(b['done'] for b in bulk):,} | — | "
            f"{profile.get('queries', {}).get('bulk_row', '')} per row |"
        )
    bulk_rq = bulk_rq or []
    if bulk_rq:
        lines.append(
            f"| Bulk renewal of {bulk_rq[0]['rows']:,} rows (RQ, {bulk_rq[0]['workers']} "
            f"workers) | {fmt(median([bulk_rate(b) for b in bulk_rq]))} rows/s | — | — | "
            f"{sum(b['failed'] for b in bulk_rq)} | {sum(b['done'] for b in bulk_rq):,} | — | "
            f"{profile.get('queries', {}).get('bulk_row', '')} per row |"
        )
    lines += ["", "Per run (req/s):", ""]
    lines.append("| scenario | " + " | ".join(f"run {i + 1}" for i in range(cfg.runs)) + " |")
    lines.append("| --- |" + " ---: |" * cfg.runs)
    for sc in all_scenarios:
        lines.append(f"| {sc.key} | " + " | ".join(fmt(r["rps"]) for r in results[sc.key]) + " |")
    if exports:
        lines += [
            "",
            "Export runs: "
            + "; ".join(
                f"{e['seconds']:.1f} s ({e['bytes'] / 2**20:.1f} MiB, first byte after "
                f"{e['first_byte_s']:.1f} s, serving worker RSS +{e['rss_growth_mib']:.0f} MiB, "
                f"peak {e['rss_peak_mib']:.0f} MiB)"
                for e in exports
            ),
        ]
    if bulk:
        lines += ["", "Bulk runs: " + "; ".join(bulk_text(b) for b in bulk) + "."]
    if bulk_rq:
        lines += [
            "",
            f"Bulk runs on the RQ backend ({bulk_rq[0]['workers']} `rqworker` processes against "
            "the local Redis, the database backend's worker stopped; the run's task enqueued once "
            "per worker, so that they take its rows between them): "
            + "; ".join(bulk_text(b) for b in bulk_rq)
            + ".",
        ]
    else:
        lines += [
            "",
            "The bulk renewal on the RQ backend (two `rqworker` processes against the local "
            'Redis) is measured with `--tasks both` (`make bench BENCH_ARGS="--tasks both"`); '
            "not in this run.",
        ]

    # Targets.
    def verdict(ok: bool, measured: float = 0, target: float = 0, higher: bool = False) -> str:
        if ok:
            return "**met**"
        if not target or not measured:
            return "**missed**"
        factor = target / measured if higher else measured / target
        return f"**missed** ({factor:.1f}× off)"

    lines += [
        "",
        "## Targets",
        "",
        "Why a target is missed and what would close it: [performance.md §2](performance.md#2-results-against-the-targets).",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
    ]
    r_renew = ratio("renewal_api") or 0
    rn = med["renewal_api"]
    lines.append(
        f"| renewal by API ≥ 50 % of the bare write's req/s | {r_renew * 100:.0f} % | "
        f"{verdict(r_renew >= 0.5, r_renew, 0.5, higher=True)} |"
    )
    lines.append(
        f"| renewal by API p99 ≤ 100 ms at {cfg.clients} clients | {fmt(rn['p99_ms'])} ms | "
        f"{verdict(rn['p99_ms'] <= 100, rn['p99_ms'], 100)} |"
    )
    lines.append(
        f"| renewal by API: 0 errors | {int(rn['errors'])} | {verdict(rn['errors'] == 0)} |"
    )
    r_read = ratio("resident_api") or 0
    lines.append(
        f"| resident detail by API ≥ 60 % of the bare read | {r_read * 100:.0f} % | "
        f"{verdict(r_read >= 0.6, r_read, 0.6, higher=True)} |"
    )
    d = med["dashboard"]["p50_ms"]
    lines.append(
        f"| dashboard of the {seed['big']:,}-resident establishment ≤ 100 ms | {fmt(d)} ms (p50) | "
        f"{verdict(d <= 100, d, 100)} |"
    )
    cold = profile.get("plain_ms", {}).get("dashboard_cold")
    profiled = profile.get("timings_ms", {}).get("dashboard_cold")
    if cold is not None:
        lines.append(
            f"| the same, figures computed (first view after a change; in-process, median of 15, "
            f"no other request) ≤ 100 ms | {fmt(cold)} ms ({fmt(profiled or 0)} ms under cProfile), "
            f"{profile['queries'].get('dashboard_cold', '')} queries | "
            f"{verdict(cold <= 100, cold, 100)} |"
        )
    lst = med["residents_list"]["p50_ms"]
    lines.append(
        f"| residents list page ≤ 50 ms | {fmt(lst)} ms (p50) | {verdict(lst <= 50, lst, 50)} |"
    )
    if bulk:
        b = median([bulk_seconds(x) for x in bulk])
        projected = " (projected from the rate)" if not all(x["complete"] for x in bulk) else ""
        lines.append(
            f"| bulk renewal of {bulk[0]['rows']:,} rows ≤ 30 s | {fmt(b)} s{projected}, "
            f"after a dry run of {fmt(median([x['validate_s'] for x in bulk]))} s | "
            f"{verdict(b <= 30, b, 30)} |"
        )
    if bulk_rq:
        b = median([bulk_seconds(x) for x in bulk_rq])
        projected = " (projected from the rate)" if not all(x["complete"] for x in bulk_rq) else ""
        lines.append(
            f"| the same on RQ with {bulk_rq[0]['workers']} workers ≤ 30 s | {fmt(b)} s"
            f"{projected}, after a dry run of {fmt(median([x['validate_s'] for x in bulk_rq]))} s "
            f"| {verdict(b <= 30, b, 30)} |"
        )
    if exports:
        e = median([x["seconds"] for x in exports])
        growth = max(x["rss_growth_mib"] for x in exports)
        lines.append(
            f"| .xlsx export of {seed['big']:,} residents ≤ 20 s, memory flat | {fmt(e)} s, "
            f"worker RSS +{growth:.0f} MiB | {verdict(e <= 20 and growth < 100, e, 20)} |"
        )
    if cfg.label == "quick":
        lines += [
            "",
            "_A quick run on a small registry: the targets are about the full registry._",
        ]
    if profile.get("notes"):
        lines += ["", "## Where the time goes (in-process profile)", ""]
        lines += profile["notes"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
