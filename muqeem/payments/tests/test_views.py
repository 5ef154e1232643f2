"""The establishment's pages: balance and bills, a new bill, the bill page, cancel, the receipt;
the permission matrix and the list's query count."""

from __future__ import annotations

import re

import pytest

from muqeem.accounts.permissions import Permission
from muqeem.payments.models import Bill, BillStatus
from tests.factories import UserFactory

from .conftest import confirm, new_bill, officer_login

pytestmark = pytest.mark.django_db
URL = "/payments/"


def key_in(html: str) -> str:
    match = re.search(r'name="key" value="([0-9a-f]{32})"', html)
    assert match, html[:2000]
    return match.group(1)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_page_shows_the_balance_and_the_bills(officer_client, establishment, bill, lang):
    officer_client.cookies["muqeem_language"] = lang
    response = officer_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-value="{establishment.balance_halalas}"' in html
    assert f'data-bill="{bill.number}"' in html
    assert 'id="statement-link"' in html
    assert ("رصيد" in html) == (lang == "ar")


def test_create_a_bill_and_a_double_submit_makes_one(officer_client):
    key = key_in(officer_client.get(URL).content.decode())
    first = officer_client.post(URL, {"amount": "1500", "key": key})
    again = officer_client.post(URL, {"amount": "1500", "key": key})
    bill = Bill.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/payments/bills/{bill.number}/"
    assert bill.amount_halalas == 150_000
    page = officer_client.get(first["Location"]).content.decode()
    assert 'id="biller-code"' in page and bill.number in page and 'id="cancel-form"' in page


@pytest.mark.parametrize(
    ("amount", "code"), [("50", "BILL_AMOUNT_INVALID"), ("x", "VALIDATION_FAILED")]
)
def test_invalid_amounts_are_refused_with_the_error_box(officer_client, amount, code):
    key = key_in(officer_client.get(URL).content.decode())
    response = officer_client.post(URL, {"amount": amount, "key": key})
    assert response.status_code == 400
    assert f'data-code="{code}"' in response.content.decode()
    assert Bill.objects.count() == 0


def test_cancel_from_the_bill_page(officer_client, bill):
    response = officer_client.post(f"/payments/bills/{bill.number}/cancel/")
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.status == BillStatus.CANCELLED
    again = officer_client.post(f"/payments/bills/{bill.number}/cancel/")
    assert again.status_code == 409 and b'data-code="BILL_NOT_CANCELLABLE"' in again.content


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_receipt_of_a_paid_bill_renders(officer_client, bill, lang):
    officer_client.cookies["muqeem_language"] = lang
    assert officer_client.get(f"/payments/bills/{bill.number}/receipt.pdf").status_code == 404
    confirm(bill, "BNK-R")
    page = officer_client.get(f"/payments/bills/{bill.number}/").content.decode()
    assert 'id="receipt-link"' in page and "BNK-R" in page and 'id="cancel-form"' not in page
    response = officer_client.get(f"/payments/bills/{bill.number}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_receipt_html_has_the_payment(bill):
    from muqeem.documents.pdf import render_html
    from muqeem.payments.models import SADAD_BILLER_CODE

    bill = confirm(bill, "BNK-H").bill
    html = render_html(
        "payments/receipt_pdf.html",
        {"bill": bill, "biller_code": SADAD_BILLER_CODE, "issued_on": bill.paid_on},
        language="ar",
    )
    assert bill.number in html and "BNK-H" in html and "500.00" in html and 'dir="rtl"' in html


# --- permissions ---------------------------------------------------------------------------------


def test_officer_without_the_payments_permission_gets_403(client, establishment, bill):
    officer = UserFactory(establishment=establishment, service_permissions=[Permission.REPORTS])
    officer_login(client, officer)
    assert client.get(URL).status_code == 403
    assert client.get(f"/payments/bills/{bill.number}/").status_code == 403
    assert client.post(URL, {"amount": "500", "key": "a" * 32}).status_code == 403
    assert Bill.objects.count() == 1


def test_main_user_without_listed_permissions_may_pay(client, establishment):
    main = UserFactory(establishment=establishment, is_main_user=True, service_permissions=[])
    officer_login(client, main)
    assert client.get(URL).status_code == 200


def test_another_establishments_bill_is_404(client, other_officer, bill):
    officer_login(client, other_officer)
    for path in ("", "receipt.pdf"):
        assert client.get(f"/payments/bills/{bill.number}/{path}").status_code == 404
    assert client.post(f"/payments/bills/{bill.number}/cancel/").status_code == 404
    assert client.get("/payments/bills/000000000000/").status_code == 404
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID


def test_staff_and_anonymous_cannot_open_the_portal_page(client, operator):
    assert client.get(URL).status_code == 302
    client.force_login(operator)
    assert client.get(URL).status_code == 404


def test_statement_link_only_with_the_reports_permission(client, establishment):
    officer = UserFactory(establishment=establishment, service_permissions=[Permission.PAYMENTS])
    officer_login(client, officer)
    assert 'id="statement-link"' not in client.get(URL).content.decode()


def test_menu_link_follows_the_permission(client, establishment):
    payer = UserFactory(establishment=establishment, service_permissions=[Permission.PAYMENTS])
    officer_login(client, payer)
    assert 'id="payments-link"' in client.get("/").content.decode()
    other = UserFactory(establishment=establishment, service_permissions=[Permission.REPORTS])
    officer_login(client, other)
    assert 'id="payments-link"' not in client.get("/").content.decode()


def test_list_query_count_does_not_grow_with_bills(
    officer_client, hr_officer, django_assert_max_num_queries
):
    for i in range(3):
        new_bill(hr_officer, key=f"a{i}")
    with django_assert_max_num_queries(20) as few:
        officer_client.get(URL)
    for i in range(15):
        confirm(new_bill(hr_officer, key=f"b{i}"), f"REF-{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = officer_client.get(URL)
    assert response.content.decode().count("data-bill=") == 18
