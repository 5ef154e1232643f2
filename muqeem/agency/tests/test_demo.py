from __future__ import annotations

import pytest

from muqeem.agency.demo import DEMO_AGENCIES, demo_key, seed_demo
from muqeem.integrations.models import IntegrationCredential
from muqeem.integrations.services import integration_credential_authenticate

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_its_keys_work():
    first = seed_demo()
    second = seed_demo()
    assert first == second
    assert IntegrationCredential.objects.count() == len(DEMO_AGENCIES)
    for kind, _name in DEMO_AGENCIES:
        assert any(line.strip() == f"{kind} API key: {demo_key(kind)}" for line in first)
        credential = integration_credential_authenticate(key=demo_key(kind))
        assert credential is not None and credential.kind == kind
