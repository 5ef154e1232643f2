"""The establishment hears of every change by SMS, in both languages, and only once it is committed."""

from __future__ import annotations

import pytest

from muqeem.core.errors import DomainError
from muqeem.delivery import services as delivery_services
from muqeem.delivery.services import delivery_status_update
from muqeem.delivery.tests.conftest import outbox, reprint
from muqeem.establishments.models import Establishment
from muqeem.notifications.models import SmsMessage, SmsStatus

pytestmark = pytest.mark.django_db


def test_a_change_is_texted_to_the_registered_mobile_after_commit(
    settings, order, establishment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delivery_status_update(order_or_tracking=order, status="printed", source="postal")
    message = SmsMessage.objects.order_by("pk").last()
    assert message.to == establishment.registered_mobile
    assert message.status == SmsStatus.QUEUED
    assert outbox(settings) == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    sent = outbox(settings)
    assert [m["to"] for m in sent] == [establishment.registered_mobile]
    body = sent[0]["body"]
    # Arabic then English, each naming the card and the tracking number.
    assert len(body.splitlines()) == 2
    assert body.count(order.tracking_number) == 2
    assert body.count(order.resident.iqama_number) == 2
    assert body.splitlines()[1].endswith("Printed.")


def test_every_change_is_texted(settings, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for status in ("printed", "shipped", "returned_to_sender"):
            delivery_status_update(order_or_tracking=order, status=status, source="postal")
    bodies = [m["body"] for m in outbox(settings)]
    assert len(bodies) == 3
    assert all(order.tracking_number in b for b in bodies)
    assert "not refunded" in bodies[-1]


def test_a_refused_or_replayed_change_texts_nothing(
    settings, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery_status_update(
            order_or_tracking=order, status="printed", source="postal", external_id="e1"
        )
    assert len(outbox(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        delivery_status_update(
            order_or_tracking=order, status="printed", source="postal", external_id="e1"
        )
        with pytest.raises(DomainError):
            delivery_status_update(order_or_tracking=order, status="delivered", source="postal")
    assert callbacks == []
    assert len(outbox(settings)) == 1


def test_a_rolled_back_change_texts_nothing(
    settings, order, monkeypatch, django_capture_on_commit_callbacks
):
    sms_count = SmsMessage.objects.count()
    original = delivery_services._notify_status

    def notify_then_fail(o):
        original(o)
        raise RuntimeError("injected failure after the SMS was queued")

    monkeypatch.setattr(delivery_services, "_notify_status", notify_then_fail)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        delivery_status_update(order_or_tracking=order, status="printed", source="postal")
    assert callbacks == []
    assert outbox(settings) == []
    assert SmsMessage.objects.count() == sms_count
    order.refresh_from_db()
    assert order.status == "requested"


def test_no_registered_mobile_no_text(settings, order, establishment):
    Establishment.objects.filter(pk=establishment.pk).update(registered_mobile="")
    count = SmsMessage.objects.count()
    delivery_status_update(order_or_tracking=order, status="printed", source="postal")
    order.refresh_from_db()
    assert order.status == "printed"
    assert SmsMessage.objects.count() == count


def test_ordering_a_replacement_texts_the_establishment_after_commit(
    settings, hr_officer, resident, establishment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = reprint(hr_officer, resident)
    assert outbox(settings) == []
    for callback in callbacks:
        callback()
    [sent] = outbox(settings)
    assert sent["to"] == establishment.registered_mobile
    assert sent["body"].count(result.order.tracking_number) == 2
    assert sent["body"].count(result.request.number) == 2


def test_a_failed_replacement_texts_nothing(
    settings, hr_officer, resident, monkeypatch, django_capture_on_commit_callbacks
):
    def boom(**kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(delivery_services, "service_request_transition", boom)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        reprint(hr_officer, resident)
    assert callbacks == []
    assert outbox(settings) == []
