"""Sending: signed after commit, never for a rollback, retried with backoff, then failed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from muqeem.core.errors import DomainError
from muqeem.webhooks.models import DeliveryStatus, WebhookDelivery
from muqeem.webhooks.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    retry_delay,
    webhook_deliver,
    webhook_deliveries_retry_due,
    webhook_endpoint_create,
    webhook_event_emit,
    webhook_redeliver,
)
from muqeem.webhooks.signing import verify_signature
from muqeem.webhooks.tests.conftest import Receiver

pytestmark = pytest.mark.django_db


def _emit(establishment, event_type="visa.used", data=None):
    return webhook_event_emit(
        establishment_id=establishment.pk, event_type=event_type, data=data or {"visa": "1"}
    )


def test_sent_after_commit_signed_with_the_endpoints_secret(
    main_user, establishment, make_endpoint, django_capture_on_commit_callbacks
):
    _endpoint, secret = make_endpoint(main_user)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = _emit(establishment, data={"visa_number": "5000000001"})
        assert Receiver.received == []  # not before the commit
    (got,) = Receiver.received
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["muqeem-event"] == "visa.used"
    assert headers["muqeem-delivery"] == str(delivery.pk)
    assert headers["muqeem-signature"].startswith(f"t={headers['muqeem-timestamp']},v1=")
    assert verify_signature(secret, headers["muqeem-signature"], got["body"])
    payload = json.loads(got["body"])
    assert payload["type"] == "visa.used" and payload["data"] == {"visa_number": "5000000001"}
    assert payload["id"] == str(delivery.event_id)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1 and delivery.last_response_code == 200
    assert webhook_deliver(delivery_id=delivery.pk) is False  # never sent twice
    assert len(Receiver.received) == 1


def test_rolled_back_transaction_sends_nothing(
    main_user, establishment, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint(main_user)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _emit(establishment)
        raise RuntimeError("rollback")
    assert callbacks == []
    assert Receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_only_subscribed_active_endpoints_of_the_establishment_get_the_event(
    main_user, other_main_user, establishment, make_endpoint, django_capture_on_commit_callbacks
):
    subscribed, _ = make_endpoint(main_user, ["visa.used"])
    make_endpoint(main_user, ["visa.returned"])
    disabled, _ = make_endpoint(main_user, ["visa.used"])
    disabled.is_active = False
    disabled.save()
    make_endpoint(other_main_user, ["visa.used"])
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = _emit(establishment)
    assert [d.endpoint_id for d in deliveries] == [subscribed.pk]
    assert len(Receiver.received) == 1


def test_unknown_event_type_is_a_bug():
    with pytest.raises(ValueError, match="unknown webhook event"):
        webhook_event_emit(establishment_id=1, event_type="visa.stolen", data={})


def test_retry_schedule_is_bounded_exponential_backoff():
    assert [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)] == [*RETRY_DELAYS, None]
    expected = (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    )
    assert expected == RETRY_DELAYS
    assert MAX_ATTEMPTS == 6
    assert retry_delay(0) is None


def test_failing_receiver_is_retried_with_backoff_then_marked_failed(
    main_user, establishment, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint(main_user)
    Receiver.statuses = [500]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            (delivery,) = _emit(establishment)
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempts == 1 and delivery.last_response_code == 500
        elapsed = timedelta(0)
        for n, delay in enumerate(RETRY_DELAYS, start=1):
            assert delivery.next_attempt_at == start + elapsed + delay
            # Not due a second early.
            traveller.move_to(start + elapsed + delay - timedelta(seconds=1))
            assert webhook_deliveries_retry_due() == 0
            elapsed += delay
            traveller.move_to(start + elapsed)
            assert webhook_deliveries_retry_due() == 1
            delivery.refresh_from_db()
            assert delivery.attempts == n + 1
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.next_attempt_at is None
        assert "500" in delivery.last_error
        traveller.move_to(start + timedelta(days=7))
        assert webhook_deliveries_retry_due() == 0
    assert len(Receiver.received) == MAX_ATTEMPTS


def test_a_receiver_that_recovers_succeeds_on_the_retry(
    main_user, establishment, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint(main_user)
    Receiver.statuses = [503, 204]
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = _emit(establishment)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert webhook_deliveries_retry_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2 and delivery.last_response_code == 204


def test_unreachable_receiver_and_redirect_are_failures(
    main_user, establishment, receiver, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(
        actor=main_user, url="http://127.0.0.1:1/nothing-listens", event_types=["visa.used"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = _emit(establishment)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_response_code is None and delivery.last_error


def test_redeliver_sends_the_same_event_again(
    main_user, establishment, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint(main_user)
    with django_capture_on_commit_callbacks(execute=True):
        (first,) = _emit(establishment)
    with django_capture_on_commit_callbacks(execute=True):
        again = webhook_redeliver(actor=main_user, delivery_id=first.pk)
    assert again.pk != first.pk and again.event_id == first.event_id
    first_body, again_body = (r["body"] for r in Receiver.received)
    assert first_body == again_body
    again.refresh_from_db()
    assert again.status == DeliveryStatus.SUCCEEDED


def test_endpoint_url_must_be_https_except_this_machine(main_user):
    for url in ("http://hr.example.com/hook", "ftp://x", "not a url", "https://"):
        with pytest.raises(DomainError):
            webhook_endpoint_create(actor=main_user, url=url, event_types=["visa.used"])
    for url in ("https://hr.example.com/hook", "http://localhost:8000/h", "http://127.0.0.1/h"):
        webhook_endpoint_create(actor=main_user, url=url, event_types=["visa.used"])
    with pytest.raises(DomainError):
        webhook_endpoint_create(actor=main_user, url="https://a.example", event_types=[])


class _DeferringTask:
    """Stands in for the task on a backend that can defer (the database backend in production)."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[object, dict]] = []
        self.run_after: object = None

    def get_backend(self):
        return type("Backend", (), {"supports_defer": True})()

    def using(self, *, run_after):
        self.run_after = run_after
        return self

    def enqueue(self, **kwargs):
        self.enqueued.append((self.run_after, kwargs))


def test_a_retry_is_deferred_to_the_worker_when_the_backend_can_defer(
    main_user, establishment, make_endpoint, monkeypatch
):
    from muqeem.webhooks import tasks

    make_endpoint(main_user)
    Receiver.statuses = [500]
    (delivery,) = _emit(establishment)
    fake = _DeferringTask()
    monkeypatch.setattr(tasks, "webhook_deliver_task", fake)
    assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert fake.enqueued == [(delivery.next_attempt_at, {"delivery_id": delivery.pk})]
    # The deferred task running early (or after the sweep took the attempt) does nothing.
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert len(Receiver.received) == 1


def test_a_rehearsal_can_shorten_the_waits_without_changing_their_number(settings):
    settings.RETRY_DELAY_SCALE = 0.1
    assert [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)] == [
        timedelta(seconds=6),
        timedelta(seconds=30),
        timedelta(minutes=3),
        timedelta(minutes=12),
        timedelta(minutes=72),
        None,
    ]
