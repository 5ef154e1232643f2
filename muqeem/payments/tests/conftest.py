"""Fixtures for SADAD bills: a bill, the bank's API client, staff of each role, an officer browser."""

from __future__ import annotations

from datetime import datetime
from itertools import count

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.integrations.models import IntegrationKind
from muqeem.integrations.services import integration_credential_create
from muqeem.payments.models import Bill
from muqeem.payments.services import bill_create, bill_payment_confirm
from tests.factories import UserFactory

_keys = count(1)


def new_bill(officer, riyals: int = 500, key: str | None = None) -> Bill:
    return bill_create(
        actor=officer, amount_halalas=riyals * 100, idempotency_key=key or f"bill-{next(_keys)}"
    ).bill


def confirm(bill: Bill, reference: str = "BNK-1", amount: int | None = None, **kwargs):
    return bill_payment_confirm(
        number=bill.number,
        amount_halalas=bill.amount_halalas if amount is None else amount,
        payment_reference=reference,
        paid_at=kwargs.pop("paid_at", timezone.now()),
        **kwargs,
    )


def paid_at_iso() -> str:
    return datetime(2026, 1, 5, 10, 30, tzinfo=timezone.get_current_timezone()).isoformat()


@pytest.fixture(autouse=True)
def _own_sms_outbox(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"


@pytest.fixture
def bill(hr_officer) -> Bill:
    return new_bill(hr_officer)


@pytest.fixture
def bank_client(db) -> APIClient:
    credential, key = integration_credential_create(name="Demo bank", kind=IntegrationKind.BANK)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.credential = credential
    return client


def staff(role: str):
    return UserFactory(establishment=None, is_staff=True, staff_role=role)


@pytest.fixture
def operator(db):
    return staff("operator")


@pytest.fixture
def supervisor(db):
    return staff("supervisor")


@pytest.fixture
def auditor(db):
    return staff("auditor")


def officer_login(client, officer):
    client.force_login(officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


@pytest.fixture
def officer_client(client, hr_officer):
    return officer_login(client, hr_officer)
