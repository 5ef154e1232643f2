"""Stateful fuzzing of the API: schemathesis links the operations from the schema itself (a visa
number a POST returns feeds the GETs and POSTs that take one; a transfer number feeds approve, reject
and withdraw), then runs random sequences of calls. Whatever the sequence, no 5xx and no response
outside the schema's status codes and content types."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from muqeem.api.apis.common import EXAMPLE_IQAMA
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from tests.factories import DependentFactory, ResidentFactory

pytestmark = pytest.mark.django_db
SCHEMA_URL = "/api/v1/schema/"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@pytest.fixture
def key(establishment, hr_officer, make_client):
    ResidentFactory(establishment=establishment, iqama_number=EXAMPLE_IQAMA)
    people = ResidentFactory.create_batch(3, establishment=establishment)
    DependentFactory(resident=people[0])
    visa_issue(
        actor=hr_officer,
        iqama_number=people[1].iqama_number,
        terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 20),
        idempotency_key="stateful-visa",
    )
    return make_client(name="stateful")


@pytest.fixture
def keep_connection_open():
    """As in test_schema: the WSGI handler would close the test's connection after each call."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_schema_links_operations_that_produce_and_consume_numbers():
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
    machine = schema.as_state_machine()
    rules = [name for name, value in vars(machine).items() if callable(value) and "__" in name]
    linked = " ".join(rules)
    # Transfers created by POST feed approve, reject and withdraw; residents listed feed the file.
    assert "POST_api_v1_transfers___201" in linked
    assert "POST_api_v1_transfers_number_approve_" in linked
    assert "GET_api_v1_residents_iqama_number_" in linked
    assert "POST_api_v1_visas_number_extend_" in linked


def test_stateful_sequences_find_no_server_error(key, keep_connection_open, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min"},
    }
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
    auth = {"Authorization": f"Bearer {key.secret}"}
    counter = {"n": 0}

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            counter["n"] += 1
            return {"headers": {**auth, "Idempotency-Key": f"stateful-{counter['n']}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Machine.run(
        settings=hypothesis_settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    assert counter["n"] > 15
