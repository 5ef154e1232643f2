"""Running service calls at the same instant from several threads (PostgreSQL tests)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from django.db import connection

from muqeem.core.errors import DomainError


def race(*calls: Callable[[], object]) -> Counter[str]:
    """Start every call together (a barrier) on its own thread and connection; count outcomes:
    "done", "replayed" (a result with `replayed=True`), or the refusal's code — the violations'
    codes, comma-joined, for an eligibility refusal."""
    barrier = threading.Barrier(len(calls))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            result = call()
            outcome = "replayed" if getattr(result, "replayed", False) else "done"
        except DomainError as exc:
            outcome = ",".join(str(v.code) for v in exc.violations) or str(exc.code)
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
