"""Hand-built records for the dashboard and report tests: each helper writes exactly the row a
test counts, with the dates it names, so the expected numbers can be worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

from django.utils import timezone

from muqeem.core.dates import today
from muqeem.delivery.models import DeliveryOrder, DeliveryReason, DeliveryStatus
from muqeem.eservices.exit_reentry.models import (
    DurationUnit,
    Visa,
    VisaEvent,
    VisaStatus,
    VisaType,
)
from muqeem.eservices.service_transfer.models import TransferRequest
from muqeem.workflow.machine import RequestStatus, ServiceType
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory, UserFactory

_keys = count(1)


def days(n: int) -> date:
    return today() + timedelta(days=n)


def resident(establishment: Any, *, expires_in: int | None = 200, **fields: Any) -> Any:
    """A resident whose iqama expires `expires_in` days from today (None: no iqama expiry)."""
    return ResidentFactory(
        establishment=establishment,
        iqama_expiry_date=None if expires_in is None else days(expires_in),
        **fields,
    )


def service_request(
    establishment: Any,
    *,
    resident: Any = None,
    service_type: str = ServiceType.IQAMA_RENEWAL,
    status: str = RequestStatus.COMPLETED,
    fee_halalas: int = 0,
    created_at: datetime | None = None,
    user: Any = None,
) -> ServiceRequest:
    moment = created_at or timezone.now()
    return ServiceRequest.objects.create(
        service_type=service_type,
        establishment=establishment,
        resident=resident,
        status=status,
        submitted_by=user or UserFactory(establishment=establishment),
        idempotency_key=f"test-{next(_keys)}",
        payload_hash="x",
        fee_total_halalas=fee_halalas,
        created_at=moment,
        updated_at=moment,
    )


def visa(
    holder: Any,
    *,
    status: str = VisaStatus.ISSUED,
    travel_by: date | None = None,
    issued_on: date | None = None,
    user: Any = None,
) -> Visa:
    request = service_request(
        holder.establishment,
        resident=holder,
        service_type=ServiceType.EXIT_REENTRY_ISSUE,
        user=user,
    )
    issued = issued_on or days(-5)
    return Visa.objects.create(
        request=request,
        establishment=holder.establishment,
        resident=holder,
        visa_type=VisaType.SINGLE,
        duration_unit=DurationUnit.DAYS,
        duration_value=60,
        months_charged=2,
        issued_on=issued,
        travel_by=travel_by or days(60),
        expires_on=issued + timedelta(days=60),
        passport_number=holder.passport_number,
        status=status,
    )


def visa_event(of: Visa, kind: str, on: date) -> VisaEvent:
    return VisaEvent.objects.create(visa=of, kind=kind, on=on, occurred_at=timezone.now())


def transfer(
    worker: Any, *, to_establishment: Any, status: str = RequestStatus.SUBMITTED
) -> TransferRequest:
    request = service_request(
        to_establishment,
        resident=worker,
        service_type=ServiceType.SERVICE_TRANSFER,
        status=status,
    )
    return TransferRequest.objects.create(
        request=request,
        resident=worker,
        from_establishment=worker.establishment,
        to_establishment=to_establishment,
        expires_on=days(10),
    )


def delivery(holder: Any, *, status: str = DeliveryStatus.REQUESTED) -> DeliveryOrder:
    request = service_request(
        holder.establishment, resident=holder, service_type=ServiceType.CARD_DELIVERY
    )
    now = timezone.now()
    est = holder.establishment
    return DeliveryOrder.objects.create(
        establishment=est,
        resident=holder,
        service_request=request,
        reason=DeliveryReason.DAMAGED,
        status=status,
        card_version=2,
        building_number=est.building_number,
        street=est.street,
        district=est.district,
        city=est.city,
        postal_code=est.postal_code,
        additional_number=est.additional_number,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )


def logged_in(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
