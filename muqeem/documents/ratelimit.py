"""A fixed-window request counter in the cache, shared by every web process once the cache is
Redis (ARCHITECTURE.md, scaling out); per process with the local-memory default."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(bucket: str, *, limit: int, period_seconds: int) -> bool:
    """Count one hit on `bucket`; False once more than `limit` hits fall in the current window."""
    window = int(time.time()) // period_seconds
    key = f"ratelimit:{bucket}:{window}"
    # add() is a no-op when the key exists, so concurrent first hits cannot reset each other.
    cache.add(key, 0, timeout=period_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=period_seconds + 1)
        count = 1
    return count <= limit
