"""Another establishment's record is a 404 with exactly the body a missing one gets (but for the
request id): nothing confirms it exists."""

from __future__ import annotations

import pytest

from muqeem.api.tests.conftest import idem
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.eservices.final_exit.services import final_exit_issue
from muqeem.fees.models import LedgerJournal
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

MISSING_IQAMA = "2999999994"  # valid check digit, nobody's
MISSING_VISA = "5999999999"
MISSING_FINAL_EXIT = "6999999999"
MISSING_REQUEST = "1999999999"


@pytest.fixture
def theirs(other_officer, other_establishment):
    """Another establishment's resident, visa, final exit and requests."""
    resident = ResidentFactory(establishment=other_establishment)
    visa = visa_issue(
        actor=other_officer,
        iqama_number=resident.iqama_number,
        terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 10),
        idempotency_key="their-visa",
    ).visa
    leaver = ResidentFactory(establishment=other_establishment)
    final_exit = final_exit_issue(
        actor=other_officer, identifier=leaver.iqama_number, idempotency_key="their-fe"
    ).final_exit
    return {"resident": resident, "visa": visa, "final_exit": final_exit}


def _same_404(theirs_response, missing_response):
    assert theirs_response.status_code == missing_response.status_code == 404
    a, b = theirs_response.json(), missing_response.json()
    assert a.pop("request_id") and b.pop("request_id")
    assert a == b
    return a["code"]


def test_reads_of_another_establishment_are_indistinguishable_from_missing(api, theirs):
    iqama, visa, fe = theirs["resident"].iqama_number, theirs["visa"], theirs["final_exit"]
    pairs = [
        (f"/api/v1/residents/{iqama}/", f"/api/v1/residents/{MISSING_IQAMA}/"),
        (f"/api/v1/residents/{iqama}/history/", f"/api/v1/residents/{MISSING_IQAMA}/history/"),
        (f"/api/v1/visas/{visa.number}/", f"/api/v1/visas/{MISSING_VISA}/"),
        (f"/api/v1/visas/{visa.number}/document/", f"/api/v1/visas/{MISSING_VISA}/document/"),
        (f"/api/v1/final-exits/{fe.number}/", f"/api/v1/final-exits/{MISSING_FINAL_EXIT}/"),
        (f"/api/v1/requests/{visa.request.number}/", f"/api/v1/requests/{MISSING_REQUEST}/"),
    ]
    codes = [
        _same_404(api.get(theirs_url), api.get(missing_url)) for theirs_url, missing_url in pairs
    ]
    assert codes == [
        "RESIDENT_NOT_FOUND",
        "RESIDENT_NOT_FOUND",
        "VISA_NOT_FOUND",
        "VISA_NOT_FOUND",
        "FINAL_EXIT_NOT_FOUND",
        "NOT_FOUND",
    ]


def test_list_never_shows_another_establishments_residents(api, resident, theirs):
    numbers = [r["iqama_number"] for r in api.get("/api/v1/residents/").json()["results"]]
    assert numbers == [resident.iqama_number]
    filtered = api.get("/api/v1/residents/", {"iqama_number": theirs["resident"].iqama_number})
    assert filtered.json()["results"] == []


def test_writes_on_another_establishments_records_are_404_and_change_nothing(api, theirs):
    iqama, visa = theirs["resident"].iqama_number, theirs["visa"]
    requests_before = ServiceRequest.objects.count()
    journals_before = LedgerJournal.objects.count()
    writes = [
        (
            "/api/v1/iqama-renewals/eligibility/",
            {"iqama_number": iqama, "period_months": 12},
            {"iqama_number": MISSING_IQAMA, "period_months": 12},
        ),
        (
            "/api/v1/iqama-renewals/",
            {"iqama_number": iqama, "period_months": 12},
            {"iqama_number": MISSING_IQAMA, "period_months": 12},
        ),
        (
            "/api/v1/visas/",
            {
                "iqama_number": iqama,
                "visa_type": "single",
                "duration_unit": "days",
                "duration_value": 5,
            },
            {
                "iqama_number": MISSING_IQAMA,
                "visa_type": "single",
                "duration_unit": "days",
                "duration_value": 5,
            },
        ),
        (
            "/api/v1/final-exits/",
            {"iqama_number": iqama},
            {"iqama_number": MISSING_IQAMA},
        ),
    ]
    for url, their_body, missing_body in writes:
        _same_404(
            api.post(url, their_body, format="json", **idem()),
            api.post(url, missing_body, format="json", **idem()),
        )
    fe = theirs["final_exit"]
    for their_url, missing_url, body in [
        (f"/api/v1/visas/{visa.number}/cancel/", f"/api/v1/visas/{MISSING_VISA}/cancel/", {}),
        (
            f"/api/v1/visas/{visa.number}/extend/",
            f"/api/v1/visas/{MISSING_VISA}/extend/",
            {"months": 1},
        ),
        (
            f"/api/v1/final-exits/{fe.number}/cancel/",
            f"/api/v1/final-exits/{MISSING_FINAL_EXIT}/cancel/",
            {},
        ),
    ]:
        _same_404(
            api.post(their_url, body, format="json", **idem()),
            api.post(missing_url, body, format="json", **idem()),
        )
    assert ServiceRequest.objects.count() == requests_before
    assert LedgerJournal.objects.count() == journals_before
    visa.refresh_from_db()
    assert visa.status == "issued"
