"""The per-key budget keeps DRF's sliding window; only the stored form of its history changed (an
array of doubles, cheap to pickle however full the window)."""

from __future__ import annotations

import time
from array import array

import pytest
from django.core.cache import cache
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _rest(rate):
    from django.conf import settings

    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": rate}}


def _cache_key(client) -> str:
    return f"throttle_api_key_{client.api_key.pk}"


def test_the_history_is_stored_as_an_array_of_timestamps(make_client):
    client = make_client()
    with override_settings(REST_FRAMEWORK=_rest("5/min")):
        for _i in range(3):
            assert client.get("/api/v1/balance/").status_code == 200
    history = cache.get(_cache_key(client))
    assert isinstance(history, array)
    assert history.typecode == "d"
    assert len(history) == 3
    assert list(history) == sorted(history, reverse=True)  # newest first, as DRF keeps it


def test_a_history_stored_as_a_list_still_counts(make_client):
    client = make_client()
    now = time.time()
    # Two recent requests and one outside the window, in DRF's own (list) form.
    cache.set(_cache_key(client), [now - 1, now - 2, now - 120], 60)
    with override_settings(REST_FRAMEWORK=_rest("3/min")):
        assert client.get("/api/v1/balance/").status_code == 200
        limited = client.get("/api/v1/balance/")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert len(cache.get(_cache_key(client))) == 3
