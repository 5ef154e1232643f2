"""A test-only kind of document whose public status a test can change between look-ups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from muqeem.documents.registry import (
    PublicProjection,
    mask_name,
    register_verifiable,
    unregister_verifiable,
)

TEST_KIND = "test_permit"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@dataclass
class FakePermits:
    """Stands in for a service's table of issued documents."""

    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[int] = field(default_factory=list)

    def add(self, object_id: int, **overrides: Any) -> None:
        self.rows[object_id] = {
            "status": "Valid",
            "status_code": "valid",
            "valid_from": date(2026, 11, 1),
            "valid_until": date(2099, 1, 31),
            "name": "Mohammed Abdullah Alharbi",
            "establishment": "Al Noor Trading Est.",
            **overrides,
        }

    def provider(self, object_id: int) -> PublicProjection | None:
        self.calls.append(object_id)
        row = self.rows.get(object_id)
        if row is None:
            return None
        return PublicProjection(
            document_type="Test permit",
            status=row["status"],
            status_code=row["status_code"],
            valid_from=row["valid_from"],
            valid_until=row["valid_until"],
            masked_name=mask_name(row["name"]),
            establishment_name=row["establishment"],
        )


@pytest.fixture
def permits() -> Any:
    fake = FakePermits()
    register_verifiable(TEST_KIND, fake.provider)
    yield fake
    unregister_verifiable(TEST_KIND)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # The rate-limit counters live in the cache, which outlives a test.
    cache.clear()


@pytest.fixture
def test_templates(settings: Any) -> None:
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES_DIR]}
    ]
