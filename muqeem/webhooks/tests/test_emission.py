"""Each emission point in the services produces the right event for the right establishments."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import time_machine

from muqeem.border.services import border_crossing_record
from muqeem.delivery.models import DeliveryReason, DeliveryStatus
from muqeem.delivery.services import card_reprint_order, delivery_status_update
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue, visas_daily_run
from muqeem.eservices.iqama_renewal.services import iqama_renew
from muqeem.eservices.service_transfer.services import (
    transfer_approve,
    transfer_reject,
    transfer_request_create,
)
from muqeem.webhooks.models import WebhookDelivery
from muqeem.webhooks.tests.conftest import Receiver
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db
START = date(2026, 3, 1)
SINGLE_2M = VisaTerms(VisaType.SINGLE, DurationUnit.MONTHS, 2)


def at(d: date):
    return time_machine.travel(f"{d.isoformat()} 10:00 +0300", tick=False)


def events(endpoint) -> list[tuple[str, dict]]:
    return [
        (d.event_type, d.payload["data"])
        for d in WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk")
    ]


@pytest.fixture
def traveller(establishment):
    with at(START):
        return ResidentFactory(
            establishment=establishment,
            iqama_expiry_date=START + timedelta(days=400),
            passport_expiry_date=START + timedelta(days=1500),
            insurance_expiry_date=START + timedelta(days=400),
        )


def _issue(officer, resident):
    return visa_issue(
        actor=officer, iqama_number=resident.iqama_number, terms=SINGLE_2M, idempotency_key="v1"
    ).visa


def _cross(resident, direction, on, event):
    return border_crossing_record(
        iqama_number=resident.iqama_number, direction=direction, on=on, external_id=event
    )


def test_renewal_emits_request_completed(
    main_user, hr_officer, resident, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(main_user)
    with django_capture_on_commit_callbacks(execute=True):
        result = iqama_renew(
            actor=hr_officer,
            iqama_number=resident.iqama_number,
            period_months=12,
            idempotency_key="r1",
        )
    assert events(endpoint) == [
        (
            "request.completed",
            {
                "request_number": result.request.number,
                "service_type": "iqama_renewal",
                "status": "completed",
                "iqama_number": resident.iqama_number,
            },
        )
    ]
    (got,) = Receiver.received
    assert json.loads(got["body"])["type"] == "request.completed"


def test_border_departure_and_arrival_emit_visa_used_and_returned(
    main_user, hr_officer, traveller, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(main_user, ["visa.used", "visa.returned"])
    with at(START):
        visa = _issue(hr_officer, traveller)
    with at(date(2026, 3, 10)), django_capture_on_commit_callbacks(execute=True):
        _cross(traveller, "departure", date(2026, 3, 10), "out-1")
    with at(date(2026, 4, 1)), django_capture_on_commit_callbacks(execute=True):
        _cross(traveller, "arrival", date(2026, 4, 1), "back-1")
    got = events(endpoint)
    assert [e for e, _ in got] == ["visa.used", "visa.returned"]
    assert got[0][1]["visa_number"] == visa.number
    assert got[0][1]["iqama_number"] == traveller.iqama_number
    assert got[0][1]["departed_on"] == "2026-03-10"
    assert got[1][1]["arrived_on"] == "2026-04-01"
    assert [json.loads(r["body"])["type"] for r in Receiver.received] == [
        "visa.used",
        "visa.returned",
    ]


def test_daily_run_emits_visa_expired_for_an_unused_visa(
    main_user, hr_officer, traveller, make_endpoint
):
    endpoint, _ = make_endpoint(main_user, ["visa.expired"])
    with at(START):
        visa = _issue(hr_officer, traveller)
    with at(date(2026, 6, 2)):
        visas_daily_run(on=date(2026, 6, 2))
    ((event, data),) = events(endpoint)
    assert event == "visa.expired"
    assert data["visa_number"] == visa.number and data["status"] == "expired_unused"
    assert data["fine_halalas"] > 0


def test_daily_run_emits_resident_not_returned(main_user, hr_officer, traveller, make_endpoint):
    endpoint, _ = make_endpoint(main_user, ["resident.not_returned", "visa.used"])
    with at(START):
        visa = _issue(hr_officer, traveller)
    with at(date(2026, 3, 10)):
        _cross(traveller, "departure", date(2026, 3, 10), "out-1")
    visa.refresh_from_db()
    for months in range(1, 13):
        on = visa.expires_on + timedelta(days=31 * months)
        with at(on):
            visas_daily_run(on=on)
        if len(events(endpoint)) == 2:
            break
    assert [e for e, _ in events(endpoint)] == ["visa.used", "resident.not_returned"]
    assert events(endpoint)[1][1]["iqama_number"] == traveller.iqama_number


def test_transfer_request_and_approval_go_to_both_establishments(
    main_user, other_main_user, hr_officer, other_officer, traveller, make_endpoint
):
    current, _ = make_endpoint(main_user)
    new, _ = make_endpoint(other_main_user)
    with at(START):
        transfer = transfer_request_create(
            actor=other_officer,
            iqama_number=traveller.iqama_number,
            sponsor_moi=traveller.establishment.moi_number,
            idempotency_key="t1",
        ).transfer
        transfer_approve(actor=hr_officer, number=transfer.request.number)
    number = transfer.request.number
    for endpoint in (current, new):
        got = events(endpoint)
        assert ("transfer.requested", number) == (got[0][0], got[0][1]["request_number"])
        assert ("transfer.approved", number) in [(e, d["request_number"]) for e, d in got]
    # The request itself completes at the new sponsor.
    assert "request.completed" in [e for e, _ in events(new)]
    assert "request.completed" not in [e for e, _ in events(current)]


def test_rejected_transfer_emits_request_rejected(
    main_user, other_main_user, hr_officer, other_officer, traveller, make_endpoint
):
    new, _ = make_endpoint(other_main_user, ["request.rejected"])
    with at(START):
        transfer = transfer_request_create(
            actor=other_officer,
            iqama_number=traveller.iqama_number,
            sponsor_moi=traveller.establishment.moi_number,
            idempotency_key="t1",
        ).transfer
        transfer_reject(actor=hr_officer, number=transfer.request.number, reason="no")
    ((event, data),) = events(new)
    assert event == "request.rejected"
    assert data["request_number"] == transfer.request.number
    assert data["service_type"] == "service_transfer"


def test_delivery_status_change_emits_delivery_status_changed(
    main_user, hr_officer, resident, make_endpoint
):
    endpoint, _ = make_endpoint(main_user, ["delivery.status_changed"])
    order = card_reprint_order(
        actor=hr_officer,
        iqama_number=resident.iqama_number,
        reason=DeliveryReason.DAMAGED,
        idempotency_key="p1",
    ).order
    delivery_status_update(
        order_or_tracking=order, status=DeliveryStatus.PRINTED, source="postal", external_id="x1"
    )
    # A replay of the same report is no change and no event.
    delivery_status_update(
        order_or_tracking=order, status=DeliveryStatus.PRINTED, source="postal", external_id="x1"
    )
    ((event, data),) = events(endpoint)
    assert event == "delivery.status_changed"
    assert data["tracking_number"] == order.tracking_number
    assert (data["from_status"], data["status"]) == ("requested", "printed")
