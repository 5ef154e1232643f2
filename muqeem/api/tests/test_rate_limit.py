from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _rest(rate):
    from django.conf import settings

    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": rate}}


def test_past_the_rate_limit_a_key_gets_a_clear_429(make_client):
    fast, other = make_client(name="fast"), make_client(name="other")
    with override_settings(REST_FRAMEWORK=_rest("3/min")):
        for _i in range(3):
            assert fast.get("/api/v1/balance/").status_code == 200
        limited = fast.get("/api/v1/balance/", HTTP_ACCEPT_LANGUAGE="en")
        # The budget is per key: another key of the same establishment is unaffected.
        assert other.get("/api/v1/balance/").status_code == 200
    assert limited.status_code == 429
    body = limited.json()
    assert body["code"] == "RATE_LIMITED"
    assert set(body) == {"code", "message", "messages", "violations", "fields", "request_id"}
    assert body["messages"]["en"] and body["messages"]["ar"] and body["request_id"]
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["Retry-After"] in body["message"]


def test_the_default_rate_is_per_minute(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"].endswith("/min")
