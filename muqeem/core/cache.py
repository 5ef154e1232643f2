"""Short-lived caches of figures that are costly to compute for a large establishment.

Each establishment has a generation number in the cache; cached figures are keyed by it, and a
transaction of the establishment bumps it when it commits (`establishment_data_changed`), so an
officer sees their own transactions at once. Changes that do not go through a service request (a
border crossing, agency data, the daily job) show within the time-to-live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


def _generation_key(establishment_id: int) -> str:
    return f"est-gen:{establishment_id}"


def establishment_data_changed(establishment_id: int) -> None:
    """Call inside the transaction that changes the establishment's data; bumps on commit."""

    def bump() -> None:
        key = _generation_key(establishment_id)
        try:
            cache.incr(key)
        except ValueError:  # no generation yet (or evicted): any new value invalidates
            cache.set(key, 1, timeout=None)

    transaction.on_commit(bump)


def establishment_cached(
    establishment_id: int, name: str, compute: Callable[[], T], *, timeout: int | None = None
) -> T:
    """`compute()`'s result, cached per establishment and generation for `timeout` seconds
    (`FIGURES_CACHE_SECONDS` by default; 0 disables caching)."""
    seconds = settings.FIGURES_CACHE_SECONDS if timeout is None else timeout
    if seconds <= 0:
        return compute()
    generation = cache.get(_generation_key(establishment_id), 0)
    key = f"est-fig:{establishment_id}:{generation}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=seconds)
    return value
