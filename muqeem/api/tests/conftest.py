"""Fixtures for the REST API: keys of a seeded establishment, and clients that call with them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from muqeem.accounts.permissions import Permission
from muqeem.api.services import api_key_create
from tests.factories import UserFactory

ALL_API_PERMISSIONS = [p.value for p in Permission if p != Permission.USER_MANAGEMENT]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    # Throttle counters live in the cache, which outlives a test's database transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def main_user(establishment: Any) -> Any:
    return UserFactory(establishment=establishment, is_main_user=True)


@pytest.fixture
def other_main_user(other_establishment: Any) -> Any:
    return UserFactory(establishment=other_establishment, is_main_user=True)


class KeyClient(APIClient):
    api_key: Any
    secret: str


def client_for(secret: str) -> KeyClient:
    client = KeyClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.secret = secret
    return client


@pytest.fixture
def make_client(main_user: Any) -> Any:
    def make(
        permissions: list[str] | None = None, *, actor: Any = None, name: str = "HR"
    ) -> KeyClient:
        key, secret = api_key_create(
            actor=actor or main_user,
            name=name,
            permissions=ALL_API_PERMISSIONS if permissions is None else permissions,
        )
        client = client_for(secret)
        client.api_key = key
        return client

    return make


@pytest.fixture
def api(make_client: Any) -> KeyClient:
    """A key of `establishment` holding every permission the API knows."""
    return make_client()


@pytest.fixture
def other_api(other_main_user: Any) -> KeyClient:
    key, secret = api_key_create(
        actor=other_main_user, name="Other HR", permissions=ALL_API_PERMISSIONS
    )
    client = client_for(secret)
    client.api_key = key
    return client


_counter = {"n": 0}


def idem() -> dict[str, str]:
    """A fresh Idempotency-Key header."""
    _counter["n"] += 1
    return {"HTTP_IDEMPOTENCY_KEY": f"test-key-{_counter['n']}"}
