"""Races on PostgreSQL: two officers ordering a card for one resident, the post sending one event twice
at once, and two moves of one order at once."""

from __future__ import annotations

from collections import Counter

import pytest

from muqeem.delivery.models import DeliveryEvent, DeliveryOrder, DeliveryReason, DeliveryStatus
from muqeem.delivery.services import card_reprint_order, delivery_status_update
from muqeem.fees.models import LedgerJournal
from tests.concurrency import race
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_officers_ordering_one_residents_card_give_one_order_and_one_charge(
    hr_officer, resident, establishment
):
    colleague = UserFactory(establishment=establishment)

    def order(officer, key):
        return lambda: card_reprint_order(
            actor=officer,
            iqama_number=resident.iqama_number,
            reason=DeliveryReason.LOST,
            idempotency_key=key,
        )

    outcomes = race(order(hr_officer, "a"), order(colleague, "b"))
    assert outcomes == Counter({"done": 1, "DELIVERY_ALREADY_OPEN": 1})
    assert DeliveryOrder.objects.count() == 1
    assert LedgerJournal.objects.filter(kind="charge").count() == 1
    resident.refresh_from_db()
    assert resident.iqama_card_version == 2


def test_one_postal_event_delivered_twice_at_once_is_one_change(hr_officer, resident):
    order = card_reprint_order(
        actor=hr_officer,
        iqama_number=resident.iqama_number,
        reason=DeliveryReason.DAMAGED,
        idempotency_key="k",
    ).order

    def send():
        return delivery_status_update(
            order_or_tracking=order.tracking_number,
            status=DeliveryStatus.PRINTED,
            source="postal",
            external_id="postal:1:evt",
        )

    assert race(send, send) == Counter({"done": 1, "replayed": 1})
    assert DeliveryEvent.objects.filter(order=order, status=DeliveryStatus.PRINTED).count() == 1


def test_delivered_and_returned_at_once_one_wins(hr_officer, resident):
    order = card_reprint_order(
        actor=hr_officer,
        iqama_number=resident.iqama_number,
        reason=DeliveryReason.DAMAGED,
        idempotency_key="k",
    ).order
    for status in (DeliveryStatus.PRINTED, DeliveryStatus.SHIPPED):
        delivery_status_update(order_or_tracking=order, status=status, source="staff")

    def move(status):
        return lambda: delivery_status_update(
            order_or_tracking=order.tracking_number, status=status, source="postal"
        )

    outcomes = race(move(DeliveryStatus.DELIVERED), move(DeliveryStatus.RETURNED_TO_SENDER))
    assert outcomes == Counter({"done": 1, "DELIVERY_STATUS_NOT_ALLOWED": 1})
    order.refresh_from_db()
    assert order.events.count() == 4
    assert order.events.last().status == order.status
