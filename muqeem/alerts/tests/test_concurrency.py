"""Two daily runs at once on PostgreSQL (a retried task overlapping the first): one digest."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from muqeem.alerts.models import AlertDigest, AlertSent, Notification
from muqeem.alerts.services import alerts_daily_run
from muqeem.alerts.tests.conftest import ON, at, make_resident
from muqeem.notifications.models import SmsMessage

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_runs_at_once_send_one_digest(establishment):
    with at(ON):
        for days in (3, 20, 45, 80):
            make_resident(establishment, iqama_in=days)
    barrier = threading.Barrier(2)
    reports: list[dict] = []

    def worker() -> None:
        try:
            barrier.wait()
            reports.append(alerts_daily_run(on=ON))
        finally:
            connection.close()

    with at(ON):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(r["digests"] for r in reports) == [0, 1]
    assert all(r["failed"] == [] for r in reports)
    assert AlertDigest.objects.filter(establishment=establishment).count() == 1
    assert AlertSent.objects.filter(establishment=establishment).count() == 4
    assert Notification.objects.filter(establishment=establishment).count() == 1
    assert SmsMessage.objects.filter(to=establishment.registered_mobile).count() == 1
