"""Whole transactions by API, as an HR system would make them."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from muqeem.api.tests.conftest import idem
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.fees.models import LedgerJournal
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import ResidentStatus
from muqeem.workflow.models import ServiceRequest

pytestmark = pytest.mark.django_db


def test_renewal_end_to_end_debits_the_balance_once(api, resident, establishment):
    before = establishment.balance_halalas
    old_expiry = resident.iqama_expiry_date

    check = api.post(
        "/api/v1/iqama-renewals/eligibility/",
        {"iqama_number": resident.iqama_number, "period_months": 12},
        format="json",
        **idem(),
    )
    assert check.status_code == 200
    quote = check.json()
    assert quote["eligible"] is True and quote["violations"] == []
    total = quote["fees"]["total_halalas"]
    assert total == sum(line["amount_halalas"] for line in quote["fees"]["lines"]) > 0

    headers = idem()
    body = {
        "iqama_number": resident.iqama_number,
        "period_months": 12,
        "expected_total_halalas": total,
    }
    done = api.post("/api/v1/iqama-renewals/", body, format="json", **headers)
    assert done.status_code == 201, done.content
    renewal = done.json()
    assert renewal["status"] == "completed"
    assert renewal["new_expiry"] == quote["new_expiry"]
    assert renewal["previous_expiry"] == old_expiry.isoformat()
    assert renewal["fees"]["total_halalas"] == total

    # The HR system's retry after a lost response changes nothing.
    retry = api.post("/api/v1/iqama-renewals/", body, format="json", **headers)
    assert retry.content == done.content

    establishment.refresh_from_db()
    assert establishment.balance_halalas == before - total
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    assert LedgerJournal.objects.filter(kind="charge", establishment=establishment).count() == 1
    resident.refresh_from_db()
    assert resident.iqama_expiry_date.isoformat() == quote["new_expiry"]

    status = api.get(f"/api/v1/requests/{renewal['request_number']}/").json()
    assert status["service_type"] == "iqama_renewal" and status["status"] == "completed"
    assert [e["action"] for e in status["events"]] == ["submit", "complete"]

    balance = api.get("/api/v1/balance/").json()
    assert balance["balance_halalas"] == before - total
    assert balance["lines"][0]["amount_halalas"] == -total
    assert balance["lines"][0]["request_number"] == renewal["request_number"]

    # The audit trail names the key's service user.
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.IQAMA_RENEWED, actor_user=api.api_key.service_user
    ).exists()


def test_a_refused_renewal_lists_every_violation_and_charges_nothing(api, resident, establishment):
    resident.insurance_active = False
    resident.fingerprint_registered = False
    resident.save(update_fields=["insurance_active", "fingerprint_registered"])
    body = {"iqama_number": resident.iqama_number, "period_months": 12}

    dry = api.post("/api/v1/iqama-renewals/eligibility/", body, format="json", **idem()).json()
    assert dry["eligible"] is False
    codes = {v["code"] for v in dry["violations"]}
    assert {"INSURANCE_INACTIVE", "FINGERPRINT_NOT_REGISTERED"} <= codes

    refused = api.post("/api/v1/iqama-renewals/", body, format="json", **idem())
    assert refused.status_code == 422
    error = refused.json()
    assert error["code"] == "ELIGIBILITY_FAILED"
    assert {v["code"] for v in error["violations"]} == codes
    for violation in error["violations"]:
        assert violation["messages"]["ar"] and violation["messages"]["en"]
    assert ServiceRequest.objects.count() == 0
    balance = establishment.balance_halalas
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance


def test_a_changed_quote_is_refused(api, resident):
    response = api.post(
        "/api/v1/iqama-renewals/",
        {"iqama_number": resident.iqama_number, "period_months": 12, "expected_total_halalas": 1},
        format="json",
        **idem(),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "QUOTE_CHANGED"


def test_visa_issue_end_to_end(api, resident, establishment):
    before = establishment.balance_halalas
    terms = {
        "iqama_number": resident.iqama_number,
        "visa_type": "single",
        "duration_unit": "days",
        "duration_value": 30,
    }
    quote = api.post("/api/v1/visas/eligibility/", terms, format="json", **idem()).json()
    assert quote["eligible"] is True
    total = quote["fees"]["total_halalas"]

    issued = api.post(
        "/api/v1/visas/", {**terms, "expected_total_halalas": total}, format="json", **idem()
    )
    assert issued.status_code == 201, issued.content
    visa = issued.json()
    assert visa["status"] == "issued" and visa["expires_on"] == quote["expires_on"]
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before - total

    detail = api.get(f"/api/v1/visas/{visa['visa_number']}/").json()
    assert detail["events"][0]["kind"] == "issued"
    assert api.get(f"/api/v1/requests/{visa['request_number']}/").json()["status"] == "completed"

    pdf = api.get(f"/api/v1/visas/{visa['visa_number']}/document/", HTTP_ACCEPT_LANGUAGE="en")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert visa["visa_number"] in text and resident.iqama_number in text
    assert AuditEvent.objects.filter(event_type=AuditEventType.DOCUMENT_PRINTED).count() == 1

    # A second visa while this one is valid is refused with the reason.
    second = api.post("/api/v1/visas/", terms, format="json", **idem())
    assert second.status_code == 422
    assert "VISA_ALREADY_VALID" in {v["code"] for v in second.json()["violations"]}

    cancelled = api.post(
        f"/api/v1/visas/{visa['visa_number']}/cancel/", {}, format="json", **idem()
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["visa"]["status"] == "cancelled"
    assert Visa.objects.get().status == VisaStatus.CANCELLED
    again = api.post(f"/api/v1/visas/{visa['visa_number']}/cancel/", {}, format="json", **idem())
    assert again.status_code == 422


def test_visa_terms_are_validated(api, resident):
    response = api.post(
        "/api/v1/visas/eligibility/",
        {"iqama_number": resident.iqama_number, "visa_type": "single", "duration_unit": "days"},
        format="json",
        **idem(),
    )
    assert response.status_code == 400
    assert "duration_value" in response.json()["fields"]


def test_final_exit_end_to_end(api, resident):
    quote = api.post(
        "/api/v1/final-exits/eligibility/",
        {"iqama_number": resident.iqama_number},
        format="json",
        **idem(),
    ).json()
    assert quote["eligible"] is True
    issued = api.post(
        "/api/v1/final-exits/", {"iqama_number": resident.iqama_number}, format="json", **idem()
    )
    assert issued.status_code == 201, issued.content
    number = issued.json()["final_exit_number"]
    assert api.get(f"/api/v1/final-exits/{number}/").json()["status"] == "issued"
    resident.refresh_from_db()
    assert resident.status == ResidentStatus.FINAL_EXIT_ISSUED


def test_probation_final_exit_needs_the_border_number(api):
    response = api.post(
        "/api/v1/final-exits/eligibility/", {"kind": "probation"}, format="json", **idem()
    )
    assert response.status_code == 400
    assert "border_number" in response.json()["fields"]


def test_extending_a_visa_in_use(api, resident, establishment):
    from datetime import date

    from muqeem.border.services import border_crossing_record

    terms = {
        "iqama_number": resident.iqama_number,
        "visa_type": "single",
        "duration_unit": "days",
        "duration_value": 20,
    }
    visa = api.post("/api/v1/visas/", terms, format="json", **idem()).json()
    number = visa["visa_number"]
    not_yet = api.post(
        f"/api/v1/visas/{number}/extend/eligibility/", {"months": 1}, format="json", **idem()
    ).json()
    assert not_yet["eligible"] is False
    assert "VISA_NOT_OUTSIDE" in {v["code"] for v in not_yet["violations"]}

    border_crossing_record(
        iqama_number=resident.iqama_number, direction="departure", on=date.today(), external_id="e1"
    )
    quote = api.post(
        f"/api/v1/visas/{number}/extend/eligibility/", {"months": 1}, format="json", **idem()
    ).json()
    assert quote["eligible"] is True
    extended = api.post(
        f"/api/v1/visas/{number}/extend/",
        {"months": 1, "expected_total_halalas": quote["fees"]["total_halalas"]},
        format="json",
        **idem(),
    )
    assert extended.status_code == 200, extended.content
    assert extended.json()["visa"]["expires_on"] == quote["new_expiry"]
    assert (
        api.get(f"/api/v1/requests/{extended.json()['request_number']}/").json()["service_type"]
        == "exit_reentry_extend"
    )


def test_cancelling_a_final_exit(api, resident):
    issued = api.post(
        "/api/v1/final-exits/", {"iqama_number": resident.iqama_number}, format="json", **idem()
    ).json()
    number = issued["final_exit_number"]
    check = api.post(
        f"/api/v1/final-exits/{number}/cancel/eligibility/", {}, format="json", **idem()
    )
    assert check.status_code == 200 and check.json()["eligible"] is True
    cancelled = api.post(f"/api/v1/final-exits/{number}/cancel/", {}, format="json", **idem())
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["final_exit"]["status"] == "cancelled"
    resident.refresh_from_db()
    assert resident.status == ResidentStatus.ACTIVE
