"""The bank's API: bill inquiry and payment confirmation, errors in the one envelope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.integrations.models import IntegrationKind
from muqeem.integrations.services import (
    integration_credential_create,
    integration_credential_revoke,
)
from muqeem.payments.models import BillStatus
from muqeem.payments.numbers import bill_number_new

from .conftest import new_bill, paid_at_iso

pytestmark = pytest.mark.django_db
PAY = "/api/bank/v1/payments/"


def bill_url(number: str) -> str:
    return f"/api/bank/v1/bills/{number}/"


def pay(client, bill, reference="BNK-1", amount=None, **headers):
    body = {
        "bill_number": bill.number,
        "amount": amount if amount is not None else f"{bill.amount_halalas / 100:.2f}",
        "payment_reference": reference,
        "paid_at": paid_at_iso(),
    }
    return client.post(PAY, body, format="json", **headers)


def test_inquiry_shows_amount_due_status_and_establishment(bank_client, bill, establishment):
    response = bank_client.get(bill_url(bill.number))
    assert response.status_code == 200
    body = response.json()
    assert body["amount_due"] == "500.00" and body["amount_halalas"] == 50_000
    assert body["status"] == "unpaid" and body["payable"] is True
    assert body["establishment"]["name_en"] == establishment.name_en
    assert body["establishment"]["number"] == establishment.moi_number


def test_confirmation_201_then_200_on_replay_credits_once(bank_client, bill, establishment):
    before = establishment.balance_halalas
    first = pay(bank_client, bill)
    assert first.status_code == 201, first.json()
    assert first.json()["replayed"] is False and first.json()["status"] == "paid"
    again = pay(bank_client, bill)
    assert again.status_code == 200 and again.json()["replayed"] is True
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before + 50_000
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and bill.confirmed_via == bank_client.credential
    inquiry = bank_client.get(bill_url(bill.number)).json()
    assert inquiry["amount_due"] == "0.00" and inquiry["payable"] is False


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount": "499.99"}, 409, "BILL_AMOUNT_MISMATCH"),
        ({"amount": "abc"}, 400, "VALIDATION_FAILED"),
        ({"bill_number": "123"}, 400, "VALIDATION_FAILED"),
        ({"bill_number": "UNKNOWN"}, 404, "BILL_NOT_FOUND"),
        ({"payment_reference": ""}, 400, "VALIDATION_FAILED"),
    ],
)
def test_refused_confirmations_use_the_envelope(bank_client, bill, change, status, code):
    body = {
        "bill_number": bill.number,
        "amount": "500.00",
        "payment_reference": "R",
        "paid_at": paid_at_iso(),
    } | change
    if body["bill_number"] == "UNKNOWN":
        body["bill_number"] = bill_number_new()
    response = bank_client.post(PAY, body, format="json", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == status
    out = response.json()
    assert out["code"] == code
    assert out["messages"]["ar"] and out["messages"]["en"] and out["request_id"]
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID


def test_another_reference_for_a_paid_bill_is_a_conflict(bank_client, bill):
    assert pay(bank_client, bill, "A").status_code == 201
    response = pay(bank_client, bill, "B")
    assert response.status_code == 409 and response.json()["code"] == "BILL_PAYMENT_CONFLICT"


def test_unknown_or_mistyped_bill_inquiry(bank_client, bill):
    unknown = bank_client.get(bill_url(bill_number_new()))
    assert unknown.status_code == 404 and unknown.json()["code"] == "BILL_NOT_FOUND"
    typo = bill.number[:-1] + str((int(bill.number[-1]) + 1) % 10)
    mistyped = bank_client.get(bill_url(typo))
    assert mistyped.status_code == 400 and "bill_number" in mistyped.json()["fields"]


@pytest.mark.parametrize("kind", [IntegrationKind.BORDER, IntegrationKind.POSTAL])
def test_other_partners_and_anonymous_are_refused(bill, kind):
    _credential, key = integration_credential_create(name="x", kind=kind)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert other.get(bill_url(bill.number)).status_code == 403
    assert pay(other, bill).status_code == 403
    anonymous = APIClient()
    assert anonymous.get(bill_url(bill.number)).status_code in (401, 403)
    assert pay(anonymous, bill).status_code in (401, 403)
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID


def test_revoked_bank_key_is_refused(bank_client, bill):
    integration_credential_revoke(credential=bank_client.credential)
    response = bank_client.get(bill_url(bill.number))
    assert response.status_code == 401 and response.json()["code"] == "CREDENTIAL_INVALID"


def test_establishment_session_cannot_use_the_bank_api(client, hr_officer, bill):
    client.force_login(hr_officer)
    assert client.get(bill_url(bill.number)).status_code in (401, 403)


def test_cancelled_bill_is_not_payable(bank_client, hr_officer):
    from muqeem.payments.services import bill_cancel

    bill = new_bill(hr_officer, 300)
    bill_cancel(actor=hr_officer, number=bill.number)
    response = pay(bank_client, bill)
    assert response.status_code == 409 and response.json()["code"] == "BILL_NOT_PAYABLE"
    assert "cancelled" in response.json()["messages"]["en"].lower()
