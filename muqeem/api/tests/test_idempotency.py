"""Every POST carries an Idempotency-Key: the same key and body replay the first response byte for
byte; the same key with another body is a 409; the work is never done twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from muqeem.api.models import IdempotencyRecord
from muqeem.api.services import idempotency_records_purge
from muqeem.fees.models import LedgerJournal
from muqeem.workflow.models import ServiceRequest

pytestmark = pytest.mark.django_db
URL = "/api/v1/iqama-renewals/"


def _renew(client, resident, key, months=12):
    return client.post(
        URL,
        {"iqama_number": resident.iqama_number, "period_months": months},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_same_key_and_body_replays_the_first_response(api, resident, establishment):
    first = _renew(api, resident, "renew-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    balance = establishment.__class__.objects.get(pk=establishment.pk).balance_halalas

    again = _renew(api, resident, "renew-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert ServiceRequest.objects.filter(establishment=establishment).count() == 1
    assert LedgerJournal.objects.filter(service_request__establishment=establishment).count() == 1
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance


def test_json_spelled_differently_is_the_same_request(api, resident):
    first = api.post(
        URL,
        f'{{"iqama_number": "{resident.iqama_number}", "period_months": 12}}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    again = api.post(
        URL,
        f'{{"period_months":12,"iqama_number":"{resident.iqama_number}"}}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_409(api, resident):
    assert _renew(api, resident, "renew-2").status_code == 201
    conflict = _renew(api, resident, "renew-2", months=24)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "IDEMPOTENCY_CONFLICT"
    assert ServiceRequest.objects.count() == 1


def test_same_key_on_another_operation_is_409(api, resident):
    assert _renew(api, resident, "k-op").status_code == 201
    other = api.post(
        "/api/v1/iqama-renewals/eligibility/",
        {"iqama_number": resident.iqama_number, "period_months": 12},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-op",
    )
    assert other.status_code == 409


def test_keys_are_per_api_key(make_client, resident):
    one, two = make_client(name="one"), make_client(name="two")
    assert _renew(one, resident, "shared").status_code == 201
    # Another key's "shared" is a new request (refused here only because the iqama is now
    # beyond the renewal horizon, which proves it ran).
    second = _renew(two, resident, "shared")
    assert second.status_code in (201, 422)
    assert "Idempotent-Replayed" not in second


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_IDEMPOTENCY_KEY": "has space"}, {"HTTP_IDEMPOTENCY_KEY": "x" * 65}],
)
def test_missing_or_malformed_key_is_400_with_the_header_as_field(api, resident, headers):
    response = api.post(
        URL, {"iqama_number": resident.iqama_number, "period_months": 12}, format="json", **headers
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert list(body["fields"]) == ["Idempotency-Key"]
    assert ServiceRequest.objects.count() == 0


def test_every_post_requires_the_header(api, resident):
    for url in [
        "/api/v1/iqama-renewals/eligibility/",
        "/api/v1/visas/eligibility/",
        "/api/v1/visas/",
        "/api/v1/visas/5000000001/cancel/",
        "/api/v1/final-exits/eligibility/",
        "/api/v1/final-exits/",
    ]:
        response = api.post(url, {}, format="json")
        assert response.status_code == 400, url
        assert "Idempotency-Key" in response.json()["fields"], url


def test_a_refusal_releases_the_key(api, resident):
    resident.insurance_active = False
    resident.save(update_fields=["insurance_active"])
    refused = _renew(api, resident, "after-fix")
    assert refused.status_code == 422
    assert refused.json()["code"] == "ELIGIBILITY_FAILED"
    assert not IdempotencyRecord.objects.filter(key="after-fix").exists()
    resident.insurance_active = True
    resident.save(update_fields=["insurance_active"])
    assert _renew(api, resident, "after-fix").status_code == 201


def test_a_request_still_running_with_the_key_is_409_and_not_executed(api, resident):
    IdempotencyRecord.objects.create(
        api_key=api.api_key, key="busy", request_hash=_hash_of(resident), created_at=timezone.now()
    )
    busy = _renew(api, resident, "busy")
    assert busy.status_code == 409
    assert busy.json()["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert busy["Retry-After"]
    assert ServiceRequest.objects.count() == 0


def test_an_abandoned_claim_is_taken_over_after_a_while(api, resident):
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        IdempotencyRecord.objects.create(
            api_key=api.api_key,
            key="crashed",
            request_hash=_hash_of(resident),
            created_at=timezone.now(),
        )
    response = _renew(api, resident, "crashed")
    assert response.status_code == 201
    assert ServiceRequest.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="crashed").status_code == 201


def _hash_of(resident):
    """The hash the API computes for `_renew(…, months=12)`."""
    from rest_framework.test import APIRequestFactory

    from muqeem.api.apis.renewals import IqamaRenewalCreateApi

    factory = APIRequestFactory()
    request = factory.post(
        URL, {"iqama_number": resident.iqama_number, "period_months": 12}, format="json"
    )
    view = IqamaRenewalCreateApi()
    drf_request = view.initialize_request(request)
    return view._request_hash(drf_request)


def test_the_service_layer_gets_a_key_scoped_to_the_api_key(api, resident):
    assert _renew(api, resident, "scoped").status_code == 201
    request = ServiceRequest.objects.get()
    assert request.idempotency_key == f"api:{api.api_key.pk}:scoped"
    assert request.submitted_by == api.api_key.service_user


def test_purge_keeps_a_day_at_least(api, resident):
    assert _renew(api, resident, "old").status_code == 201
    assert idempotency_records_purge(older_than=timedelta(minutes=1)) == 0
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert idempotency_records_purge() == 1
    assert not IdempotencyRecord.objects.exists()
