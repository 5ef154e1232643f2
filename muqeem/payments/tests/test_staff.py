"""The authority's SADAD pages by role: search, bill page, manual confirmation (operator), reversal
and refund (supervisor), auditors read only; establishment users get 404."""

from __future__ import annotations

import pytest

from muqeem.fees.models import JournalKind, LedgerJournal
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.payments.models import BillStatus

from .conftest import confirm, new_bill, staff

pytestmark = pytest.mark.django_db
URL = "/authority/payments/"


def detail(bill) -> str:
    return f"{URL}bills/{bill.number}/"


def manual(bill, reference="FILE-1", amount="500.00"):
    return {"amount": amount, "payment_reference": reference, "paid_at": "2026-01-05T10:30"}


@pytest.mark.parametrize("role", ["auditor", "operator", "supervisor"])
def test_every_role_reads_and_searches(client, bill, establishment, role):
    client.force_login(staff(role))
    for q in (bill.number, establishment.moi_number, establishment.name_en[:8], ""):
        response = client.get(URL, {"q": q})
        assert response.status_code == 200
        assert f'data-bill="{bill.number}"' in response.content.decode()
    assert client.get(URL, {"q": "nothing-like-this"}).content.decode().count("data-bill=") == 0
    page = client.get(detail(bill)).content.decode()
    assert bill.number in page
    assert ('id="confirm-form"' in page) == (role != "auditor")
    assert 'id="reverse-form"' not in page


@pytest.mark.parametrize(
    ("role", "allowed"), [("auditor", False), ("operator", True), ("supervisor", True)]
)
def test_manual_confirmation_by_role(client, bill, establishment, role, allowed):
    client.force_login(staff(role))
    before = establishment.balance_halalas
    response = client.post(f"{detail(bill)}confirm/", manual(bill))
    bill.refresh_from_db()
    establishment.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert bill.status == BillStatus.PAID and bill.payment_reference == "FILE-1"
        assert establishment.balance_halalas == before + bill.amount_halalas
        again = client.post(f"{detail(bill)}confirm/", manual(bill))
        assert again.status_code == 302
    else:
        assert response.status_code == 403 and bill.status == BillStatus.UNPAID
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )


def test_manual_confirmation_with_a_wrong_amount_shows_the_error(client, bill, operator):
    client.force_login(operator)
    response = client.post(f"{detail(bill)}confirm/", manual(bill, amount="400"))
    assert response.status_code == 409
    assert b'data-code="BILL_AMOUNT_MISMATCH"' in response.content


@pytest.mark.parametrize(
    ("role", "status"), [("auditor", 403), ("operator", 403), ("supervisor", 302)]
)
def test_reversal_by_role(client, bill, establishment, role, status):
    confirm(bill, "R")
    user = staff(role)
    client.force_login(user)
    page = client.get(detail(bill)).content.decode()
    assert ('id="reverse-form"' in page) == (role == "supervisor")
    response = client.post(f"{detail(bill)}reverse/", {"reason": "Bank recalled it"})
    assert response.status_code == status
    reversed_ = LedgerJournal.objects.filter(kind=JournalKind.REVERSAL).exists()
    assert reversed_ == (role == "supervisor")
    if reversed_:
        page = client.get(detail(bill)).content.decode()
        assert 'id="reversal"' in page and "Bank recalled it" in page
        assert 'id="reverse-form"' not in page
    establishment.refresh_from_db()
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )


def test_reversal_needs_a_reason(client, bill, supervisor):
    confirm(bill, "R")
    client.force_login(supervisor)
    response = client.post(f"{detail(bill)}reverse/", {"reason": ""})
    assert response.status_code == 400
    assert not LedgerJournal.objects.filter(kind=JournalKind.REVERSAL).exists()


def test_refund_page(client, establishment, supervisor, auditor):
    url = f"{URL}establishments/{establishment.moi_number}/refund/"
    client.force_login(auditor)
    assert 'id="refund-form"' not in client.get(url).content.decode()
    assert client.post(url, {"amount": "10", "reason": "x", "key": "a" * 32}).status_code == 403
    client.force_login(supervisor)
    page = client.get(url).content.decode()
    assert 'id="refund-form"' in page
    before = establishment.balance_halalas
    body = {"amount": "250.00", "reason": "Closing the account", "key": "b" * 32}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before - 25_000
    assert "Closing the account" in client.get(url).content.decode()
    too_much = {"amount": "99999999", "reason": "x", "key": "c" * 32}
    response = client.post(url, too_much)
    assert response.status_code == 400 and b'data-code="INSUFFICIENT_BALANCE"' in response.content


def test_establishment_users_and_anonymous_do_not_see_the_console(client, hr_officer, bill):
    assert client.get(URL).status_code == 302
    client.force_login(hr_officer)
    assert client.get(URL).status_code == 404
    assert client.get(detail(bill)).status_code == 404
    assert client.post(f"{detail(bill)}confirm/", manual(bill)).status_code == 404


def test_unknown_bill_is_404(client, operator):
    client.force_login(operator)
    assert client.get(f"{URL}bills/123456789012/").status_code == 404


def test_staff_list_query_count_does_not_grow(
    client, operator, hr_officer, other_officer, django_assert_max_num_queries
):
    client.force_login(operator)
    new_bill(hr_officer)
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    for i in range(10):
        new_bill(other_officer if i % 2 else hr_officer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.content.decode().count("data-bill=") == 11


def test_a_payment_time_in_the_future_is_told_at_its_field(client, bill, establishment, operator):
    client.force_login(operator)
    before = establishment.balance_halalas
    data = {**manual(bill), "paid_at": "2099-01-05T10:30"}
    response = client.post(f"{detail(bill)}confirm/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-paid_at"' in page
    assert "The payment time is in the future." in page or "المستقبل" in page
    bill.refresh_from_db()
    establishment.refresh_from_db()
    assert bill.status == BillStatus.UNPAID
    assert establishment.balance_halalas == before
