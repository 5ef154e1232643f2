"""End to end in headless Chromium: the seed's 13-step iqama renewal, in Arabic and in English, and
the ways it must refuse (every blocker at once, another establishment's resident, a double click).

Run: `make test-browser`, or
`.venv/bin/python -m pytest -p no:cacheprovider -m browser tests/browser -x`.
Screenshots of each main page land in var/screenshots/ (gitignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
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

Screenshot = Callable[[Page, str], Path]
RENEWAL_FEE_CODES = ("iqama_fee", "work_permit_fee", "expat_levy")


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


@pytest.mark.parametrize(("lang", "months"), [("ar", 12), ("en", 6)])
def test_seed_walk_through_renews_the_iqama(
    lang: str,
    months: int,
    page: Page,
    establishment: Any,
    hr_officer: Any,
    resident: Any,
    screenshot: Screenshot,
) -> None:
    labels = LabelCheck(lang)
    old_expiry = resident.iqama_expiry_date
    new_expiry = add_months(old_expiry, months)
    balance_before = establishment.balance_halalas
    name = resident.name_ar if lang == "ar" else resident.name_en

    # 1. The portal opens on the login page, in Arabic, right to left.
    page.goto("/")
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    expect_language(page, "ar")
    if lang == "en":
        switch_language(page, "en")
        expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    labels.has(page.locator("#login-button"), "Login")
    screenshot(page, f"01-login-{lang}")
    log_in(page, hr_officer.username)
    # The language is a cookie, so it survives the login (which cycles the session).
    expect_language(page, lang)

    # 2-3. E-Services tab, then Renew Iqama in its drop-down.
    menu = page.locator("#eservicesMenu")
    labels.has(menu, "E-Services")
    menu.click()
    item = renew_menu_item(page)
    expect(item).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    labels.has(item, "Renew Iqama")
    screenshot(page, f"02-eservices-menu-{lang}")
    item.click()

    # 4. The security code, sent to the establishment's registered mobile.
    expect(page).to_have_url(re.compile(re.escape(SECURITY_CODE_PATH)))
    expect(page.locator("#id_code")).to_be_visible()
    expect_language(page, lang)
    labels.has(page.locator("label[for=id_code]"), "Security code")
    labels.has(page.locator("#confirm-code"), "Confirm")
    labels.has(page.locator("#resend-code"), "Resend the code")
    first_id, code = latest_security_code(establishment.registered_mobile)
    if lang == "en":
        # Resend: a new message, and it is the new code that opens the e-services.
        page.locator("#resend-code").click()
        expect(page.locator("main .alert-success")).to_be_visible()
        resent_id, code = latest_security_code(establishment.registered_mobile)
        assert resent_id != first_id
    screenshot(page, f"03-security-code-{lang}")

    # 5. Confirm: a success message, and the renewal page.
    enter_security_code(page, code)
    expect(page).to_have_url(re.compile(re.escape(RENEW_URL) + "$"))
    expect_language(page, lang)

    # 6. Iqama number, iqama duration, Verify data.
    labels.has(page.locator("label[for=id_iqama_number]"), "Iqama number")
    labels.has(page.locator("label[for=id_period_months]"), "Iqama duration")
    labels.has(page.locator("#verify-button"), "Verify data")
    offered = page.locator("#id_period_months option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert offered == ["3", "6", "9", "12"]
    verify_data(page, resident.iqama_number, months)

    # 7. Verified successfully.
    verified = page.locator("#verified")
    expect(verified).to_be_visible()
    labels.has(verified, "Verified successfully")
    expect(page.locator("#error-box")).to_have_count(0)

    # 8. The iqama's details and the itemised fees.
    expect(page.locator("#d-name")).to_have_text(name)
    expect(page.locator("#d-iqama")).to_have_text(resident.iqama_number)
    expect(page.locator("#d-passport")).to_have_text(resident.passport_number)
    expect(page.locator("#d-expiry")).to_contain_text(format_gregorian(old_expiry))
    expect(page.locator("#d-new-expiry")).to_contain_text(format_gregorian(new_expiry))
    fee_rows = page.locator("#fees tr[data-fee]")
    expect(fee_rows).to_have_count(len(RENEWAL_FEE_CODES))
    for fee_code in RENEWAL_FEE_CODES:
        expect(page.locator(f'#fees tr[data-fee="{fee_code}"]')).to_be_visible()
    total = amount_halalas(page.locator("#fee-total").inner_text())
    lines = [amount_halalas(t) for t in fee_rows.locator("td.amount").all_inner_texts()]
    assert total == sum(lines) > 0
    screenshot(page, f"04-renew-verified-{lang}")

    # 9-10. Renew, then confirm in the dialog.
    renew = page.locator("#renew-button")
    labels.has(renew, "Renew")
    renew.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    labels.has(page.locator("#confirm-renew-button"), "Renew")
    screenshot(page, f"05-confirm-dialog-{lang}")
    page.locator("#confirm-renew-button").click()

    # 11. The renewed iqama information.
    expect(page).to_have_url(RESULT_PATH_RE)
    info = page.locator("#renewed-info")
    expect(info).to_be_visible()
    labels.has(info.locator("h1"), "Renewed iqama information")
    labels.has(info.locator("th").nth(0), "Request number")
    labels.has(info.locator("th").nth(2), "Resident name")
    labels.has(info.locator("th").nth(3), "Renewal duration")
    labels.has(info.locator("th").nth(4), "New iqama expiry date")
    labels.has(page.locator("#print-button"), "Print")
    match = RESULT_PATH_RE.search(page.url)
    assert match is not None
    request_number = match.group(1)
    expect(page.locator("#r-number")).to_have_text(request_number)
    expect(page.locator("#r-iqama")).to_have_text(resident.iqama_number)
    expect(page.locator("#r-name")).to_have_text(name)
    expect(page.locator("#r-duration")).to_contain_text(str(months))
    expect(page.locator("#r-new-expiry")).to_contain_text(format_gregorian(new_expiry))
    screenshot(page, f"06-result-{lang}")

    # 12. Printed: only the renewed iqama information, nothing of the portal around it.
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator("#print-button")).to_be_hidden()
    expect(info).to_be_visible()
    expect(page.locator("#r-number")).to_be_visible()
    screenshot(page, f"07-result-print-{lang}")
    page.emulate_media(media="screen")
    expect(page.locator("header")).to_be_visible()

    # 13. Logout: top left of the page in Arabic (right to left), top right in English.
    logout = page.locator("#logout-button")
    expect(logout).to_be_visible()
    labels.has(logout, "Logout")
    box = logout.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert viewport is not None
    centre = viewport["width"] / 2
    if lang == "ar":
        assert box["x"] + box["width"] < centre, box
    else:
        assert box["x"] > centre, box
    assert box["y"] < 100, box
    logout.click()
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    expect(page.locator("#login-button")).to_be_visible()
    expect(page.locator("#logout-button")).to_have_count(0)
    expect_language(page, lang)

    # The database: the expiry moved by the chosen months, the balance fell by the total shown.
    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert resident.iqama_expiry_date == new_expiry
    assert establishment.balance_halalas == balance_before - total
    request = ServiceRequest.objects.get(resident=resident)
    assert request.number == request_number
    assert request.fee_total_halalas == total
    assert IqamaRenewal.objects.get(request=request).period_months == months
    assert charges_of(establishment) == 1

    # Arabic labels last, so the whole walk-through has run before a missing translation fails it.
    labels.assert_all()


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
    result_path = urlsplit(page.url).path

    # The same form sent again (back button and resubmit, a retry after a timeout): the same
    # request comes back, nothing new is renewed or charged.
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
