"""The authority's side end to end in headless Chromium, as issue "back office" defines done: staff
change a fee for tomorrow, record a traffic fine that then blocks a renewal, approve an exception
that lets the renewal through (once), and confirm a SADAD bill that credits the balance.
Screenshots: var/screenshots/authority-*.png."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from muqeem.core.dates import today
from muqeem.exception_requests.models import ExceptionRequest, ExceptionStatus
from muqeem.fees.models import ScheduleEntry
from muqeem.payments.models import Bill
from muqeem.residents.models import Resident
from tests.browser.conftest import NewPage, latest_security_code
from tests.browser.pages import (
    RENEW_URL,
    amount_halalas,
    enter_security_code,
    log_in,
    verify_data,
)
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.browser

FEE = "renewal.iqama_fee_per_year"


def _page(new_page: NewPage, live_server: Any, lang: str) -> Page:
    page = new_page()
    page.context.add_cookies([{"name": "muqeem_language", "value": lang, "url": live_server.url}])
    return page


def supervisor_schedules_a_fee_for_tomorrow(
    boss: Page, supervisor: Any, screenshot: Any, lang: str
) -> None:
    tomorrow = today() + timedelta(days=1)
    boss.goto(f"/authority/schedule/{FEE}/")
    log_in(boss, supervisor.username)
    boss.goto(f"/authority/schedule/{FEE}/")
    boss.locator("#id_value").fill("700")
    boss.locator("#id_effective_from").fill(tomorrow.isoformat())
    boss.locator("#id_note").fill("Decision 15/1448")
    boss.locator("#schedule-change-submit").click()
    expect(boss.locator("#schedule-history tr.state-scheduled")).to_have_count(1)
    screenshot(boss, f"authority-schedule-{lang}")
    entry = ScheduleEntry.objects.get(key=FEE, effective_from=tomorrow)
    assert entry.value == 70000 and entry.created_by == supervisor
    boss.goto("/authority/schedule/")
    expect(boss.locator(f"#key-{FEE.replace('.', '')} .badge")).to_be_visible()


def operator_records_a_fine(
    ops: Page, operator: Any, resident: Any, screenshot: Any, lang: str
) -> None:
    ops.goto("/authority/agency/")
    log_in(ops, operator.username)
    ops.goto(f"/authority/agency/?iqama_number={resident.iqama_number}")
    ops.locator("#id_fine_number").fill("TF-2026-000123")
    ops.locator("#id_amount").fill("300")
    ops.locator("#id_violation").fill("Speeding" if lang == "en" else "تجاوز السرعة")
    ops.locator("#id_issued_on").fill(today().isoformat())
    ops.locator("#fine-save").click()
    expect(ops.locator("#unpaid-total")).to_contain_text("300.00")
    screenshot(ops, f"authority-fine-{lang}")
    assert Resident.objects.get(pk=resident.pk).unpaid_traffic_fines_halalas == 30000


def bill_confirmed_from_the_bank_file(
    officer: Page, ops: Page, establishment: Any, screenshot: Any, lang: str
) -> None:
    officer.goto("/payments/")
    before = amount_halalas(officer.locator("#balance").inner_text())
    officer.locator("#id_amount").fill("1500")
    officer.locator("#create-bill-button").click()
    expect(officer.locator("#bill-number")).to_be_visible()
    bill = Bill.objects.get(establishment=establishment, amount_halalas=150_000)
    ops.goto(f"/authority/payments/bills/{bill.number}/")
    ops.locator("#id_amount").fill("1500")
    ops.locator("#id_payment_reference").fill(f"BANKFILE-{lang}-0001")
    # Now, to the minute (any fixed hour would be in the future early in the day).
    ops.locator("#id_paid_at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    ops.locator("#confirm-button").click()
    expect(ops.locator("#bill-status [data-status='paid']")).to_be_visible()
    screenshot(ops, f"authority-bill-paid-{lang}")
    officer.goto("/payments/")
    assert amount_halalas(officer.locator("#balance").inner_text()) == before + 150_000


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_fee_change_fine_exception_and_sadad_bill(
    new_page: NewPage,
    live_server: Any,
    establishment: Any,
    hr_officer: Any,
    screenshot: Any,
    lang: str,
) -> None:
    resident = ResidentFactory(establishment=establishment)
    supervisor = UserFactory(establishment=None, is_staff=True, staff_role="supervisor")
    operator = UserFactory(establishment=None, is_staff=True, staff_role="operator")

    # 1. A supervisor schedules a new iqama fee from tomorrow.
    boss = _page(new_page, live_server, lang)
    supervisor_schedules_a_fee_for_tomorrow(boss, supervisor, screenshot, lang)

    # 2. An operator records a traffic fine in the agency data.
    ops = _page(new_page, live_server, lang)
    operator_records_a_fine(ops, operator, resident, screenshot, lang)

    # 3. The officer's renewal is refused for the fine, with the way to ask for an exception.
    officer = _page(new_page, live_server, lang)
    officer.goto(RENEW_URL)
    log_in(officer, hr_officer.username)
    _id, code = latest_security_code(establishment.registered_mobile)
    enter_security_code(officer, code)
    verify_data(officer, resident.iqama_number, 12)
    expect(officer.locator('[data-code="UNPAID_TRAFFIC_FINES"]').first).to_be_visible()
    link = officer.locator('a[data-exception-code="UNPAID_TRAFFIC_FINES"]')
    expect(link).to_be_visible()
    screenshot(officer, f"authority-refused-{lang}")
    link.click()
    officer.locator("#id_reason").fill("The fine is under objection at the traffic department.")
    officer.locator("#file-button").click()
    expect(officer.locator("#exception-status [data-status='pending']")).to_be_visible()
    exception = ExceptionRequest.objects.get(resident=resident)

    # 4. The supervisor approves it.
    boss.goto(f"/authority/exceptions/{exception.number}/")
    boss.locator("#id_reason").fill("Objection registered.")
    boss.locator("#approve-button").click()
    expect(boss.locator("#exception-status [data-status='approved']")).to_be_visible()

    # 5. The renewal goes through once; the fine stays owed to the traffic department.
    officer.goto(RENEW_URL)
    verify_data(officer, resident.iqama_number, 12)
    expect(officer.locator("#verified")).to_be_visible()
    officer.locator("#renew-button").click()
    officer.locator("#confirm-renew-button").click()
    expect(officer).to_have_url(re.compile(r"/requests/\d+/$"))
    screenshot(officer, f"authority-renewed-{lang}")
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.USED
    assert Resident.objects.get(pk=resident.pk).unpaid_traffic_fines_halalas == 30000

    # 6. A SADAD bill, confirmed by an operator from the bank's file, credits the balance.
    bill_confirmed_from_the_bank_file(officer, ops, establishment, screenshot, lang)
