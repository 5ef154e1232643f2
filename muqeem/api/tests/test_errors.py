"""One envelope for every error, with both languages; Accept-Language picks `message`."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from muqeem.api.tests.conftest import idem

pytestmark = pytest.mark.django_db
ENVELOPE = {"code", "message", "messages", "violations", "fields", "request_id"}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_message_follows_accept_language_and_both_are_always_there(api, language):
    response = api.get("/api/v1/residents/2999999994/", HTTP_ACCEPT_LANGUAGE=language)
    body = response.json()
    assert response.status_code == 404
    assert set(body) == ENVELOPE
    assert body["code"] == "RESIDENT_NOT_FOUND"
    assert set(body["messages"]) == {"ar", "en"}
    assert body["messages"]["ar"] and body["messages"]["en"]
    assert body["message"] == body["messages"][language]
    assert body["request_id"] == response["X-Request-ID"]


def test_without_accept_language_the_message_is_arabic(api):
    body = api.get("/api/v1/residents/2999999994/").json()
    assert body["message"] == body["messages"]["ar"]


@pytest.mark.parametrize("language", ["ar", "en"])
def test_eligibility_violations_carry_both_languages(api, resident, language):
    resident.insurance_active = False
    resident.save(update_fields=["insurance_active"])
    response = api.post(
        "/api/v1/iqama-renewals/",
        {"iqama_number": resident.iqama_number, "period_months": 12},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
        **idem(),
    )
    body = response.json()
    assert response.status_code == 422 and set(body) == ENVELOPE
    violation = body["violations"][0]
    assert violation["code"] == "INSURANCE_INACTIVE"
    assert violation["message"] == violation["messages"][language]
    assert set(violation["hint"]) == {"ar", "en"}


def test_validation_errors_name_the_fields(api):
    response = api.post("/api/v1/iqama-renewals/", {"period_months": "x"}, format="json", **idem())
    body = response.json()
    assert response.status_code == 400 and set(body) == ENVELOPE
    assert body["code"] == "VALIDATION_FAILED"
    assert set(body["fields"]) == {"iqama_number", "period_months"}


def test_a_body_that_is_not_json_is_an_envelope_too(api):
    response = api.post(
        "/api/v1/iqama-renewals/", "{not json", content_type="application/json", **idem()
    )
    assert response.status_code == 400
    assert set(response.json()) == ENVELOPE


def test_a_wrong_method_is_an_envelope(api):
    response = api.delete("/api/v1/residents/")
    assert response.status_code == 405
    assert set(response.json()) == ENVELOPE


def test_an_unexpected_failure_is_a_500_envelope_and_frees_the_key(api, resident, monkeypatch):
    from muqeem.api.apis import renewals
    from muqeem.api.models import IdempotencyRecord

    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(renewals, "iqama_renew", boom)
    response = api.post(
        "/api/v1/iqama-renewals/",
        {"iqama_number": resident.iqama_number, "period_months": 12},
        format="json",
        HTTP_IDEMPOTENCY_KEY="will-fail",
    )
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL_ERROR"
    assert "disk on fire" not in response.content.decode()
    assert not IdempotencyRecord.objects.filter(key="will-fail").exists()


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_a_path_that_is_no_operation_is_a_404_envelope(api, method):
    response = getattr(api, method)("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert set(response.json()) == ENVELOPE
    assert response.json()["code"] == "NOT_FOUND"
    assert APIClient().get("/api/v1/residents").status_code == 404
