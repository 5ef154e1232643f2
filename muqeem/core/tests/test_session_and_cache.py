"""Session timeouts (idle and absolute) and the shared rate-limit cache."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse

from muqeem.accounts.security_code import SESSION_FLAG
from tests.factories import UserFactory

START = datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("Asia/Riyadh"))


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pause_minutes", "logged_out"),
    [(29, False), (31, True)],
)
def test_idle_sessions_end_after_30_minutes(establishment, pause_minutes, logged_out):
    user = UserFactory(establishment=establishment, is_main_user=True)
    with time_machine.travel(START, tick=False):
        client = _logged_in(user)
        assert client.get(reverse("web:home")).status_code == 200
    with time_machine.travel(START + timedelta(minutes=pause_minutes), tick=False):
        response = client.get(reverse("web:home"))
    if logged_out:
        assert response.status_code == 302
        assert reverse("accounts:login") in response.url
        follow = client.get(reverse("web:home"))
        assert follow.status_code == 302  # the session is gone, not just this request
    else:
        assert response.status_code == 200


@pytest.mark.django_db
def test_an_active_session_still_ends_12_hours_after_login(establishment):
    user = UserFactory(establishment=establishment, is_main_user=True)
    with time_machine.travel(START, tick=False):
        client = _logged_in(user)
        client.get(reverse("web:home"))
    # A request every 20 minutes keeps it from idling out…
    for step in range(1, 36):
        with time_machine.travel(START + timedelta(minutes=20 * step), tick=False):
            assert client.get(reverse("web:home")).status_code == 200
    # …until 12 hours after login.
    with time_machine.travel(START + timedelta(hours=12, minutes=1), tick=False):
        response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_rate_limit_counters_are_shared_through_redis_when_configured():
    """Uses the local Redis server for real: two cache clients (as two gunicorn workers would
    have) see one counter."""
    config = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
        "KEY_PREFIX": "muqeem-test",
    }
    with override_settings(CACHES={"default": config, "second": config}):
        first, second = caches["default"], caches["second"]
        first.delete("throttle-probe")
        first.set("throttle-probe", 0)
        first.incr("throttle-probe")
        second.incr("throttle-probe")
        assert first.get("throttle-probe") == 2
        first.delete("throttle-probe")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cached_figures_refresh_when_the_establishment_commits_a_transaction(establishment):
    from django.core.cache import cache
    from django.db import transaction

    from muqeem.core.cache import establishment_cached, establishment_data_changed

    cache.clear()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with override_settings(FIGURES_CACHE_SECONDS=60):
        assert establishment_cached(establishment.pk, "x", compute) == 1
        assert establishment_cached(establishment.pk, "x", compute) == 1  # cached
        with transaction.atomic():
            establishment_data_changed(establishment.pk)
            # not yet committed: others still see the cached figure
            assert establishment_cached(establishment.pk, "x", compute) == 1
        assert establishment_cached(establishment.pk, "x", compute) == 2  # refreshed
        try:
            with transaction.atomic():
                establishment_data_changed(establishment.pk)
                raise RuntimeError
        except RuntimeError:
            pass
        assert establishment_cached(establishment.pk, "x", compute) == 2  # rolled back: no bump
    with override_settings(FIGURES_CACHE_SECONDS=0):
        assert establishment_cached(establishment.pk, "x", compute) == 3  # off: always computed
    cache.clear()
