"""Replacement iqama cards by API: dry run, order, refusal, isolation, permission, replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, idem
from muqeem.delivery.models import DeliveryOrder
from muqeem.establishments.models import Establishment
from muqeem.residents.models import Resident, ResidentStatus

pytestmark = pytest.mark.django_db

ELIGIBILITY = "/api/v1/cards/replacements/eligibility/"
ORDER = "/api/v1/cards/replacements/"


def test_check_then_order_a_lost_card_and_replay(api, resident, establishment):
    body = {"iqama_number": resident.iqama_number, "reason": "lost"}
    check = api.post(ELIGIBILITY, body, format="json", **idem())
    assert check.status_code == 200, check.content
    assert check.json()["eligible"] is True and check.json()["violations"] == []
    total = check.json()["fees"]["total_halalas"]
    assert total > 0
    assert not DeliveryOrder.objects.exists()

    before = establishment.balance_halalas
    headers = idem()
    ordered = api.post(ORDER, {**body, "expected_total_halalas": total}, format="json", **headers)
    assert ordered.status_code == 201, ordered.content
    order = DeliveryOrder.objects.get()
    data = ordered.json()
    assert data["tracking_number"] == order.tracking_number
    assert data["card_version"] == order.card_version == 2
    assert data["status"] == "completed" and data["delivery_status"] == "requested"
    assert data["reason"] == "lost" and data["fees"]["total_halalas"] == total
    resident.refresh_from_db()
    assert resident.iqama_card_version == 2

    replay = api.post(ORDER, {**body, "expected_total_halalas": total}, format="json", **headers)
    assert replay.status_code == 201 and replay.content == ordered.content
    assert replay["Idempotent-Replayed"] == "true"
    assert DeliveryOrder.objects.count() == 1
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before - total


def test_a_refusal_carries_every_violation_and_charges_nothing(api, resident, establishment):
    body = {"iqama_number": resident.iqama_number, "reason": "damaged"}
    assert api.post(ORDER, body, format="json", **idem()).status_code == 201
    Resident.objects.filter(pk=resident.pk).update(
        status=ResidentStatus.ABSENT_FROM_WORK,
        inside_kingdom=False,
        iqama_expiry_date=timezone.localdate() - timedelta(days=1),
    )
    Establishment.objects.filter(pk=establishment.pk).update(postal_code="", balance_halalas=0)
    expected = [
        "RESIDENT_STATUS_BLOCKS_SERVICE",
        "RESIDENT_OUTSIDE_KINGDOM",
        "IQAMA_EXPIRED",
        "NATIONAL_ADDRESS_INVALID",
        "DELIVERY_ALREADY_OPEN",
        "INSUFFICIENT_BALANCE",
    ]

    check = api.post(ELIGIBILITY, body, format="json", **idem())
    assert check.status_code == 200, check.content
    assert check.json()["eligible"] is False
    assert [v["code"] for v in check.json()["violations"]] == expected

    refused = api.post(ORDER, body, format="json", **idem())
    assert refused.status_code == 422
    assert refused.json()["code"] == "ELIGIBILITY_FAILED"
    assert [v["code"] for v in refused.json()["violations"]] == expected
    assert DeliveryOrder.objects.count() == 1
    resident.refresh_from_db()
    assert resident.iqama_card_version == 2


def test_another_establishments_resident_is_a_404_like_a_missing_one(api, other_resident):
    for url in (ELIGIBILITY, ORDER):
        a = api.post(
            url,
            {"iqama_number": other_resident.iqama_number, "reason": "lost"},
            format="json",
            **idem(),
        )
        b = api.post(url, {"iqama_number": "2999999994", "reason": "lost"}, format="json", **idem())
        assert a.status_code == b.status_code == 404
        ja, jb = a.json(), b.json()
        ja.pop("request_id"), jb.pop("request_id")
        assert ja == jb
    assert not DeliveryOrder.objects.exists()


def test_the_reason_is_validated(api, resident):
    response = api.post(
        ORDER, {"iqama_number": resident.iqama_number, "reason": "stolen"}, format="json", **idem()
    )
    assert response.status_code == 400
    assert not DeliveryOrder.objects.exists()


def test_a_key_without_wasel_is_refused(make_client, resident):
    client = make_client([p for p in ALL_API_PERMISSIONS if p != Permission.WASEL])
    body = {"iqama_number": resident.iqama_number, "reason": "lost"}
    for url in (ELIGIBILITY, ORDER):
        response = client.post(url, body, format="json", **idem())
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"
    assert not DeliveryOrder.objects.exists()
