"""The delivery status table: every allowed move is made, every other one is refused and changes nothing."""

from __future__ import annotations

import pytest
from django.utils import translation

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.delivery.models import TRANSITIONS, DeliveryEvent, DeliveryOrder, DeliveryStatus
from muqeem.delivery.services import allowed_next, delivery_status_update
from muqeem.fees.models import LedgerLine
from muqeem.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db

S = DeliveryStatus
# The table as DOMAIN.md states it, written out so that any change to TRANSITIONS is deliberate.
EXPECTED_ALLOWED = {
    (S.REQUESTED, S.PRINTED),
    (S.PRINTED, S.SHIPPED),
    (S.SHIPPED, S.DELIVERED),
    (S.SHIPPED, S.RETURNED_TO_SENDER),
}
UNKNOWN = ("lost_in_space", "", "REQUESTED ", "cancelled")
EVERY_MOVE = [(a, b) for a in S for b in S]


def _put(order: DeliveryOrder, status: str) -> DeliveryOrder:
    # Test set-up only: place the order in a status without walking the table.
    DeliveryOrder.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def _snapshot(order: DeliveryOrder) -> tuple:
    order.refresh_from_db()
    return (
        order.status,
        order.version,
        order.status_changed_at,
        DeliveryEvent.objects.filter(order=order).count(),
        AuditEvent.objects.filter(event_type=AuditEventType.DELIVERY_STATUS_CHANGED).count(),
        SmsMessage.objects.count(),
    )


def test_the_table_is_the_documented_one():
    allowed = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert allowed == EXPECTED_ALLOWED
    assert set(TRANSITIONS) == set(S)
    assert allowed_next(S.SHIPPED) == [S.DELIVERED, S.RETURNED_TO_SENDER]
    assert allowed_next(S.DELIVERED) == []


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_ALLOWED))
def test_allowed_move_changes_status_appends_event_audits_and_notifies(
    order, staff_user, current, target
):
    _put(order, current)
    before = _snapshot(order)
    result = delivery_status_update(
        order_or_tracking=order.tracking_number, status=target, source="staff", user=staff_user
    )
    assert not result.replayed
    order.refresh_from_db()
    assert order.status == target
    assert order.version == before[1] + 1
    event = order.events.last()
    assert (event.status, event.source, event.recorded_by) == (target, "staff", staff_user)
    audit = AuditEvent.objects.filter(event_type=AuditEventType.DELIVERY_STATUS_CHANGED).last()
    assert audit.extra_data["from"] == current and audit.extra_data["to"] == target
    assert audit.actor_user == staff_user
    assert SmsMessage.objects.count() == before[5] + 1


@pytest.mark.parametrize(
    ("current", "target"), [m for m in EVERY_MOVE if m not in EXPECTED_ALLOWED]
)
def test_every_other_move_is_refused_and_changes_nothing(order, current, target):
    _put(order, current)
    before = _snapshot(order)
    with pytest.raises(DomainError) as exc:
        delivery_status_update(
            order_or_tracking=order, status=target, source="postal", external_id=f"x-{target}"
        )
    assert exc.value.code == ErrorCode.DELIVERY_STATUS_NOT_ALLOWED
    assert exc.value.http_status == 409
    with translation.override("en"):
        assert str(exc.value.params["current"]) == S(current).label
        assert str(exc.value.params["requested"]) == S(target).label
    assert _snapshot(order) == before
    assert not DeliveryEvent.objects.filter(external_id=f"x-{target}").exists()


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("unknown", UNKNOWN)
def test_an_unknown_status_is_refused_with_its_raw_value(order, current, unknown):
    _put(order, current)
    before = _snapshot(order)
    with pytest.raises(DomainError) as exc:
        delivery_status_update(order_or_tracking=order, status=unknown, source="postal")
    assert exc.value.code == ErrorCode.DELIVERY_STATUS_NOT_ALLOWED
    assert exc.value.params["requested"] == unknown
    assert _snapshot(order) == before


def test_the_whole_way_to_the_door(order, establishment):
    for status in (S.PRINTED, S.SHIPPED, S.DELIVERED):
        delivery_status_update(order_or_tracking=order, status=status, source="postal")
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert [e.status for e in order.events.all()] == [
        S.REQUESTED,
        S.PRINTED,
        S.SHIPPED,
        S.DELIVERED,
    ]


def test_returned_to_sender_refunds_no_postage(order, establishment):
    delivery_status_update(order_or_tracking=order, status=S.PRINTED, source="staff")
    delivery_status_update(order_or_tracking=order, status=S.SHIPPED, source="staff")
    establishment.refresh_from_db()
    balance, lines = establishment.balance_halalas, LedgerLine.objects.count()
    delivery_status_update(order_or_tracking=order, status=S.RETURNED_TO_SENDER, source="postal")
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance
    assert LedgerLine.objects.count() == lines


def test_the_same_external_event_twice_is_one_change(order):
    first = delivery_status_update(
        order_or_tracking=order, status=S.PRINTED, source="postal", external_id="post-1"
    )
    before = _snapshot(order)
    again = delivery_status_update(
        order_or_tracking=order, status=S.PRINTED, source="postal", external_id="post-1"
    )
    assert again.replayed and again.event.pk == first.event.pk
    assert _snapshot(order) == before


def test_an_event_id_reused_for_another_status_or_order_is_a_conflict(
    order, hr_officer, establishment
):
    from muqeem.delivery.tests.conftest import reprint
    from tests.factories import ResidentFactory

    other = reprint(hr_officer, ResidentFactory(establishment=establishment)).order
    delivery_status_update(
        order_or_tracking=order, status=S.PRINTED, source="postal", external_id="post-1"
    )
    delivery_status_update(order_or_tracking=order, status=S.SHIPPED, source="staff")
    before = _snapshot(order)
    for target, status in ((order, S.DELIVERED), (other, S.PRINTED)):
        with pytest.raises(DomainError) as exc:
            delivery_status_update(
                order_or_tracking=target, status=status, source="postal", external_id="post-1"
            )
        assert exc.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    assert _snapshot(order) == before
    other.refresh_from_db()
    assert other.status == S.REQUESTED


@pytest.mark.parametrize("tracking", ["", "WSL", "WSL8000000000", "WSL9999999999", "12345", "x"])
def test_an_unknown_tracking_number_is_not_found(order, tracking):
    with pytest.raises(DomainError) as exc:
        delivery_status_update(order_or_tracking=tracking, status=S.PRINTED, source="postal")
    assert exc.value.code == ErrorCode.DELIVERY_NOT_FOUND


def test_the_tracking_number_is_found_whatever_its_case_or_spaces(order):
    tracking = f"  {order.tracking_number.lower()} "
    delivery_status_update(order_or_tracking=tracking, status=S.PRINTED, source="postal")
    order.refresh_from_db()
    assert order.status == S.PRINTED


def test_an_unknown_source_is_a_programming_error(order):
    with pytest.raises(ValueError, match="source"):
        delivery_status_update(order_or_tracking=order, status=S.PRINTED, source="portal")
