"""The set form of the renewal (`iqama_renew_many`, a bulk batch's chunk) must write exactly what
renewing each resident one at a time writes, leave every case that is not plain to the caller with
nothing written for it, and cost the same statements however many residents it renews."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from muqeem.audit.models import AuditEvent
from muqeem.eservices.iqama_renewal.services import (
    RenewalItem,
    iqama_renew,
    iqama_renew_many,
    iqama_renewal_check,
    iqama_renewal_check_many,
)
from muqeem.establishments.models import Establishment
from muqeem.fees.models import LedgerJournal
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import Resident, ResidentHistoryEntry
from muqeem.webhooks.models import WebhookDelivery, WebhookEndpoint
from muqeem.workflow.models import ServiceRequest
from tests.factories import DependentFactory, ResidentFactory

pytestmark = pytest.mark.django_db

WRITTEN_IDS = {"journal"}


def _written(request: ServiceRequest) -> dict[str, Any]:
    """Everything a renewal wrote for its request, without ids, times and the resident's own
    numbers, so two residents' renewals can be compared."""
    request = ServiceRequest.objects.get(pk=request.pk)
    resident = Resident.objects.get(pk=request.resident_id)
    renewal = request.iqama_renewal
    history = ResidentHistoryEntry.objects.get(service_request=request)
    journal = LedgerJournal.objects.get(service_request=request)
    return {
        "request": (
            request.service_type,
            request.status,
            request.version,
            request.fee_total_halalas,
            request.fee_lines,
            request.submitted_by_id,
        ),
        "events": [
            (e.action, e.from_status, e.to_status, e.actor_id, e.payload)
            for e in request.events.order_by("pk")
        ],
        "renewal": (
            renewal.period_months,
            renewal.previous_expiry,
            renewal.new_expiry,
            renewal.was_late,
            renewal.renewed_abroad,
        ),
        "resident": (
            resident.iqama_expiry_date,
            resident.work_permit_paid_until,
            resident.late_renewal_count,
            resident.version,
        ),
        "history": (history.kind, history.old, history.new, history.establishment_id),
        "journal": (
            journal.kind,
            journal.idempotency_key == f"charge:{request.pk}",
            journal.reference == request.number,
            sorted(
                (line.account, line.fee_code, line.amount_halalas) for line in journal.lines.all()
            ),
        ),
        "audit": sorted(
            (
                e.event_type,
                e.actor_user_id,
                e.actor_establishment_id,
                e.resident_id == resident.pk,
                sorted((k, v) for k, v in e.extra_data.items() if k not in WRITTEN_IDS),
            )
            for e in AuditEvent.objects.filter(service_request=request)
        ),
        "webhooks": [
            (d.event_type, d.payload["data"]["status"], d.payload["data"]["iqama_number"])
            == ("request.completed", "completed", resident.iqama_number)
            for d in WebhookDelivery.objects.filter(payload__data__request_number=request.number)
        ],
    }


def _pair(establishment, **attributes):
    """Two residents alike in everything a renewal reads."""
    pair = ResidentFactory.create_batch(2, establishment=establishment, **attributes)
    for resident in pair:
        DependentFactory(resident=resident)
    return pair


@pytest.mark.parametrize(
    ("attributes", "months"),
    [
        ({}, 12),
        ({}, 3),
        ({"inside_kingdom": False}, 6),
        # Late: expired beyond the grace days, so a late fine is charged and counted.
        ({"iqama_expiry_date": timezone.localdate() - timedelta(days=40)}, 12),
        ({"is_domestic_worker": True}, 12),
    ],
)
def test_the_set_writes_what_one_at_a_time_writes(hr_officer, establishment, attributes, months):
    WebhookEndpoint.objects.create(
        establishment=establishment,
        url="https://hr.example.com/hooks",
        event_types=["request.completed"],
        secret="s",
        created_by=hr_officer,
        created_at=timezone.now(),
    )
    one, other = _pair(establishment, **attributes)
    before = Establishment.objects.get(pk=establishment.pk).balance_halalas
    single = iqama_renew(
        actor=hr_officer,
        iqama_number=one.iqama_number,
        period_months=months,
        idempotency_key="single",
        notify=False,
    )
    after_single = Establishment.objects.get(pk=establishment.pk).balance_halalas
    results = iqama_renew_many(
        actor=hr_officer,
        items=[RenewalItem(other.iqama_number, months, "many")],
    )
    after_many = Establishment.objects.get(pk=establishment.pk).balance_halalas

    assert set(results) == {"many"}
    assert _written(results["many"].request) == _written(single.request)
    assert before - after_single == after_single - after_many == single.request.fee_total_halalas
    assert after_many == establishment_ledger_balance(establishment=establishment)


def test_what_is_not_plain_is_left_to_the_caller_with_nothing_written(
    hr_officer, establishment, other_resident
):
    plain = ResidentFactory(establishment=establishment)
    refused = ResidentFactory(establishment=establishment, unpaid_traffic_fines_halalas=50_000)
    repriced = ResidentFactory(establishment=establishment)
    done_before = ResidentFactory(establishment=establishment)
    iqama_renew(
        actor=hr_officer,
        iqama_number=done_before.iqama_number,
        period_months=12,
        idempotency_key="earlier",
    )
    requests_before = ServiceRequest.objects.count()

    results = iqama_renew_many(
        actor=hr_officer,
        items=[
            RenewalItem(plain.iqama_number, 12, "plain"),
            RenewalItem(refused.iqama_number, 12, "refused"),
            RenewalItem(repriced.iqama_number, 12, "repriced", expected_total_halalas=1),
            RenewalItem(done_before.iqama_number, 12, "earlier"),
            RenewalItem(other_resident.iqama_number, 12, "another establishment's"),
            RenewalItem("123", 12, "not a number"),
            RenewalItem(plain.iqama_number, 12, "the same resident again"),
        ],
    )

    assert set(results) == {"plain"}
    assert ServiceRequest.objects.count() == requests_before + 1
    for resident in (refused, repriced, other_resident):
        assert Resident.objects.get(pk=resident.pk).version == resident.version


def test_a_balance_short_of_the_set_writes_nothing(hr_officer, establishment):
    residents = ResidentFactory.create_batch(3, establishment=establishment)
    quote = iqama_renewal_check(
        actor=hr_officer, iqama_number=residents[0].iqama_number, period_months=12
    ).quote.total_halalas
    # Enough for two renewals, not three.
    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=2 * quote + 1)
    requests_before = ServiceRequest.objects.count()

    results = iqama_renew_many(
        actor=hr_officer,
        items=[RenewalItem(r.iqama_number, 12, f"k{i}") for i, r in enumerate(residents)],
    )

    assert results == {}
    assert ServiceRequest.objects.count() == requests_before
    assert Establishment.objects.get(pk=establishment.pk).balance_halalas == 2 * quote + 1
    assert all(Resident.objects.get(pk=r.pk).version == r.version for r in residents)


def _statements(officer, establishment, n: int, prefix: str) -> int:
    residents = ResidentFactory.create_batch(n, establishment=establishment)
    for resident in residents:
        DependentFactory(resident=resident)
    with CaptureQueriesContext(connection) as queries:
        results = iqama_renew_many(
            actor=officer,
            items=[
                RenewalItem(r.iqama_number, 12, f"{prefix}{i}") for i, r in enumerate(residents)
            ],
        )
    assert len(results) == n
    return len(queries)


def test_the_statements_do_not_grow_with_the_set(hr_officer, establishment):
    from conftest import fund

    fund(establishment, 1_000_000, key="more")
    assert _statements(hr_officer, establishment, 2, "a") == _statements(
        hr_officer, establishment, 12, "b"
    )


def test_the_set_check_answers_what_each_check_answers(hr_officer, establishment, other_resident):
    plain = ResidentFactory(establishment=establishment)
    DependentFactory(resident=plain)
    refused = ResidentFactory(establishment=establishment, unpaid_traffic_fines_halalas=50_000)
    abroad = ResidentFactory(establishment=establishment, inside_kingdom=False)
    items = [
        (plain.iqama_number, 12),
        (refused.iqama_number, 12),
        (abroad.iqama_number, 6),
        (other_resident.iqama_number, 12),
    ]
    audit_before = AuditEvent.objects.count()

    checks = iqama_renewal_check_many(actor=hr_officer, items=items)

    assert set(checks) == set(items[:3])
    assert AuditEvent.objects.count() == audit_before + 3
    for number, months in items[:3]:
        one = iqama_renewal_check(actor=hr_officer, iqama_number=number, period_months=months)
        many = checks[(number, months)]
        assert (many.resident.pk, many.quote, many.new_expiry, many.violations) == (
            one.resident.pk,
            one.quote,
            one.new_expiry,
            one.violations,
        )
