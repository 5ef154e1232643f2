"""Fixtures of the alert tests: a frozen clock and residents whose dates are counted from it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import time_machine

from tests.factories import ResidentFactory

ON = date(2026, 3, 1)


def at(d: date):
    return time_machine.travel(f"{d.isoformat()} 06:00 +0300", tick=False)


def make_resident(establishment, *, iqama_in=None, passport_in=1500, **fields):
    """A resident whose iqama (and passport) expire that many days after ON (None: far away)."""
    return ResidentFactory(
        establishment=establishment,
        iqama_expiry_date=ON + timedelta(days=400 if iqama_in is None else iqama_in),
        passport_expiry_date=ON + timedelta(days=passport_in),
        **fields,
    )


def sms_outbox(settings) -> list[dict]:
    path = settings.SMS_FILE_PATH
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(autouse=True)
def _sms_file(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    settings.PUBLIC_BASE_URL = "https://muqeem.example"
