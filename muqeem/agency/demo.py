"""Demo data of this app for `manage.py demo_data` (idempotent)."""

from __future__ import annotations


def seed_demo() -> list[str]:
    """Create this app's demo rows; returns the lines to print with the demo logins."""
    return []
