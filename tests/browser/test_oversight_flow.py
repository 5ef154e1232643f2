"""The staff console's oversight pages in a browser: an auditor finds a resident's events in the
audit log, opens one (which the log records as a view of the resident), downloads the filtered log,
and reads the statistics. Screenshots in Arabic and English (var/screenshots/oversight-*)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_record
from tests.browser.pages import TEST_PASSWORD, expect_language, log_in


@pytest.fixture
def auditor(transactional_db, django_db_serialized_rollback, django_user_model) -> Any:
    return django_user_model.objects.create_user(
        username="oversight.auditor",
        password=TEST_PASSWORD,
        is_staff=True,
        staff_role="auditor",
        mobile="966550000102",
    )


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_auditor_reads_the_log_and_the_statistics(
    new_page: Any,
    live_server: Any,
    screenshot: Any,
    auditor: Any,
    hr_officer: Any,
    resident: Any,
    lang: str,
) -> None:
    viewed = audit_record(
        event_type=AuditEventType.RESIDENT_VIEWED, actor=hr_officer, resident=resident
    )
    audit_record(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=hr_officer,
        resident=resident,
        extra={"service": "iqama_renewal", "violations": ["PASSPORT_EXPIRED"]},
    )
    page = new_page()
    page.context.add_cookies([{"name": "muqeem_language", "value": lang, "url": live_server.url}])
    page.goto("/accounts/login/")
    log_in(page, "oversight.auditor")
    page.locator("#oversightMenu").click()
    page.locator("#console-audit-link").click()
    expect_language(page, lang)

    page.locator("#id_resident").fill(resident.iqama_number)
    page.locator("#filter-button").click()
    rows = page.locator("#audit-events tbody tr[data-event]")
    expect(rows).to_have_count(2)
    screenshot(page, f"oversight-audit-{lang}")

    with page.expect_download() as download:
        page.locator("#export-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    exported = AuditEvent.objects.get(event_type=AuditEventType.AUDIT_EXPORTED)
    assert exported.extra_data["filters"] == {"resident": resident.iqama_number}

    page.locator(f'[data-detail="{viewed.pk}"]').click()
    expect(page.locator("#event-title")).to_have_attribute(
        "data-type", str(int(AuditEventType.RESIDENT_VIEWED))
    )
    expect(page.locator("#resident-view-note")).to_be_visible()
    screenshot(page, f"oversight-event-{lang}")
    staff_view = AuditEvent.objects.filter(
        event_type=AuditEventType.RESIDENT_VIEWED, actor_user=auditor
    ).get()
    assert staff_view.resident_id == resident.pk

    page.goto("/authority/oversight/statistics/")
    expect(page.locator("#chart-refusals .chart-bar")).to_have_count(1)
    expect(page.locator("#refused-checks")).to_have_attribute("data-value", "1")
    screenshot(page, f"oversight-statistics-{lang}")
    with page.expect_download() as download:
        page.locator('[data-csv="refusals"]').click()
    assert "PASSPORT_EXPIRED" in download.value.path().read_text(encoding="utf-8-sig")
