"""In headless Chromium: upload a bulk file, watch the dry run and the run reach 100% through the
htmx progress bar, and download the result file.

The background tasks are held back (their enqueue is captured) and run from the test while the page
polls, so the page really goes from 0% to 100% by itself, as it does with `manage.py db_worker`.
Run: `.venv/bin/python -m pytest -p no:cacheprovider -m browser muqeem/bulk/tests/test_browser.py`.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from muqeem.bulk.models import BatchStatus, BulkBatch
from muqeem.bulk.services import batches as bulk_batches
from muqeem.bulk.services import bulk_batch_execute, bulk_batch_validate
from muqeem.bulk.tests.conftest import HEADER, renew
from muqeem.fees.models import JournalKind, LedgerJournal
from tests.browser.conftest import latest_security_code
from tests.browser.pages import log_in
from tests.factories import ResidentFactory

pytestmark = pytest.mark.browser

# The browser, the live-server page and the transactional personas of tests/browser.

BULK_URL = "/bulk/"
BATCH_URL_RE = re.compile(r"/bulk/batches/(\d+)/$")


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def held_tasks(monkeypatch):
    """Batch ids whose task was enqueued, instead of running them at once."""
    queued: dict[str, list[int]] = {"validate": [], "execute": []}
    monkeypatch.setattr(bulk_batches, "_validate_task_enqueue", queued["validate"].append)
    monkeypatch.setattr(bulk_batches, "_execute_task_enqueue", queued["execute"].append)
    return queued


def test_upload_watch_progress_and_download_the_result(
    page, establishment, other_establishment, hr_officer, held_tasks, screenshot
):
    good = [ResidentFactory(establishment=establishment) for _ in range(3)]
    fined = ResidentFactory(establishment=establishment, unpaid_traffic_fines_halalas=90_000)
    foreign = ResidentFactory(establishment=other_establishment)
    content = _xlsx(
        [
            *(renew(r.iqama_number) for r in good),
            renew(fined.iqama_number),
            renew(foreign.iqama_number),
        ]
    )

    page.goto(BULK_URL)
    log_in(page, hr_officer.username)
    _message_id, code = latest_security_code(establishment.registered_mobile)
    page.locator("#id_code").fill(code)
    page.locator("#confirm-code").click()
    expect(page.locator("#upload-form")).to_be_visible()

    page.locator("#id_file").set_input_files(
        files=[{"name": "renewals.xlsx", "mimeType": "application/octet-stream", "buffer": content}]
    )
    page.locator("#upload-button").click()
    expect(page).to_have_url(BATCH_URL_RE)
    batch_id = int(BATCH_URL_RE.search(page.url).group(1))
    progress = page.locator("#progress")
    expect(progress).to_have_attribute("data-status", "validating")
    expect(progress).to_have_attribute("data-percent", "0")

    # The worker checks the rows; the polling page notices and shows the dry run.
    assert held_tasks["validate"] == [batch_id]
    bulk_batch_validate(batch_id=batch_id)
    expect(page.locator("[data-batch-status]").first).to_have_attribute(
        "data-batch-status", "validated"
    )
    expect(page.locator("#count-valid")).to_have_text("3")
    expect(page.locator("#count-invalid")).to_have_text("2")
    expect(page.locator('tr[data-codes="UNPAID_TRAFFIC_FINES"]')).to_have_count(1)
    expect(page.locator('tr[data-codes="RESIDENT_NOT_FOUND"]')).to_have_count(1)
    screenshot(page, "bulk-browser-dryrun")

    page.locator("#run-button").click()
    page.locator("#confirm-run-button").click()
    expect(progress).to_have_attribute("data-status", "running")
    expect(progress).to_have_attribute("data-percent", "0")
    assert held_tasks["execute"] == [batch_id]

    bulk_batch_execute(batch_id=batch_id)
    expect(page.locator("[data-batch-status]").first).to_have_attribute(
        "data-batch-status", "done", timeout=15_000
    )
    expect(progress).to_have_attribute("data-percent", "100")
    expect(page.locator("#count-done")).to_have_text("3")
    screenshot(page, "bulk-browser-done")

    with page.expect_download() as download_info:
        page.locator("#result-download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).worksheets[0]
    keys = [c.value.rsplit(" / ", 1)[-1] for c in sheet[1]]
    lines = [dict(zip(keys, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert [line["status"] for line in lines] == ["done", "done", "done", "invalid", "invalid"]
    assert all(line["request_number"] for line in lines[:3])
    assert [line["codes"] for line in lines[3:]] == ["UNPAID_TRAFFIC_FINES", "RESIDENT_NOT_FOUND"]

    batch = BulkBatch.objects.get(pk=batch_id)
    assert batch.status == BatchStatus.DONE
    charges = LedgerJournal.objects.filter(establishment=establishment, kind=JournalKind.CHARGE)
    assert charges.count() == 3
