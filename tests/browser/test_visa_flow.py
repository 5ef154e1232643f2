"""End to end in headless Chromium: the exit and re-entry visa (تأشيرة خروج وعودة) from the E-Services
menu to its printed PDF, QR verification and cancellation; a final exit with a dependent; the
authority's border page; and a visa refused for every reason at once.

Run: `make test-browser`, or
`.venv/bin/python -m pytest -p no:cacheprovider -m browser tests/browser -x`.
Screenshots land in var/screenshots/ (gitignored): visa-flow-*, final-exit-*, border-*.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from muqeem.core.dates import format_gregorian, format_hijri, today
from muqeem.eservices.exit_reentry.fees import visa_issue_quote
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.eservices.final_exit.models import FinalExit, FinalExitStatus
from muqeem.fees.models import JournalKind, LedgerJournal
from muqeem.fees.selectors import schedule_at
from muqeem.residents.models import ResidentStatus
from muqeem.workflow.models import ServiceRequest
from tests.browser.conftest import SCREENSHOT_DIR, NewPage, latest_security_code
from tests.browser.pages import (
    LOGIN_PATH,
    SECURITY_CODE_PATH,
    amount_halalas,
    enter_security_code,
    expect_language,
    log_in,
    switch_language,
)
from tests.factories import TEST_PASSWORD, DependentFactory, ResidentFactory

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path]

VISA_URL = "/eservices/exit-reentry/"
VISA_PAGE_RE = re.compile(r"/eservices/exit-reentry/visas/(\d+)/$")
FINAL_EXIT_URL = "/eservices/final-exit/"
FINAL_EXIT_PAGE_RE = re.compile(r"/eservices/final-exit/(\d+)/$")
BORDER_URL = "/authority/border/"
VERIFY_URL_RE = r"/verify/([A-Za-z0-9_-]{16,64})/$"
VISA_FEE_CODE = "exit_reentry_visa_fee"
# The glossary's words (shared/docs/GLOSSARY.md) for the menu entries these tests open.
MENU_LABELS = {
    VISA_URL: {"ar": "تأشيرة خروج وعودة", "en": "Exit and re-entry visa"},
    FINAL_EXIT_URL: {"ar": "خروج نهائي", "en": "Final exit"},
}


# --- Steps shared by the tests ------------------------------------------------------------------


def charges_of(establishment: Any) -> int:
    return LedgerJournal.objects.filter(
        establishment=establishment, kind=JournalKind.CHARGE
    ).count()


def open_from_eservices_menu(
    page: Page, url: str, lang: str, screenshot: Screenshot | None = None, name: str = ""
) -> None:
    """The E-Services tab, then the service's entry in its drop-down (found by its link)."""
    menu = page.locator("#eservicesMenu")
    expect(menu).to_be_visible()
    menu.click()
    item = page.locator(f'ul[aria-labelledby="eservicesMenu"] a.dropdown-item[href="{url}"]')
    expect(item).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(item).to_have_text(MENU_LABELS[url][lang])
    if screenshot is not None:
        screenshot(page, name, full_page=False)
    item.click()


def pass_security_code(page: Page, establishment: Any, url: str) -> None:
    """The code sent to the establishment's registered mobile; Confirm; back on the service."""
    expect(page).to_have_url(re.compile(re.escape(SECURITY_CODE_PATH)))
    _message_id, code = latest_security_code(establishment.registered_mobile)
    enter_security_code(page, code)
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))


def reach_service(page: Page, officer: Any, url: str) -> None:
    """Straight to a service's page: login, then the security code, then back to the page."""
    page.goto(url)
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    log_in(page, officer.username)
    pass_security_code(page, officer.establishment, url)


def fill_visa_form(page: Page, iqama_number: str, *, unit: str, value: int) -> None:
    page.locator("#id_iqama_number").fill(iqama_number)
    page.locator("input[name=visa_type][value=single]").check()
    page.locator("#id_duration_unit").select_option(unit)
    page.locator("#id_duration_value").fill(str(value))
    page.locator("#verify-button").click()


def confirm_in_dialog(page: Page, screenshot: Screenshot | None = None, name: str = "") -> None:
    """The action button opens `<dialog id="confirm-dialog">`; its own button submits."""
    page.locator("#action-button").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-action-button")).to_be_visible()
    if screenshot is not None:
        screenshot(page, name, full_page=False)
    dialog.locator("#confirm-action-button").click()


def expect_dual_date(page: Page, selector: str, day: Any) -> None:
    """A date shown Gregorian then Hijri, each isolated left to right (`<bdi dir="ltr">`)."""
    cell = page.locator(selector)
    expect(cell).to_contain_text(format_gregorian(day))
    hijri = format_hijri(day)
    if hijri is not None:
        expect(cell).to_contain_text(hijri)
    expect(cell.locator('bdi[dir="ltr"]').first).to_have_text(format_gregorian(day))


def pdf_page_image(pdf: bytes, scale: float = 3) -> Any:
    document = pdfium.PdfDocument(pdf)
    try:
        pdf_page = document[0]
        image = pdf_page.render(scale=scale).to_pil()
        pdf_page.close()
    finally:
        document.close()
    return image


# --- 1. The Arabic visa flow --------------------------------------------------------------------


@dataclass
class VisaWalk:
    """One run of the Arabic visa flow: the persona and what the pages showed."""

    page: Page
    officer: Any
    resident: Any
    screenshot: Screenshot
    base_url: str
    return_by: date
    total: int = 0
    number: str = ""
    visa_path: str = ""

    def shot(self, name: str, *, full_page: bool = True) -> None:
        self.screenshot(self.page, f"visa-flow-{name}-ar", full_page=full_page)


def step_open_visa_service(w: VisaWalk) -> None:
    """Login in Arabic (right to left), E-Services → تأشيرة خروج وعودة, the security code."""
    page = w.page
    page.goto("/")
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    expect_language(page, "ar")
    log_in(page, w.officer.username)
    open_from_eservices_menu(page, VISA_URL, "ar", w.screenshot, "visa-flow-01-eservices-menu-ar")
    pass_security_code(page, w.officer.establishment, VISA_URL)
    expect_language(page, "ar")


def step_verify_visa(w: VisaWalk) -> None:
    """Single visa for 30 days; Verify data; Verified successfully, the dates and the one fee."""
    page = w.page
    fill_visa_form(page, w.resident.iqama_number, unit="days", value=30)
    expect(page.locator("#verified")).to_be_visible()
    expect(page.locator("#error-box")).to_have_count(0)
    expect(page.locator("#not-eligible")).to_have_count(0)
    expect(page.locator("#d-iqama")).to_have_text(w.resident.iqama_number)
    expect(page.locator("#d-name")).to_have_text(w.resident.name_ar)
    expect_dual_date(page, "#d-return-by", w.return_by)
    fees = page.locator("#fees")
    expect(fees.locator("tr[data-fee]")).to_have_count(1)
    fee_row = fees.locator(f"tr[data-fee={VISA_FEE_CODE}]")
    expect(fee_row).to_be_visible()
    expect(fees.locator("#fee-total")).to_contain_text("ريال")
    w.total = amount_halalas(fees.locator("#fee-total").inner_text())
    expected = visa_issue_quote(schedule_at(today()), visa_type="single", months=1)
    assert w.total == amount_halalas(fee_row.locator("td.amount").inner_text())
    assert w.total == expected.total_halalas
    w.shot("02-verified")


def step_issue_visa(w: VisaWalk) -> None:
    """Issue → the confirmation dialog → Issue: the visa's own page, valid and unused."""
    page = w.page
    confirm_in_dialog(page, w.screenshot, "visa-flow-03-confirm-dialog-ar")
    expect(page).to_have_url(VISA_PAGE_RE)
    match = VISA_PAGE_RE.search(page.url)
    assert match is not None
    w.number = match.group(1)
    w.visa_path = urlsplit(page.url).path
    expect(page.locator("#visa-status")).to_have_attribute("data-status", "issued")
    expect(page.locator("#visa-status")).to_have_text("سارية، لم تُستخدم")
    expect(page.locator("#v-number")).to_have_text(w.number)
    expect_dual_date(page, "#v-return-by", w.return_by)
    expect(page.locator("main .alert-success")).to_be_visible()
    w.shot("04-visa-issued")


def step_print_visa(w: VisaWalk) -> str:
    """Print opens the PDF in a new tab. The tab is not read (Chromium's PDF viewer is not part of
    the portal): the same URL is fetched with the browser context's cookies. Returns the QR's URL."""
    page = w.page
    print_link = page.locator("#print-visa")
    expect(print_link).to_have_attribute("target", "_blank")
    href = print_link.get_attribute("href")
    assert href is not None
    with page.context.expect_page() as popup_info:
        print_link.click()
    popup = popup_info.value
    expect(popup).to_have_url(re.compile(re.escape(href) + "$"))
    popup.close()

    response = page.request.get(href)
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert w.number in text, text
    assert w.resident.iqama_number in text, text
    image = pdf_page_image(pdf)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOT_DIR / "visa-flow-05-printed-pdf-ar.png")
    codes = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    assert len(codes) == 1, codes
    assert re.fullmatch(re.escape(w.base_url) + VERIFY_URL_RE, codes[0]), codes[0]
    return codes[0]


def step_check_verification(w: VisaWalk, url: str, status: str, label: str, name: str) -> None:
    """The QR code's address, opened as a phone would open it."""
    w.page.goto(url)
    expect(w.page.locator("#verification")).to_have_attribute("data-status", status)
    expect(w.page.locator("#v-status")).to_have_text(label)
    w.shot(name)


def step_cancel_visa(w: VisaWalk) -> None:
    """Cancel → the cancellation page → Cancel the visa → its dialog → back on the visa."""
    page = w.page
    page.goto(w.visa_path)
    page.locator("#cancel-visa").click()
    expect(page).to_have_url(re.compile(re.escape(w.visa_path) + "cancel/$"))
    confirm_in_dialog(page, w.screenshot, "visa-flow-07-cancel-dialog-ar")
    expect(page).to_have_url(re.compile(re.escape(w.visa_path) + "$"))
    expect(page.locator("#visa-status")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#visa-status")).to_have_text("ملغاة")
    expect(page.locator("#cancel-visa")).to_have_count(0)
    w.shot("08-visa-cancelled")


def test_arabic_visa_is_issued_printed_verified_and_cancelled(
    page: Page,
    live_server: Any,
    settings: Any,
    hr_officer: Any,
    resident: Any,
    screenshot: Screenshot,
) -> None:
    # The QR code carries PUBLIC_BASE_URL + /verify/<token>/: here, this test's live server.
    settings.PUBLIC_BASE_URL = live_server.url
    establishment = hr_officer.establishment
    balance_before = establishment.balance_halalas
    walk = VisaWalk(
        page=page,
        officer=hr_officer,
        resident=resident,
        screenshot=screenshot,
        base_url=live_server.url,
        return_by=today() + timedelta(days=30),
    )

    step_open_visa_service(walk)
    step_verify_visa(walk)
    step_issue_visa(walk)
    verify_url = step_print_visa(walk)
    step_check_verification(walk, verify_url, "valid", "سارية", "06-verification-valid")
    step_cancel_visa(walk)
    # The same printed QR code now says the visa is cancelled.
    step_check_verification(walk, verify_url, "cancelled", "ملغاة", "09-verification-cancelled")

    # The visa page in English too, for the screenshots (the language is the user's choice).
    page.goto(walk.visa_path)
    switch_language(page, "en")
    expect(page.locator("#visa-status")).to_have_text("Cancelled")
    screenshot(page, "visa-flow-10-visa-cancelled-en")

    # The database: one visa, cancelled; charged once, not refunded.
    establishment.refresh_from_db()
    assert Visa.objects.filter(resident=resident).count() == 1
    visa = Visa.objects.get(resident=resident)
    assert visa.number == walk.number
    assert visa.status == VisaStatus.CANCELLED
    assert visa.request.fee_total_halalas == walk.total
    assert charges_of(establishment) == 1
    assert establishment.balance_halalas == balance_before - walk.total


# --- 2. Final exit with a dependent, in English --------------------------------------------------


def test_english_final_exit_with_a_dependent(
    page: Page, hr_officer: Any, resident: Any, screenshot: Screenshot
) -> None:
    establishment = hr_officer.establishment
    spouse = DependentFactory(resident=resident, name_en="Fatima Ahmed", name_ar="فاطمة أحمد")
    balance_before = establishment.balance_halalas

    page.goto("/")
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    switch_language(page, "en")
    log_in(page, hr_officer.username)
    expect_language(page, "en")
    open_from_eservices_menu(page, FINAL_EXIT_URL, "en")
    pass_security_code(page, establishment, FINAL_EXIT_URL)
    expect_language(page, "en")

    page.locator("#id_iqama_number").fill(resident.iqama_number)
    page.locator("#verify-button").click()
    expect(page.locator("#verified")).to_have_text("Verified successfully")
    expect(page.locator("#d-name")).to_have_text(resident.name_en)
    dependents = page.locator("input[name=dependents]")
    expect(dependents).to_have_count(1)
    checkbox = page.locator(f"input[name=dependents][value='{spouse.pk}']")
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    expect(checkbox).to_be_checked()
    expect(page.locator(f"label[for=dep-{spouse.pk}]")).to_contain_text("Fatima Ahmed")
    total = amount_halalas(page.locator("#fee-total").inner_text())
    screenshot(page, "final-exit-01-verified-en")

    confirm_in_dialog(page, screenshot, "final-exit-02-confirm-dialog-en")
    expect(page).to_have_url(FINAL_EXIT_PAGE_RE)
    match = FINAL_EXIT_PAGE_RE.search(page.url)
    assert match is not None
    number = match.group(1)
    status = page.locator("#final-exit-status")
    expect(status).to_have_attribute("data-status", "issued")
    expect(page.locator("main")).to_contain_text("Fatima Ahmed")
    screenshot(page, "final-exit-03-issued-en")
    switch_language(page, "ar")
    expect(status).to_have_attribute("data-status", "issued")
    expect(page.locator("main")).to_contain_text("فاطمة أحمد")
    screenshot(page, "final-exit-04-issued-ar")

    establishment.refresh_from_db()
    resident.refresh_from_db()
    final_exit = FinalExit.objects.get(resident=resident)
    assert final_exit.number == number
    assert final_exit.status == FinalExitStatus.ISSUED
    assert list(final_exit.dependents.all()) == [spouse]
    assert resident.status == ResidentStatus.FINAL_EXIT_ISSUED
    assert ServiceRequest.objects.filter(resident=resident).count() == 1
    assert establishment.balance_halalas == balance_before - total


# --- 3. The authority's border page -------------------------------------------------------------


@pytest.fixture
def border_staff(
    transactional_db: None, django_db_serialized_rollback: None, django_user_model: Any
) -> Any:
    """Authority staff: `is_staff`, no establishment."""
    return django_user_model.objects.create_user(
        username="border.staff",
        password=TEST_PASSWORD,
        is_staff=True,
        staff_role="operator",
        mobile="966550000101",
    )


def record_crossing(page: Page, iqama_number: str, direction: str, on: Any) -> None:
    page.locator("#id_iqama_number").fill(iqama_number)
    page.locator("#id_direction").select_option(direction)
    page.locator("#id_crossed_on").fill(on.isoformat())
    page.locator("#record-crossing").click()
    expect(page).to_have_url(re.compile(re.escape(BORDER_URL) + "$"))
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.locator("#error-box")).to_have_count(0)


def test_border_staff_records_departure_and_arrival_on_a_visa(
    new_page: NewPage,
    border_staff: Any,
    hr_officer: Any,
    resident: Any,
    screenshot: Screenshot,
) -> None:
    visa = visa_issue(
        actor=hr_officer,
        iqama_number=resident.iqama_number,
        terms=VisaTerms(visa_type="single", unit="days", value=30),
        idempotency_key="browser-border-visa",
    ).visa
    on = today()
    page = new_page()

    # Staff log in on the ordinary login page (password, then the security code sent to their own
    # mobile) and land on the staff console, whose Registry menu links to the border page.
    page.goto(LOGIN_PATH)
    expect_language(page, "ar")
    log_in(page, border_staff.username)
    expect(page).to_have_url(re.compile(r"/authority/$"))
    page.locator("#registryMenu").click()
    page.locator(f'header a.dropdown-item[href="{BORDER_URL}"]').click()
    expect(page).to_have_url(re.compile(re.escape(BORDER_URL) + "$"))
    expect(page.locator("#crossing-form")).to_be_visible()
    expect(page.locator("#eservicesMenu")).to_have_count(0)
    expect(page.locator("#id_crossed_on")).to_have_value(on.isoformat())
    expect(page.locator("#recent-crossings tbody tr")).to_have_count(1)  # "No crossings yet"
    screenshot(page, "border-01-form-ar")

    # Departure: the visa is used, the resident outside the kingdom.
    record_crossing(page, resident.iqama_number, "departure", on)
    rows = page.locator("#recent-crossings tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(resident.iqama_number)
    expect(rows.first).to_contain_text(visa.number)
    expect(rows.first).to_contain_text(format_gregorian(on))
    screenshot(page, "border-02-departure-recorded-ar")
    visa.refresh_from_db()
    resident.refresh_from_db()
    assert visa.status == VisaStatus.USED
    assert visa.first_departure_on == on
    assert resident.status == ResidentStatus.OUTSIDE_KINGDOM
    assert not resident.inside_kingdom

    # Arrival, in English: the visa is returned, the resident back inside.
    switch_language(page, "en")
    record_crossing(page, resident.iqama_number, "arrival", on)
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Arrival")
    screenshot(page, "border-03-arrival-recorded-en")
    visa.refresh_from_db()
    resident.refresh_from_db()
    assert visa.status == VisaStatus.RETURNED
    assert visa.last_arrival_on == on
    assert resident.status == ResidentStatus.ACTIVE
    assert resident.inside_kingdom

    # An establishment's officer gets the same 404 as for a page that does not exist.
    officer_page = new_page()
    officer_page.goto(LOGIN_PATH)
    log_in(officer_page, hr_officer.username)
    response = officer_page.goto(BORDER_URL)
    assert response is not None
    assert response.status == 404
    expect(officer_page.locator("#crossing-form")).to_have_count(0)
    screenshot(officer_page, "border-04-officer-not-found-ar")


# --- 4. A visa refused for every reason at once -------------------------------------------------


def test_blocked_visa_lists_every_reason_and_offers_no_action(
    page: Page, hr_officer: Any, screenshot: Screenshot
) -> None:
    establishment = hr_officer.establishment
    blocked = ResidentFactory(
        establishment=establishment,
        unpaid_traffic_fines_halalas=50_000,
        iqama_expiry_date=today() + timedelta(days=10),
    )
    balance_before = establishment.balance_halalas
    reach_service(page, hr_officer, VISA_URL)

    for lang in ("ar", "en"):
        if lang == "en":
            switch_language(page, "en")
        fill_visa_form(page, blocked.iqama_number, unit="months", value=2)
        not_eligible = page.locator("#not-eligible")
        expect(not_eligible).to_be_visible()
        violations = not_eligible.locator("li.violation")
        expect(violations).to_have_count(2)
        for code in ("IQAMA_DOES_NOT_COVER_VISA", "UNPAID_TRAFFIC_FINES"):
            expect(not_eligible.locator(f'li.violation[data-code="{code}"]')).to_be_visible()
        expect(page.locator("#verified")).to_have_count(0)
        expect(page.locator("#action-button")).to_have_count(0)
        expect(page.locator("#confirm-form")).to_have_count(0)
        screenshot(page, f"visa-flow-11-not-eligible-{lang}")

    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance_before
    assert not Visa.objects.filter(resident=blocked).exists()
    assert not ServiceRequest.objects.filter(resident=blocked).exists()
    assert charges_of(establishment) == 0
