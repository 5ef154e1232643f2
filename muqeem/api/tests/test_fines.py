"""Fines by API: list, pay, refusal, isolation, scope, replay."""

from __future__ import annotations

import pytest
from django.utils import timezone

from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS, idem
from muqeem.establishments.models import Establishment
from muqeem.fees.models import FeeCode, LedgerJournal, PenaltyStatus
from muqeem.fees.services import penalty_record

pytestmark = pytest.mark.django_db


def _fine(resident, key="fine-1", amount=50_000):
    return penalty_record(
        establishment_id=resident.establishment_id,
        resident=resident,
        fee_code=FeeCode.LATE_RENEWAL_FINE,
        amount_halalas=amount,
        source_key=key,
        recorded_on=timezone.localdate(),
    )[0]


def test_list_and_pay_a_fine_and_replay(api, resident, establishment):
    fine = _fine(resident)
    listed = api.get(f"/api/v1/residents/{resident.iqama_number}/fines/")
    assert listed.status_code == 200, listed.content
    assert listed.json()["unpaid_total_halalas"] == 50_000
    assert [f["id"] for f in listed.json()["fines"]] == [fine.pk]
    assert listed.json()["fines"][0]["status"] == "unpaid"

    before = establishment.balance_halalas
    headers = idem()
    paid = api.post(f"/api/v1/fines/{fine.pk}/pay/", {}, format="json", **headers)
    assert paid.status_code == 200, paid.content
    assert paid.json()["fine"]["status"] == "paid"
    assert paid.json()["status"] == "completed"
    assert paid.json()["fine"]["paid_by_request_number"] == paid.json()["request_number"]
    assert paid.json()["fees"]["total_halalas"] == 50_000

    replay = api.post(f"/api/v1/fines/{fine.pk}/pay/", {}, format="json", **headers)
    assert replay.status_code == 200 and replay.content == paid.content
    assert replay["Idempotent-Replayed"] == "true"
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before - 50_000
    assert LedgerJournal.objects.filter(kind="charge", establishment=establishment).count() == 1

    again = api.post(f"/api/v1/fines/{fine.pk}/pay/", {}, format="json", **idem())
    assert again.status_code == 409
    assert again.json()["code"] == "FINE_NOT_PAYABLE"


def test_not_enough_balance_is_refused_with_the_violation(api, resident, establishment):
    fine = _fine(resident)
    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=100)
    refused = api.post(f"/api/v1/fines/{fine.pk}/pay/", {}, format="json", **idem())
    assert refused.status_code == 422
    assert refused.json()["code"] == "ELIGIBILITY_FAILED"
    assert [v["code"] for v in refused.json()["violations"]] == ["INSUFFICIENT_BALANCE"]
    fine.refresh_from_db()
    assert fine.status == PenaltyStatus.UNPAID


def test_another_establishments_fine_is_a_404_like_a_missing_one(api, other_resident):
    theirs = _fine(other_resident, key="their-fine")
    for theirs_url, missing_url in (
        (f"/api/v1/fines/{theirs.pk}/pay/", "/api/v1/fines/999999/pay/"),
        (f"/api/v1/fines/{theirs.pk}/pay/", "/api/v1/fines/not-an-id/pay/"),
    ):
        a = api.post(theirs_url, {}, format="json", **idem())
        b = api.post(missing_url, {}, format="json", **idem())
        assert a.status_code == b.status_code == 404
        ja, jb = a.json(), b.json()
        ja.pop("request_id"), jb.pop("request_id")
        assert ja == jb
    a = api.get(f"/api/v1/residents/{other_resident.iqama_number}/fines/")
    b = api.get("/api/v1/residents/2999999994/fines/")
    assert a.status_code == b.status_code == 404
    ja, jb = a.json(), b.json()
    ja.pop("request_id"), jb.pop("request_id")
    assert ja == jb
    theirs.refresh_from_db()
    assert theirs.status == PenaltyStatus.UNPAID


def test_a_key_without_exit_reentry_is_refused(make_client, resident):
    fine = _fine(resident)
    client = make_client([p for p in ALL_API_PERMISSIONS if p != Permission.EXIT_REENTRY])
    for response in (
        client.get(f"/api/v1/residents/{resident.iqama_number}/fines/"),
        client.post(f"/api/v1/fines/{fine.pk}/pay/", {}, format="json", **idem()),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"
