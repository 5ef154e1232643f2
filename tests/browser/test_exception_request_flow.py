"""End to end in headless Chromium: a third late renewal is refused, the officer files an exception
request from the refusal, a supervisor approves it in the staff console, and the renewal then goes
through once. Every page is screenshot in Arabic and in English (var/screenshots/exc-*.png)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from muqeem.core.dates import today
from muqeem.exception_requests.models import ExceptionRequest, ExceptionStatus
from tests.browser.conftest import NewPage, latest_security_code
from tests.browser.pages import (
    LOGIN_PATH,
    RENEW_URL,
    SECURITY_CODE_PATH,
    enter_security_code,
    log_in,
    verify_data,
)
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path]
PDF = b"%PDF-1.4\n% hospital report\n%%EOF\n"


def set_language(page: Page, live_server: Any, lang: str) -> None:
    page.context.add_cookies([{"name": "muqeem_language", "value": lang, "url": live_server.url}])


@pytest.fixture(params=["ar", "en"])
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def supervisor_approves(
    staff: Page,
    live_server: Any,
    lang: str,
    supervisor: Any,
    exception: Any,
    screenshot: Screenshot,
) -> None:
    """The queue, the request with the resident's facts and the attachment, the decision."""
    set_language(staff, live_server, lang)
    staff.goto("/authority/exceptions/")
    log_in(staff, supervisor.username)
    staff.goto("/authority/exceptions/")
    row = staff.locator(f'tr[data-number="{exception.number}"]')
    expect(row).to_be_visible()
    screenshot(staff, f"exc-staff-queue-{lang}")
    row.locator("a").first.click()
    expect(staff.locator("#f-late-renewals")).to_have_text("2")
    expect(staff.locator("#attachments a")).to_have_count(1)
    screenshot(staff, f"exc-staff-detail-{lang}")
    staff.locator("#id_reason").fill("Hospital report checked.")
    staff.locator("#approve-button").click()
    expect(staff.locator("#exception-status [data-status='approved']")).to_be_visible()
    screenshot(staff, f"exc-staff-decided-{lang}")


def test_refusal_to_exception_to_approval_to_renewal(
    new_page: NewPage,
    live_server: Any,
    establishment: Any,
    hr_officer: Any,
    screenshot: Screenshot,
    lang: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    late = ResidentFactory(
        establishment=establishment,
        iqama_expiry_date=today() - timedelta(days=10),
        late_renewal_count=2,
    )
    supervisor = UserFactory(establishment=None, is_staff=True, staff_role="supervisor")

    # The officer: the refusal, with the link to ask for an exception.
    page = new_page()
    set_language(page, live_server, lang)
    page.goto(RENEW_URL)
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    log_in(page, hr_officer.username)
    expect(page).to_have_url(re.compile(re.escape(SECURITY_CODE_PATH)))
    _id, code = latest_security_code(establishment.registered_mobile)
    enter_security_code(page, code)
    verify_data(page, late.iqama_number, 3)
    link = page.locator('a[data-exception-code="LATE_RENEWAL_LIMIT_REACHED"]')
    expect(link).to_be_visible()
    screenshot(page, f"exc-refusal-{lang}")
    link.click()

    # The filing form, prefilled.
    expect(page.locator("#id_iqama_number")).to_have_value(late.iqama_number)
    expect(page.locator("#id_code_LATE_RENEWAL_LIMIT_REACHED")).to_be_checked()
    page.locator("#id_reason").fill(
        "كان المقيم منومًا في المستشفى عند انتهاء الإقامة. The resident was in hospital."
    )
    page.locator("#id_attachments").set_input_files(
        [{"name": "hospital-report.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    screenshot(page, f"exc-file-{lang}")
    page.locator("#file-button").click()
    expect(page.locator("#exception-status [data-status='pending']")).to_be_visible()
    exception = ExceptionRequest.objects.get(resident=late)
    screenshot(page, f"exc-detail-pending-{lang}")

    supervisor_approves(new_page(), live_server, lang, supervisor, exception, screenshot)

    # The officer follows it, then renews: the approval lets this one renewal through.
    page.goto("/exceptions/")
    expect(
        page.locator(f'tr[data-number="{exception.number}"] [data-status="approved"]')
    ).to_be_visible()
    screenshot(page, f"exc-list-{lang}")
    page.goto(RENEW_URL)
    verify_data(page, late.iqama_number, 3)
    expect(page.locator("#verified")).to_be_visible()
    page.locator("#renew-button").click()
    page.locator("#confirm-renew-button").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.USED
    page.goto(f"/exceptions/{exception.number}/")
    expect(page.locator("#exception-status [data-status='used']")).to_be_visible()
    screenshot(page, f"exc-detail-used-{lang}")
