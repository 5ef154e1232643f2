"""Ordering a replacement card: fees per loss, blockers, idempotency, all-or-nothing, tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, QuoteChanged
from muqeem.delivery import services as delivery_services
from muqeem.delivery.models import DeliveryEvent, DeliveryOrder, DeliveryReason, DeliveryStatus
from muqeem.delivery.services import card_reprint_check, delivery_status_update
from muqeem.delivery.tests.conftest import reprint
from muqeem.establishments.models import Establishment
from muqeem.fees.models import FeeCode, LedgerLine, ScheduleEntry
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.notifications.models import SmsMessage
from muqeem.residents.models import ResidentHistoryEntry, ResidentStatus
from muqeem.workflow.machine import RequestStatus, ServiceType
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

LOST, DAMAGED = DeliveryReason.LOST, DeliveryReason.DAMAGED
POSTAGE = 3000


def deliver(order: DeliveryOrder) -> None:
    for status in (DeliveryStatus.PRINTED, DeliveryStatus.SHIPPED, DeliveryStatus.DELIVERED):
        delivery_status_update(order_or_tracking=order, status=status, source="postal")


def counts() -> tuple[int, ...]:
    return (
        ServiceRequest.objects.count(),
        DeliveryOrder.objects.count(),
        DeliveryEvent.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
        ResidentHistoryEntry.objects.count(),
        SmsMessage.objects.count(),
    )


def test_a_replacement_is_one_completed_request_a_charge_a_new_card_and_an_order(
    hr_officer, resident, establishment
):
    balance = establishment.balance_halalas
    result = reprint(hr_officer, resident, LOST)
    request, order = result.request, result.order
    assert not result.replayed
    assert request.service_type == ServiceType.CARD_DELIVERY
    assert request.status == RequestStatus.COMPLETED
    assert request.fee_total_halalas == 100000 + POSTAGE
    assert [line["code"] for line in request.fee_lines] == [
        FeeCode.CARD_REPLACEMENT_FEE,
        FeeCode.WASEL_DELIVERY_FEE,
    ]
    resident.refresh_from_db()
    assert resident.iqama_card_version == 2
    assert (order.reason, order.status, order.card_version) == (LOST, DeliveryStatus.REQUESTED, 2)
    assert order.service_request == request
    assert order.tracking_number.startswith("WSL")
    assert (order.building_number, order.postal_code) == (
        establishment.building_number,
        establishment.postal_code,
    )
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance - 103000
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    revenue = LedgerLine.objects.filter(journal__service_request=request, account="revenue")
    assert sorted(revenue.values_list("fee_code", "amount_halalas")) == [
        (FeeCode.CARD_REPLACEMENT_FEE, 100000),
        (FeeCode.WASEL_DELIVERY_FEE, POSTAGE),
    ]
    kinds = set(
        AuditEvent.objects.filter(service_request=request).values_list("event_type", flat=True)
    )
    assert {AuditEventType.DELIVERY_ORDERED, AuditEventType.LEDGER_POSTED} <= kinds
    assert ResidentHistoryEntry.objects.get(resident=resident).new["tracking_number"] == (
        order.tracking_number
    )


@pytest.mark.parametrize(
    ("earlier_lost", "fee"),
    [(0, 100000), (1, 200000), (2, 300000), (3, 300000), (5, 300000)],
)
def test_lost_card_fee_grows_with_each_earlier_loss_and_stays_at_the_last(
    hr_officer, resident, earlier_lost, fee
):
    for _ in range(earlier_lost):
        deliver(reprint(hr_officer, resident, LOST).order)
    check = card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=LOST)
    assert check.earlier_lost == earlier_lost
    assert [(line.code, line.amount_halalas) for line in check.quote.lines] == [
        (FeeCode.CARD_REPLACEMENT_FEE, fee),
        (FeeCode.WASEL_DELIVERY_FEE, POSTAGE),
    ]
    result = reprint(hr_officer, resident, LOST)
    assert result.request.fee_total_halalas == fee + POSTAGE
    resident.refresh_from_db()
    assert resident.iqama_card_version == 2 + earlier_lost


def test_first_four_losses_cost_1000_2000_3000_3000(hr_officer, resident):
    totals = []
    for _ in range(4):
        result = reprint(hr_officer, resident, LOST)
        totals.append(result.request.fee_total_halalas - POSTAGE)
        deliver(result.order)
    assert totals == [100000, 200000, 300000, 300000]


def test_damaged_card_costs_500_and_does_not_count_as_a_loss(hr_officer, resident):
    first = reprint(hr_officer, resident, DAMAGED)
    assert first.request.fee_total_halalas == 50000 + POSTAGE
    deliver(first.order)
    check = card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=LOST)
    assert check.earlier_lost == 0
    assert check.quote.total_halalas == 100000 + POSTAGE


def test_a_lost_card_returned_to_sender_still_counts_as_a_loss(hr_officer, resident):
    order = reprint(hr_officer, resident, LOST).order
    for status in ("printed", "shipped", "returned_to_sender"):
        delivery_status_update(order_or_tracking=order, status=status, source="staff")
    check = card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=LOST)
    assert check.earlier_lost == 1


def test_fees_come_from_the_schedule_in_force(hr_officer, resident):
    today = timezone.localdate()
    ScheduleEntry.objects.create(key="wasel.delivery_fee", value=4500, effective_from=today)
    ScheduleEntry.objects.create(key="wasel.damaged_card_fee", value=60000, effective_from=today)
    ScheduleEntry.objects.create(
        key="wasel.lost_card_fees",
        value=[150000, 250000],
        effective_from=today + timedelta(days=1),
    )
    lost = card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=LOST)
    assert lost.quote.total_halalas == 100000 + 4500  # tomorrow's lost fees are not in force yet
    assert reprint(hr_officer, resident, DAMAGED).request.fee_total_halalas == 64500


def test_the_same_idempotency_key_replays_and_other_data_with_it_conflicts(
    hr_officer, resident, establishment
):
    first = reprint(hr_officer, resident, LOST, key="once")
    establishment.refresh_from_db()
    balance, before = establishment.balance_halalas, counts()
    again = reprint(hr_officer, resident, LOST, key="once")
    assert again.replayed
    assert (again.request.pk, again.order.pk) == (first.request.pk, first.order.pk)
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance
    assert counts() == before
    with pytest.raises(DomainError) as exc:
        reprint(hr_officer, resident, DAMAGED, key="once")
    assert exc.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    resident.refresh_from_db()
    assert resident.iqama_card_version == 2


def test_a_stale_quote_is_refused(hr_officer, resident):
    check = card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=LOST)
    with pytest.raises(QuoteChanged):
        reprint(
            hr_officer,
            resident,
            LOST,
            expected_version=check.resident.version,
            expected_total_halalas=check.quote.total_halalas - 1,
        )
    with pytest.raises(QuoteChanged):
        reprint(hr_officer, resident, LOST, expected_version=check.resident.version + 1)
    assert not ServiceRequest.objects.exists()


BLOCKERS = {
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE: {"status": ResidentStatus.ABSENT_FROM_WORK},
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM: {"inside_kingdom": False},
    ErrorCode.IQAMA_EXPIRED: {"iqama_expiry_date": timezone.localdate() - timedelta(days=1)},
}


@pytest.mark.parametrize(("code", "changes"), BLOCKERS.items())
def test_a_resident_blocker_is_reported_and_charges_nothing(
    hr_officer, establishment, code, changes
):
    blocked = ResidentFactory(establishment=establishment, **changes)
    before = counts()
    with pytest.raises(EligibilityError) as exc:
        reprint(hr_officer, blocked, LOST)
    assert [v.code for v in exc.value.violations] == [code]
    assert counts() == before
    blocked.refresh_from_db()
    assert blocked.iqama_card_version == 1


@pytest.mark.parametrize(
    "field", ["building_number", "street", "district", "city", "postal_code", "additional_number"]
)
def test_an_incomplete_national_address_is_a_blocker(hr_officer, resident, establishment, field):
    Establishment.objects.filter(pk=establishment.pk).update(**{field: ""})
    check = card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=DAMAGED)
    assert [v.code for v in check.violations] == [ErrorCode.NATIONAL_ADDRESS_INVALID]
    with pytest.raises(EligibilityError):
        reprint(hr_officer, resident, DAMAGED)
    assert not DeliveryOrder.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("building_number", "12A4"), ("postal_code", "1221"), ("city", "   ")]
)
def test_a_malformed_national_address_is_a_blocker(
    hr_officer, resident, establishment, field, value
):
    Establishment.objects.filter(pk=establishment.pk).update(**{field: value})
    check = card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=DAMAGED)
    assert [v.code for v in check.violations] == [ErrorCode.NATIONAL_ADDRESS_INVALID]


@pytest.mark.parametrize("status", ["requested", "printed", "shipped"])
def test_a_card_already_on_its_way_is_a_blocker(hr_officer, resident, status):
    order = reprint(hr_officer, resident, DAMAGED).order
    for step in ("printed", "shipped")[: ("requested", "printed", "shipped").index(status)]:
        delivery_status_update(order_or_tracking=order, status=step, source="staff")
    before = counts()
    with pytest.raises(EligibilityError) as exc:
        reprint(hr_officer, resident, LOST)
    [violation] = exc.value.violations
    assert violation.code == ErrorCode.DELIVERY_ALREADY_OPEN
    assert violation.params["tracking"] == order.tracking_number
    assert counts() == before


@pytest.mark.parametrize("final", ["delivered", "returned_to_sender"])
def test_a_closed_delivery_does_not_block_the_next_card(hr_officer, resident, final):
    order = reprint(hr_officer, resident, DAMAGED).order
    for step in ("printed", "shipped", final):
        delivery_status_update(order_or_tracking=order, status=step, source="staff")
    assert reprint(hr_officer, resident, LOST).order.status == DeliveryStatus.REQUESTED


def test_a_balance_too_low_is_a_blocker(hr_officer, resident, establishment):
    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=50000 + POSTAGE - 1)
    with pytest.raises(EligibilityError) as exc:
        reprint(hr_officer, resident, DAMAGED)
    assert [v.code for v in exc.value.violations] == [ErrorCode.INSUFFICIENT_BALANCE]
    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=50000 + POSTAGE)
    assert reprint(hr_officer, resident, DAMAGED).request.fee_total_halalas == 53000


def test_every_blocker_at_once_in_rule_order(hr_officer, resident, establishment):
    reprint(hr_officer, resident, DAMAGED)
    Establishment.objects.filter(pk=establishment.pk).update(postal_code="", balance_halalas=0)
    resident.status = ResidentStatus.OUTSIDE_KINGDOM
    resident.inside_kingdom = False
    resident.iqama_expiry_date = timezone.localdate() - timedelta(days=30)
    resident.save()
    check = card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=LOST)
    assert [v.code for v in check.violations] == [
        ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE,
        ErrorCode.RESIDENT_OUTSIDE_KINGDOM,
        ErrorCode.IQAMA_EXPIRED,
        ErrorCode.NATIONAL_ADDRESS_INVALID,
        ErrorCode.DELIVERY_ALREADY_OPEN,
        ErrorCode.INSUFFICIENT_BALANCE,
    ]


@pytest.mark.parametrize("reason", ["new_issuance", "profession_change", "", "stolen"])
def test_only_lost_or_damaged_are_replacement_reasons(hr_officer, resident, reason):
    with pytest.raises(DomainError) as exc:
        reprint(hr_officer, resident, reason)
    assert exc.value.code == ErrorCode.VALIDATION_FAILED
    assert set(exc.value.fields) == {"reason"}
    with pytest.raises(DomainError):
        card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=reason)


def test_the_check_changes_nothing_but_the_audit_log(hr_officer, resident):
    before = counts()
    card_reprint_check(actor=hr_officer, iqama_number=resident.iqama_number, reason=LOST)
    after = counts()
    assert after[:4] == before[:4] and after[5:] == before[5:]
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED
    ).exists()


@pytest.mark.parametrize(
    "target", ["card_delivery_order_create", "service_request_transition", "sms_send"]
)
def test_a_failure_late_in_the_transaction_leaves_no_trace(
    hr_officer, resident, establishment, monkeypatch, target
):
    balance = establishment.balance_halalas
    before = counts()

    def boom(**kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(delivery_services, target, boom)
    with pytest.raises(RuntimeError):
        reprint(hr_officer, resident, LOST)
    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert resident.iqama_card_version == 1
    assert establishment.balance_halalas == balance
    assert counts() == before


def test_another_establishment_cannot_order_a_card_for_my_resident(
    other_officer, resident, establishment
):
    for call in (
        lambda: reprint(other_officer, resident, LOST),
        lambda: card_reprint_check(
            actor=other_officer, iqama_number=resident.iqama_number, reason=LOST
        ),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == ErrorCode.RESIDENT_NOT_FOUND
    assert not DeliveryOrder.objects.exists()


def test_the_other_establishment_pays_for_its_own_residents_only(
    hr_officer, other_officer, resident, other_resident, establishment, other_establishment
):
    other_balance = other_establishment.balance_halalas
    reprint(hr_officer, resident, DAMAGED)
    other_establishment.refresh_from_db()
    assert other_establishment.balance_halalas == other_balance
    mine = reprint(other_officer, other_resident, DAMAGED).order
    assert mine.establishment == other_establishment


def test_an_invalid_iqama_number_is_refused(hr_officer):
    with pytest.raises(DomainError) as exc:
        card_reprint_check(actor=hr_officer, iqama_number="1234567890", reason=LOST)
    assert exc.value.code == ErrorCode.IQAMA_NUMBER_INVALID


def test_a_second_open_order_is_refused_by_the_database_too(hr_officer, resident, monkeypatch):
    """One open order per resident even when the Python check misses the first (a race)."""
    from django.db import transaction

    from muqeem.delivery.services import card_delivery_order_create

    first = reprint(hr_officer, resident, DAMAGED)
    real = delivery_services.open_delivery_for
    calls = []

    def misses_once(*, resident):
        calls.append(resident.pk)
        return None if len(calls) == 1 else real(resident=resident)

    monkeypatch.setattr(delivery_services, "open_delivery_for", misses_once)
    with pytest.raises(DomainError) as exc, transaction.atomic():
        card_delivery_order_create(
            actor=hr_officer,
            establishment=resident.establishment,
            resident=resident,
            service_request=first.request,
            reason=DeliveryReason.NEW_ISSUANCE,
        )
    assert exc.value.code == ErrorCode.DELIVERY_ALREADY_OPEN
    assert exc.value.params["tracking"] == first.order.tracking_number
    assert len(calls) == 2
    assert DeliveryOrder.objects.count() == 1
