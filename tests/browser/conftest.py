"""Browser fixtures: Debian's headless Chromium driven by Playwright against pytest-django's live server.

- `browser` is started once per test session (never downloaded: `shutil.which("chromium")`).
- `page` is a fresh browser context per test (own cookies, so its own session and language).
- The personas here use `transactional_db`: the live server runs in another thread and must see
  the rows the test created, so they cannot live inside the test's transaction. Each transactional
  test ends with a flush, so they also ask for `django_db_serialized_rollback`, which restores the
  reference data loaded by migrations (nationalities, professions, the fee schedule) before each test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import fund
from tests.factories import EstablishmentFactory, ResidentFactory, UserFactory

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "var" / "screenshots"
FAILURE_DIR = SCREENSHOT_DIR / "failures"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Wide enough for the `navbar-expand-md` menu to be expanded (logout button and E-Services visible).
VIEWPORT = {"width": 1280, "height": 900}
# Accept-Language of a browser in Saudi Arabia; the portal's default language is Arabic anyway.
DEFAULT_LOCALE = "ar-SA"

expect.set_options(timeout=10_000)


# --- Browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (scripts/ensure-chromium installs it).")
    # Playwright's sync API keeps an asyncio loop "running" in the test thread (in a greenlet) from
    # start() to stop(), and Django then refuses ORM calls from that thread
    # (SynchronousOnlyOperation). The tests are synchronous code that merely shares the thread with
    # that loop, so the check is switched off for exactly as long as Playwright runs.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(
    browser: Browser, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[NewPage]:
    """A factory of pages, each in its own browser context (cookies, session, language)."""
    pages: list[Page] = []

    def make(locale: str = DEFAULT_LOCALE) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            timezone_id="Asia/Riyadh",
            viewport=VIEWPORT,  # type: ignore[arg-type]
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        pages.append(page)
        return page

    yield make

    call_report = getattr(request.node, "rep_call", None)
    failed = call_report is not None and call_report.failed
    for index, page in enumerate(pages):
        if failed and not page.is_closed():
            FAILURE_DIR.mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^\w.-]+", "_", request.node.name)
            page.screenshot(path=str(FAILURE_DIR / f"{safe}-{index}.png"), full_page=True)
        page.context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    return new_page()


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """`screenshot(page, "renew-ar")` saves var/screenshots/renew-ar.png (the folder is gitignored)."""

    def take(page: Page, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


# --- Personas (transactional: the live server must see them) --------------------------------


@pytest.fixture
def establishment(transactional_db: None, django_db_serialized_rollback: None) -> Any:
    est = EstablishmentFactory()
    fund(est, 100_000)
    return est


@pytest.fixture
def other_establishment(establishment: Any) -> Any:
    est = EstablishmentFactory()
    fund(est, 100_000)
    return est


@pytest.fixture
def hr_officer(establishment: Any) -> Any:
    return UserFactory(establishment=establishment)


@pytest.fixture
def resident(establishment: Any) -> Any:
    return ResidentFactory(establishment=establishment)


@pytest.fixture
def other_resident(other_establishment: Any) -> Any:
    return ResidentFactory(establishment=other_establishment)


# --- The security code (رمز الأمان) from the SMS outbox ---------------------------------------

SECURITY_CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def sms_outbox() -> list[dict[str, Any]]:
    """Every message the file SMS backend wrote in this test process, oldest first."""
    path = Path(settings.SMS_FILE_PATH)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def latest_security_code(mobile: str) -> tuple[int, str]:
    """(message id, code) of the newest security-code SMS sent to `mobile`.

    The message is identified through the outbox table (only security codes are `sensitive`), so
    another SMS to the same mobile (the renewal confirmation) or a stale line left in the file by an
    earlier run of the same process id cannot be mistaken for it.
    """
    from muqeem.notifications.models import SmsMessage

    message = SmsMessage.objects.filter(to=mobile, sensitive=True).order_by("-pk").first()
    assert message is not None, f"no security code was sent to {mobile}"
    lines = [m for m in sms_outbox() if m["to"] == mobile and m["id"] == message.pk]
    assert lines, f"SMS #{message.pk} to {mobile} is not in {settings.SMS_FILE_PATH}"
    match = SECURITY_CODE_RE.search(lines[-1]["body"])
    assert match is not None, f"no 6-digit code in {lines[-1]['body']!r}"
    return message.pk, match.group(1)


@pytest.fixture(autouse=True)
def _browser_marker_only(request: pytest.FixtureRequest) -> Generator[None]:
    """Every test in this folder drives the browser and must carry the `browser` marker."""
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("tests under tests/browser must be marked @pytest.mark.browser")
    yield
