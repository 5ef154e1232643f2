"""Steps of the seed's iqama renewal walk-through (shared/seed/README.md), driven in the browser.

Each helper performs one seed step and waits, with Playwright's auto-waiting `expect`, for the page
that step leads to. Tests assert on element ids, `data-*` codes and the database; visible words are
checked against `LABELS` (the glossary's exact labels) through `LabelCheck`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from tests.factories import TEST_PASSWORD

RENEW_URL = "/eservices/iqama-renewal/"
CONFIRM_URL = "/eservices/iqama-renewal/confirm/"
LOGIN_PATH = "/accounts/login/"
SECURITY_CODE_PATH = "/accounts/security-code/"
RESULT_PATH_RE = re.compile(r"/eservices/iqama-renewal/requests/(\d+)/$")

# The glossary's labels (shared/docs/GLOSSARY.md), keyed by the English msgid the templates use.
# Arabic is the language of the seed; a mismatch there is usually a missing translation in
# locale/ar/LC_MESSAGES/django.po (or a stale .mo: run `make messages`), which LabelCheck says.
LABELS: dict[str, dict[str, str]] = {
    "ar": {
        "Login": "الدخول",  # the glossary allows الدخول or تسجيل الدخول; both contain الدخول
        "E-Services": "الخدمات الإلكترونية",
        "Renew Iqama": "تجديد الإقامة",
        "Security code": "رمز الأمان",
        "Confirm": "تأكيد",
        "Resend the code": "إعادة إرسال الرمز",
        "Iqama number": "رقم الإقامة",
        "Iqama duration": "مدة الإقامة",
        "Verify data": "تحقق من البيانات",
        "Verified successfully": "تم التحقق بنجاح",
        "Renew": "تجديد",
        "Renewed iqama information": "معلومات الإقامة المجددة",
        "Request number": "رقم الطلب",
        "Resident name": "اسم المقيم",
        "Renewal duration": "مدة التجديد",
        "New iqama expiry date": "تاريخ انتهاء الإقامة الجديد",
        "Print": "طباعة",
        "Logout": "خروج",
    },
    "en": {
        "Login": "Login",
        "E-Services": "E-Services",
        "Renew Iqama": "Renew Iqama",
        "Security code": "Security code",
        "Confirm": "Confirm",
        "Resend the code": "Resend the code",
        "Iqama number": "Iqama number",
        "Iqama duration": "Iqama duration",
        "Verify data": "Verify data",
        "Verified successfully": "Verified successfully",
        "Renew": "Renew",
        "Renewed iqama information": "Renewed iqama information",
        "Request number": "Request number",
        "Resident name": "Resident name",
        "Renewal duration": "Renewal duration",
        "New iqama expiry date": "New iqama expiry date",
        "Print": "Print",
        "Logout": "Logout",
    },
}


@dataclass
class LabelCheck:
    """Checks visible labels against LABELS[lang].

    English labels are the msgids themselves, so they are asserted at once. Arabic labels depend on
    the Arabic catalogue being filled in and compiled, so they are collected and asserted together
    by `assert_all()` at the end of the test: the rest of the walk-through (ids, RTL layout, the
    database) is still exercised, and the failure lists every label that is still missing.
    """

    lang: str
    problems: list[str] = field(default_factory=list)

    def has(self, locator: Locator, msgid: str) -> None:
        expected = LABELS[self.lang][msgid]
        if self.lang == "en":
            expect(locator).to_contain_text(expected)
            return
        expect(locator).to_be_visible()
        shown = " ".join(locator.inner_text().split())
        if expected in shown:
            return
        with translation.override("ar"):
            translated = translation.gettext(msgid)
        reason = (
            "no Arabic translation in the compiled catalogue (fill locale/ar/LC_MESSAGES/django.po "
            "and run `make messages`)"
            if translated == msgid
            else f"catalogue translates it as {translated!r}, not the glossary's label"
        )
        self.problems.append(f"{msgid!r}: expected {expected!r}, page shows {shown!r}: {reason}")

    def assert_all(self) -> None:
        assert not self.problems, "Arabic labels not as in the glossary:\n" + "\n".join(
            self.problems
        )


def expect_language(page: Page, lang: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")


def switch_language(page: Page, lang: str) -> None:
    """The language button (a form posting to Django's set_language); the choice is a cookie."""
    expect(page.locator("#language-switch")).to_be_visible()
    page.locator("#language-switch").click()
    expect_language(page, lang)


def log_in(page: Page, username: str, password: str = TEST_PASSWORD) -> None:
    """Seed step 1: username, password, Login (الدخول).

    Authority staff and administrators are signed in only after the security code sent to their
    own mobile: for them this also reads the code from the SMS outbox and enters it, as the demo
    user does. Establishment officers enter theirs later, before the e-services
    (`enter_security_code`)."""
    from muqeem.accounts.models import User
    from muqeem.accounts.security_code import login_needs_security_code
    from tests.browser.conftest import latest_security_code

    expect(page.locator("#id_username")).to_be_visible()
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#login-button").click()
    user = User.objects.get(username=username)
    if login_needs_security_code(user):
        expect(page.locator("#staff-login-code")).to_be_visible()
        expect(page.locator("#logout-button")).to_have_count(0)  # not signed in yet
        _id, code = latest_security_code(user.mobile)
        page.locator("#id_code").fill(code)
        page.locator("#confirm-code").click()
    expect(page.locator("#logout-button")).to_be_visible()


def open_renew_iqama(page: Page) -> None:
    """Seed steps 2-3: the E-Services tab, then Renew Iqama in its drop-down."""
    page.locator("#eservicesMenu").click()
    item = renew_menu_item(page)
    expect(item).to_be_visible()
    item.click()


def renew_menu_item(page: Page) -> Locator:
    return page.locator(f'ul[aria-labelledby="eservicesMenu"] a.dropdown-item[href="{RENEW_URL}"]')


def enter_security_code(page: Page, code: str) -> None:
    """Seed steps 4-5: type the code, Confirm; the renewal page opens with a success message."""
    page.locator("#id_code").fill(code)
    page.locator("#confirm-code").click()
    expect(page.locator("#id_iqama_number")).to_be_visible()
    expect(page.locator("main .alert-success").first).to_be_visible()


def verify_data(page: Page, iqama_number: str, months: int) -> None:
    """Seed step 6: iqama number, iqama duration, Verify data."""
    page.locator("#id_iqama_number").fill(iqama_number)
    page.locator("#id_period_months").select_option(str(months))
    page.locator("#verify-button").click()


def amount_halalas(text: str) -> int:
    """`10,350.00 ريال` / `SAR 10,350.00` to halalas."""
    match = re.search(r"(-?[\d,]+)\.(\d{2})", text)
    assert match is not None, f"no amount in {text!r}"
    return int(match.group(1).replace(",", "")) * 100 + int(match.group(2))
