"""End to end in headless Chromium: the seed's 13-step iqama renewal, in Arabic and in English, and
the ways it must refuse (every blocker at once, another establishment's resident, a double click).

Run: `make test-browser`, or
`.venv/bin/python -m pytest -p no:cacheprovider -m browser tests/browser -x`.
Screenshots of each main page land in var/screenshots/ (gitignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from muqeem.core.dates import add_months, format_gregorian
from muqeem.core.ids import make_iqama_number
from muqeem.eservices.iqama_renewal.models import IqamaRenewal
from muqeem.fees.models import JournalKind, LedgerJournal
from muqeem.residents.models import Resident
from muqeem.workflow.models import ServiceRequest
from tests.browser.conftest import latest_security_code
from tests.browser.pages import (
    CONFIRM_URL,
    LOGIN_PATH,
    RENEW_URL,
    RESULT_PATH_RE,
    SECURITY_CODE_PATH,
    LabelCheck,
    amount_halalas,
    enter_security_code,
    expect_language,
    log_in,
    renew_menu_item,
    switch_language,
    verify_data,
)
from tests.factories import ResidentFactory

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path]
RENEWAL_FEE_CODES = ("iqama_fee", "work_permit_fee", "expat_levy")
# Seed step 11, in the order of the result page's rows.
RESULT_ROWS = (
    "Request number",
    "Iqama number",
    "Resident name",
    "Renewal duration",
    "New iqama expiry date",
)


def reach_renewal_page(page: Page, officer: Any, establishment: Any) -> None:
    """Straight to the renewal page: login, then the security code, then back to the page."""
    page.goto(RENEW_URL)
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    log_in(page, officer.username)
    expect(page).to_have_url(re.compile(re.escape(SECURITY_CODE_PATH)))
    _message_id, code = latest_security_code(establishment.registered_mobile)
    enter_security_code(page, code)
    expect(page).to_have_url(re.compile(re.escape(RENEW_URL) + "$"))


def charges_of(establishment: Any) -> int:
    return LedgerJournal.objects.filter(
        establishment=establishment, kind=JournalKind.CHARGE
    ).count()


# --- The seed's walk-through ------------------------------------------------------------------


@dataclass
class Walk:
    """One run of the walk-through: the persona, the language, and what the pages showed."""

    page: Page
    lang: str
    months: int
    establishment: Any
    officer: Any
    resident: Any
    screenshot: Screenshot
    labels: LabelCheck
    old_expiry: date
    balance_before: int
    total: int = 0
    request_number: str = ""

    @property
    def name(self) -> str:
        return self.resident.name_ar if self.lang == "ar" else self.resident.name_en

    @property
    def new_expiry(self) -> date:
        return add_months(self.old_expiry, self.months)

    def shot(self, step: str, *, full_page: bool = True) -> None:
        self.screenshot(self.page, f"{step}-{self.lang}", full_page=full_page)


@pytest.fixture(params=[("ar", 12), ("en", 6)], ids=["arabic-12-months", "english-6-months"])
def walk(
    request: pytest.FixtureRequest,
    page: Page,
    hr_officer: Any,
    resident: Any,
    screenshot: Screenshot,
) -> Walk:
    lang, months = request.param
    return Walk(
        page=page,
        lang=lang,
        months=months,
        establishment=hr_officer.establishment,
        officer=hr_officer,
        resident=resident,
        screenshot=screenshot,
        labels=LabelCheck(lang),
        old_expiry=resident.iqama_expiry_date,
        balance_before=hr_officer.establishment.balance_halalas,
    )


def step_01_login(w: Walk) -> None:
    """The portal opens on the login page in Arabic, right to left; username, password, Login."""
    page = w.page
    page.goto("/")
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    expect_language(page, "ar")
    if w.lang == "en":
        switch_language(page, "en")
        expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    w.labels.has(page.locator("#login-button"), "Login")
    w.shot("01-login")
    log_in(page, w.officer.username)
    # The language is a cookie, so it survives the login (which cycles the session).
    expect_language(page, w.lang)


def step_02_03_eservices_menu(w: Walk) -> None:
    """The E-Services tab, then Renew Iqama in its drop-down."""
    menu = w.page.locator("#eservicesMenu")
    w.labels.has(menu, "E-Services")
    menu.click()
    item = renew_menu_item(w.page)
    expect(item).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    w.labels.has(item, "Renew Iqama")
    w.shot("02-eservices-menu")
    item.click()


def step_04_05_security_code(w: Walk) -> None:
    """The code sent to the establishment's registered mobile; Confirm; a success message."""
    page = w.page
    expect(page).to_have_url(re.compile(re.escape(SECURITY_CODE_PATH)))
    expect(page.locator("#id_code")).to_be_visible()
    expect_language(page, w.lang)
    w.labels.has(page.locator("label[for=id_code]"), "Security code")
    w.labels.has(page.locator("#confirm-code"), "Confirm")
    w.labels.has(page.locator("#resend-code"), "Resend the code")
    mobile = w.establishment.registered_mobile
    first_id, code = latest_security_code(mobile)
    if w.lang == "en":
        # Resend: a new message, and it is the new code that opens the e-services.
        page.locator("#resend-code").click()
        expect(page.locator("main .alert-success")).to_be_visible()
        resent_id, code = latest_security_code(mobile)
        assert resent_id != first_id
    w.shot("03-security-code")
    enter_security_code(page, code)
    expect(page).to_have_url(re.compile(re.escape(RENEW_URL) + "$"))
    expect_language(page, w.lang)


def step_06_08_verify_data(w: Walk) -> None:
    """Iqama number, duration, Verify data; Verified successfully; the details and the fees."""
    page = w.page
    w.labels.has(page.locator("label[for=id_iqama_number]"), "Iqama number")
    w.labels.has(page.locator("label[for=id_period_months]"), "Iqama duration")
    w.labels.has(page.locator("#verify-button"), "Verify data")
    offered = page.locator("#id_period_months option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert offered == ["3", "6", "9", "12"]
    verify_data(page, w.resident.iqama_number, w.months)

    verified = page.locator("#verified")
    expect(verified).to_be_visible()
    w.labels.has(verified, "Verified successfully")
    expect(page.locator("#error-box")).to_have_count(0)

    expect(page.locator("#d-name")).to_have_text(w.name)
    expect(page.locator("#d-iqama")).to_have_text(w.resident.iqama_number)
    expect(page.locator("#d-passport")).to_have_text(w.resident.passport_number)
    expect(page.locator("#d-expiry")).to_contain_text(format_gregorian(w.old_expiry))
    expect(page.locator("#d-new-expiry")).to_contain_text(format_gregorian(w.new_expiry))
    fee_rows = page.locator("#fees tr[data-fee]")
    expect(fee_rows).to_have_count(len(RENEWAL_FEE_CODES))
    for fee_code in RENEWAL_FEE_CODES:
        expect(page.locator(f'#fees tr[data-fee="{fee_code}"]')).to_be_visible()
    w.total = amount_halalas(page.locator("#fee-total").inner_text())
    lines = [amount_halalas(t) for t in fee_rows.locator("td.amount").all_inner_texts()]
    assert w.total == sum(lines) > 0
    w.shot("04-renew-verified")


def step_09_10_renew_and_confirm(w: Walk) -> None:
    """Renew at the bottom of the page; the confirmation dialog; Renew again."""
    page = w.page
    renew = page.locator("#renew-button")
    w.labels.has(renew, "Renew")
    renew.click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    w.labels.has(page.locator("#confirm-renew-button"), "Renew")
    w.shot("05-confirm-dialog", full_page=False)
    page.locator("#confirm-renew-button").click()


def step_11_renewed_information(w: Walk) -> None:
    """Request number, iqama number, resident name, renewal duration, new expiry date."""
    page = w.page
    expect(page).to_have_url(RESULT_PATH_RE)
    info = page.locator("#renewed-info")
    expect(info).to_be_visible()
    w.labels.has(info.locator("h1"), "Renewed iqama information")
    for row, msgid in enumerate(RESULT_ROWS):
        w.labels.has(info.locator("th").nth(row), msgid)
    w.labels.has(page.locator("#print-button"), "Print")
    match = RESULT_PATH_RE.search(page.url)
    assert match is not None
    w.request_number = match.group(1)
    expect(page.locator("#r-number")).to_have_text(w.request_number)
    expect(page.locator("#r-iqama")).to_have_text(w.resident.iqama_number)
    expect(page.locator("#r-name")).to_have_text(w.name)
    expect(page.locator("#r-duration")).to_contain_text(str(w.months))
    expect(page.locator("#r-new-expiry")).to_contain_text(format_gregorian(w.new_expiry))
    w.shot("06-result")


def step_12_print(w: Walk) -> None:
    """Printed: the renewed iqama information only, nothing of the portal around it."""
    page = w.page
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator("#print-button")).to_be_hidden()
    expect(page.locator("#renewed-info")).to_be_visible()
    expect(page.locator("#r-number")).to_be_visible()
    w.shot("07-result-print")
    page.emulate_media(media="screen")
    expect(page.locator("header")).to_be_visible()


def step_13_logout(w: Walk) -> None:
    """Logout: top left of the page in Arabic (right to left), top right in English."""
    page = w.page
    logout = page.locator("#logout-button")
    expect(logout).to_be_visible()
    w.labels.has(logout, "Logout")
    box = logout.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert viewport is not None
    centre = viewport["width"] / 2
    if w.lang == "ar":
        assert box["x"] + box["width"] < centre, box
    else:
        assert box["x"] > centre, box
    assert box["y"] < 100, box
    logout.click()
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    expect(page.locator("#login-button")).to_be_visible()
    expect(page.locator("#logout-button")).to_have_count(0)
    expect_language(page, w.lang)


def test_seed_walk_through_renews_the_iqama(walk: Walk) -> None:
    step_01_login(walk)
    step_02_03_eservices_menu(walk)
    step_04_05_security_code(walk)
    step_06_08_verify_data(walk)
    step_09_10_renew_and_confirm(walk)
    step_11_renewed_information(walk)
    step_12_print(walk)
    step_13_logout(walk)

    # The database: the expiry moved by the chosen months, the balance fell by the total shown.
    resident, establishment = walk.resident, walk.establishment
    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert resident.iqama_expiry_date == walk.new_expiry
    assert establishment.balance_halalas == walk.balance_before - walk.total
    request = ServiceRequest.objects.get(resident=resident)
    assert request.number == walk.request_number
    assert request.fee_total_halalas == walk.total
    assert IqamaRenewal.objects.get(request=request).period_months == walk.months
    assert charges_of(establishment) == 1

    # Arabic labels last, so the whole walk-through has run before a missing translation fails it.
    walk.labels.assert_all()


# --- Refusals -----------------------------------------------------------------------------------


def test_blocked_resident_shows_every_blocker_and_nothing_is_charged(
    page: Page, establishment: Any, hr_officer: Any, screenshot: Screenshot
) -> None:
    blocked = ResidentFactory(
        establishment=establishment,
        unpaid_traffic_fines_halalas=50_000,
        fingerprint_registered=False,
    )
    old_expiry = blocked.iqama_expiry_date
    balance_before = establishment.balance_halalas
    reach_renewal_page(page, hr_officer, establishment)

    verify_data(page, blocked.iqama_number, 12)

    not_eligible = page.locator("#not-eligible")
    expect(not_eligible).to_be_visible()
    violations = not_eligible.locator("li.violation")
    expect(violations).to_have_count(2)
    for code in ("UNPAID_TRAFFIC_FINES", "FINGERPRINT_NOT_REGISTERED"):
        expect(not_eligible.locator(f'li.violation[data-code="{code}"]')).to_be_visible()
    expect(page.locator("#verified")).to_have_count(0)
    expect(page.locator("#renew-button")).to_have_count(0)
    expect(page.locator("#renew-form")).to_have_count(0)
    screenshot(page, "08-not-eligible-ar")

    blocked.refresh_from_db()
    establishment.refresh_from_db()
    assert blocked.iqama_expiry_date == old_expiry
    assert establishment.balance_halalas == balance_before
    assert not ServiceRequest.objects.filter(resident=blocked).exists()
    assert charges_of(establishment) == 0


def test_another_establishments_resident_looks_exactly_like_a_missing_one(
    page: Page,
    establishment: Any,
    hr_officer: Any,
    other_resident: Any,
    screenshot: Screenshot,
) -> None:
    missing = make_iqama_number(39_999_999)
    assert not Resident.objects.filter(iqama_number=missing).exists()
    reach_renewal_page(page, hr_officer, establishment)

    shown: dict[str, tuple[int, str | None, str]] = {}
    for label, number in (("other", other_resident.iqama_number), ("missing", missing)):
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith(RENEW_URL)
        ) as response:
            verify_data(page, number, 12)
        error = page.locator("#error-box")
        expect(error).to_be_visible()
        expect(page.locator("#iqama-details")).to_have_count(0)
        expect(page.locator("#fees")).to_have_count(0)
        shown[label] = (
            response.value.status,
            error.get_attribute("data-code"),
            " ".join(error.inner_text().split()),
        )
        if label == "other":
            expect(page.locator("main")).not_to_contain_text(other_resident.name_ar)
            expect(page.locator("main")).not_to_contain_text(other_resident.passport_number)
            screenshot(page, "09-not-found-ar")

    assert shown["other"] == shown["missing"]
    assert shown["other"][1] == "RESIDENT_NOT_FOUND"
    other_resident.refresh_from_db()
    assert not ServiceRequest.objects.filter(resident=other_resident).exists()


def test_double_click_and_resubmission_renew_and_charge_once(
    page: Page, establishment: Any, hr_officer: Any, resident: Any
) -> None:
    months = 3
    old_expiry = resident.iqama_expiry_date
    balance_before = establishment.balance_halalas
    reach_renewal_page(page, hr_officer, establishment)
    verify_data(page, resident.iqama_number, months)
    expect(page.locator("#verified")).to_be_visible()
    total = amount_halalas(page.locator("#fee-total").inner_text())
    form = page.locator("#renew-form")
    token = form.locator("input[name=token]").input_value()
    csrf = form.locator("input[name=csrfmiddlewaretoken]").input_value()

    page.locator("#renew-button").click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.locator("#confirm-renew-button").dblclick()
    expect(page).to_have_url(RESULT_PATH_RE)
    expect(page.locator("#renewed-info")).to_be_visible()
    result_url = page.url
    result_path = urlsplit(result_url).path

    # Back to the verified page (Chromium shows the POST's page from its cache) and Renew again:
    # the same request comes back, nothing new is renewed or charged.
    page.go_back()
    expect(page.locator("#verified")).to_be_visible()
    page.locator("#renew-button").click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.locator("#confirm-renew-button").click()
    expect(page).to_have_url(result_url)
    expect(page.locator("#renewed-info")).to_be_visible()

    # The same form posted once more outside the page (a retry after a timeout): the same answer.
    again = page.request.post(
        CONFIRM_URL,
        form={"csrfmiddlewaretoken": csrf, "token": token},
        max_redirects=0,
    )
    assert again.status == 302, again.status
    assert again.headers["location"] == result_path

    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert ServiceRequest.objects.filter(resident=resident).count() == 1
    assert IqamaRenewal.objects.filter(request__resident=resident).count() == 1
    assert charges_of(establishment) == 1
    assert resident.iqama_expiry_date == add_months(old_expiry, months)
    assert establishment.balance_halalas == balance_before - total
