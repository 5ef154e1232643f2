"""Fixtures for Wasel: an order in the post, the post's API client, staff and officer browsers."""

from __future__ import annotations

import json
import re
from itertools import count

import pytest
from rest_framework.test import APIClient

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.delivery.models import DeliveryOrder, DeliveryReason
from muqeem.delivery.services import card_reprint_order
from muqeem.integrations.models import IntegrationKind
from muqeem.integrations.services import integration_credential_create
from tests.factories import UserFactory

_keys = count(1)


def reprint(officer, resident, reason=DeliveryReason.DAMAGED, key=None, **kwargs):
    return card_reprint_order(
        actor=officer,
        iqama_number=resident.iqama_number,
        reason=reason,
        idempotency_key=key or f"reprint-{next(_keys)}",
        **kwargs,
    )


def credential_client(kind: str, name: str = "partner") -> APIClient:
    credential, key = integration_credential_create(name=name, kind=kind)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.credential = credential
    return client


def outbox(settings) -> list[dict]:
    path = settings.SMS_FILE_PATH
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def token_in(html: bytes) -> str:
    match = re.search(rb'name="token" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1).decode()


@pytest.fixture(autouse=True)
def _own_sms_outbox(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"


@pytest.fixture
def order(hr_officer, resident) -> DeliveryOrder:
    return reprint(hr_officer, resident).order


@pytest.fixture
def postal_client(db) -> APIClient:
    return credential_client(IntegrationKind.POSTAL, "Saudi Post")


@pytest.fixture
def staff_user(db):
    return UserFactory(establishment=None, is_staff=True, staff_role="operator")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def officer_client(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client
