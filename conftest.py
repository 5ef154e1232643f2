"""Shared fixtures: named personas so tests read like the domain."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from muqeem.fees.services import ledger_post_payment
from tests.factories import EstablishmentFactory, ResidentFactory, UserFactory

# Timing-based failures are noise on a shared 2-core machine; speed is measured in bench/, not here.
hypothesis_settings.register_profile(
    "muqeem", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
)
hypothesis_settings.load_profile("muqeem")


def fund(establishment: Any, riyals: int, key: str = "test-funding") -> None:
    """Credit an establishment's balance through the ledger, as a paid bill would."""
    from django.db import transaction

    from muqeem.establishments.models import Establishment

    with transaction.atomic():
        locked = Establishment.objects.select_for_update().get(pk=establishment.pk)
        ledger_post_payment(
            actor=None,
            establishment=locked,
            amount_halalas=riyals * 100,
            reference=key,
            idempotency_key=f"{key}:{establishment.pk}",
        )
    establishment.refresh_from_db()


@pytest.fixture
def establishment(db: Any) -> Any:
    est = EstablishmentFactory()
    fund(est, 100_000)
    return est


@pytest.fixture
def other_establishment(db: Any) -> Any:
    est = EstablishmentFactory()
    fund(est, 100_000)
    return est


@pytest.fixture
def hr_officer(establishment: Any) -> Any:
    return UserFactory(establishment=establishment)


@pytest.fixture
def other_officer(other_establishment: Any) -> Any:
    return UserFactory(establishment=other_establishment)


@pytest.fixture
def resident(establishment: Any) -> Any:
    return ResidentFactory(establishment=establishment)


@pytest.fixture
def other_resident(other_establishment: Any) -> Any:
    return ResidentFactory(establishment=other_establishment)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """PostgreSQL-only tests (row locks under real concurrency) are deselected on SQLite; `.ci/run`
    runs the suite on both databases, so they always run there."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
