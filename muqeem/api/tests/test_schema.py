"""The OpenAPI document: valid, documented errors and security, served with local Swagger UI and
Redoc; and schemathesis fuzzing every operation against it."""

from __future__ import annotations

import re
import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from muqeem.api.apis.common import EXAMPLE_IQAMA
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from tests.factories import DependentFactory, ResidentFactory

pytestmark = pytest.mark.django_db
SCHEMA_URL = "/api/v1/schema/"


def _schema_json():
    response = APIClient().get(SCHEMA_URL, {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_and_covers_every_operation():
    schema = _schema_json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in [
        "/api/v1/residents/",
        "/api/v1/residents/{iqama_number}/",
        "/api/v1/iqama-renewals/eligibility/",
        "/api/v1/iqama-renewals/",
        "/api/v1/visas/eligibility/",
        "/api/v1/visas/",
        "/api/v1/visas/{number}/",
        "/api/v1/visas/{number}/cancel/",
        "/api/v1/visas/{number}/document/",
        "/api/v1/final-exits/eligibility/",
        "/api/v1/final-exits/",
        "/api/v1/balance/",
        "/api/v1/requests/{number}/",
    ]:
        assert path in paths, path
    # The authority's integration endpoints are not part of the public document.
    assert not any(p.startswith(("/api/border", "/api/postal")) for p in paths)


def test_every_operation_is_secured_and_documents_errors_with_the_envelope():
    schema = _schema_json()
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "mqk_…",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {
        "code",
        "message",
        "messages",
        "violations",
        "fields",
        "request_id",
    }
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert operation["security"] == [{"ApiKey": []}], (path, method)
            for code in ("400", "401", "403", "429"):
                ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (path, method, code)
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            assert "Accept-Language" in headers
            if method == "post":
                assert "Idempotency-Key" in headers, path
                assert "422" in operation["responses"] and "409" in operation["responses"]


def test_swagger_ui_and_redoc_are_served_locally():
    client = APIClient()
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert not re.search(r"""(src|href)=["']https?://""", html), url


@pytest.fixture
def seeded(establishment, hr_officer, make_client):
    """The establishment of the examples in the schema, with a few residents and a visa."""
    ResidentFactory(establishment=establishment, iqama_number=EXAMPLE_IQAMA)
    people = ResidentFactory.create_batch(3, establishment=establishment)
    DependentFactory(resident=people[0])
    visa_issue(
        actor=hr_officer,
        iqama_number=people[1].iqama_number,
        terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 20),
        idempotency_key="seed-visa",
    )
    return make_client(name="schemathesis")


@pytest.fixture
def keep_connection_open():
    """The WSGI handler closes the database connection after each request, which would end the
    test's transaction on PostgreSQL; Django's own test client suspends this the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_schemathesis_finds_no_server_error_and_no_response_outside_the_schema(
    seeded, keep_connection_open, settings
):
    # Fuzzing is a burst far above the rate limit; the limit has its own test.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min"},
    }
    started = time.monotonic()
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
    auth = {"Authorization": f"Bearer {seeded.secret}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    # Valid requests (the schema's examples first, then generated ones) must conform; invalid ones
    # (wrong types, missing fields, bad headers) must be refused with a documented 4xx, never a 5xx.
    modes = [
        (GenerationMode.POSITIVE, 10, CHECKS),
        (GenerationMode.NEGATIVE, 5, [not_a_server_error, status_code_conformance]),
    ]
    for mode, examples, checks in modes:
        for operation in operations:
            _fuzz(operation, mode, examples, checks, auth)

    assert time.monotonic() - started < 60


def _fuzz(operation, mode, examples, checks, headers):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case):
        case.call_and_validate(headers=headers, checks=checks)

    exercise()
