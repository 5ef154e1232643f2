from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from muqeem.integrations.models import IntegrationKind
from muqeem.integrations.services import integration_credential_create
from tests.factories import UserFactory


def credential_client(kind: str, name: str = "agency") -> APIClient:
    credential, key = integration_credential_create(name=name, kind=kind)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.credential = credential
    return client


@pytest.fixture
def traffic_client(db) -> APIClient:
    return credential_client(IntegrationKind.TRAFFIC, "Traffic department")


@pytest.fixture
def insurance_client(db) -> APIClient:
    return credential_client(IntegrationKind.INSURANCE, "Health insurance council")


@pytest.fixture
def operator(db):
    return UserFactory(establishment=None, is_staff=True, staff_role="operator")


@pytest.fixture
def auditor(db):
    return UserFactory(establishment=None, is_staff=True, staff_role="auditor")


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client
