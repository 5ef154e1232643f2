"""Balance top-up end to end in a browser: an officer creates a SADAD bill, the bank confirms it
through its API, the balance and the bill show it, the receipt opens; a supervisor reverses it in
the staff console. Screenshots of every page in Arabic and English (var/screenshots/payments-*)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from muqeem.integrations.models import IntegrationKind
from muqeem.integrations.services import integration_credential_create
from muqeem.payments.models import Bill
from tests.browser.pages import TEST_PASSWORD, amount_halalas, log_in


@pytest.fixture
def supervisor(transactional_db, django_db_serialized_rollback, django_user_model) -> Any:
    return django_user_model.objects.create_user(
        username="pay.super",
        password=TEST_PASSWORD,
        is_staff=True,
        staff_role="supervisor",
        mobile="966550000103",
    )


def bank_pays(bill: Bill, reference: str) -> int:
    _credential, key = integration_credential_create(name="Bank", kind=IntegrationKind.BANK)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = {
        "bill_number": bill.number,
        "amount": f"{bill.amount_halalas / 100:.2f}",
        "payment_reference": reference,
        "paid_at": "2026-01-05T10:30:00+03:00",
    }
    return client.post("/api/bank/v1/payments/", body, format="json").status_code


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_top_up_with_a_sadad_bill(
    live_server, new_page, hr_officer, establishment, supervisor, screenshot, lang
) -> None:
    page = new_page()
    page.context.add_cookies([{"name": "muqeem_language", "value": lang, "url": live_server.url}])
    page.goto("/accounts/login/")
    log_in(page, hr_officer.username)
    page.locator("#payments-link").click()
    expect(page.locator("#bill-create-form")).to_be_visible()
    before = amount_halalas(page.locator("#balance").inner_text())
    page.locator("#id_amount").fill("2500")
    page.locator("#create-bill-button").click()
    expect(page.locator("#bill-number")).to_be_visible()
    bill = Bill.objects.get(establishment=establishment)
    expect(page.locator("#bill-number")).to_contain_text(bill.number)
    screenshot(page, f"payments-bill-unpaid-{lang}")

    assert bank_pays(bill, f"BNK-{lang}") == 201
    page.reload()
    expect(page.locator("#payment-reference")).to_contain_text(f"BNK-{lang}")
    expect(page.locator("#receipt-link")).to_be_visible()
    screenshot(page, f"payments-bill-paid-{lang}")
    with page.expect_response(lambda r: r.url.endswith("receipt.pdf")) as receipt:
        page.evaluate("url => fetch(url)", f"/payments/bills/{bill.number}/receipt.pdf")
    assert receipt.value.status == 200

    page.goto("/payments/")
    assert amount_halalas(page.locator("#balance").inner_text()) == before + 250_000
    expect(page.locator(f'tr[data-bill="{bill.number}"] [data-status="paid"]')).to_be_visible()
    page.locator("#id_amount").fill("50")
    page.locator("#create-bill-button").click()
    expect(page.locator("#error-box")).to_have_attribute("data-code", "BILL_AMOUNT_INVALID")
    screenshot(page, f"payments-list-{lang}")

    staff = new_page()
    staff.context.add_cookies([{"name": "muqeem_language", "value": lang, "url": live_server.url}])
    staff.goto("/accounts/login/")
    log_in(staff, "pay.super")
    staff.goto(f"/authority/payments/?q={establishment.moi_number}")
    expect(staff.locator(f'tr[data-bill="{bill.number}"]')).to_be_visible()
    screenshot(staff, f"payments-staff-list-{lang}")
    staff.goto(f"/authority/payments/bills/{bill.number}/")
    staff.locator("#id_reason").fill("Recalled by the bank" if lang == "en" else "استرجعه البنك")
    staff.locator("#reverse-button").click()
    expect(staff.locator("#reversal")).to_be_visible()
    screenshot(staff, f"payments-staff-detail-{lang}")
    staff.goto(f"/authority/payments/establishments/{establishment.moi_number}/refund/")
    screenshot(staff, f"payments-staff-refund-{lang}")
