from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from muqeem.eservices.exit_reentry.models import DurationUnit, VisaStatus, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.integrations.models import IntegrationKind
from muqeem.integrations.services import (
    integration_credential_create,
    integration_credential_revoke,
)

pytestmark = pytest.mark.django_db
URL = "/api/border/v1/crossings/"


@pytest.fixture
def border_client():
    credential, key = integration_credential_create(
        name="King Fahd Causeway", kind=IntegrationKind.BORDER
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.credential = credential
    return client


@pytest.fixture
def visa(hr_officer, resident):
    return visa_issue(
        actor=hr_officer,
        iqama_number=resident.iqama_number,
        terms=VisaTerms(VisaType.MULTIPLE, DurationUnit.DAYS, 45),
        idempotency_key="v",
    ).visa


def _post(client, resident, direction, event="evt-1", **extra):
    body = {
        "event_id": event,
        "iqama_number": resident.iqama_number,
        "direction": direction,
        "date": date.today().isoformat(),
    }
    return client.post(URL, body | extra, format="json")


def test_departure_then_arrival_move_the_visa(border_client, resident, visa):
    out = _post(border_client, resident, "departure", "e1")
    assert out.status_code == 201
    assert out.json()["visa_number"] == visa.number
    visa.refresh_from_db()
    assert visa.status == VisaStatus.USED
    back = _post(border_client, resident, "arrival", "e2")
    assert back.status_code == 201
    visa.refresh_from_db()
    assert visa.status == VisaStatus.RETURNED


def test_a_retried_message_is_recorded_once(border_client, resident, visa):
    assert _post(border_client, resident, "departure", "same").status_code == 201
    again = _post(border_client, resident, "departure", "same")
    assert again.status_code == 200 and again.json()["replayed"] is True


def test_departure_without_a_document_is_refused_in_both_languages(border_client, resident):
    response = _post(border_client, resident, "departure")
    body = response.json()
    assert response.status_code == 409
    assert body["code"] == "NO_VALID_EXIT_DOCUMENT"
    assert body["messages"]["ar"] and body["messages"]["en"] and body["request_id"]


def test_establishment_or_revoked_or_other_kind_credentials_are_refused(
    border_client, resident, visa
):
    anonymous = APIClient()
    assert _post(anonymous, resident, "departure").status_code == 401
    _other, postal_key = integration_credential_create(name="Post", kind=IntegrationKind.POSTAL)
    postal = APIClient()
    postal.credentials(HTTP_AUTHORIZATION=f"Bearer {postal_key}")
    assert _post(postal, resident, "departure").status_code == 403
    integration_credential_revoke(credential=border_client.credential)
    revoked = _post(border_client, resident, "departure")
    assert revoked.status_code == 401 and revoked.json()["code"] == "CREDENTIAL_INVALID"
    visa.refresh_from_db()
    assert visa.status == VisaStatus.ISSUED


def test_bad_input_is_a_validation_error(border_client):
    response = border_client.post(
        URL,
        {"event_id": "x", "iqama_number": "123", "direction": "sideways", "date": "soon"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert set(body["fields"]) == {"direction", "date"}
