"""The bulk pages through Django: upload, dry-run page, progress partial, confirm, result file,
template, and who may see what."""

from __future__ import annotations

import io
import os

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.bulk.models import BatchStatus, BulkBatch, BulkRow, RowStatus
from muqeem.bulk.spreadsheet import MAX_FILE_BYTES
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory, UserFactory

from .conftest import csv_bytes, renew, upload_file, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def residents(establishment):
    return [ResidentFactory(establishment=establishment) for _ in range(3)]


def post_file(client, name, content, capture):
    with capture(execute=True):
        return client.post(reverse("bulk:index"), {"file": upload_file(name, content)})


def batch_file(residents, other_resident):
    return xlsx_bytes(
        [
            renew(residents[0].iqama_number),
            renew(residents[1].iqama_number, 6),
            renew(other_resident.iqama_number),
            renew("2000000000"),
        ]
    )


def test_index_shows_the_upload_form_and_the_templates(officer_client):
    page = officer_client.get(reverse("bulk:index"))
    assert page.status_code == 200
    html = page.content.decode()
    for marker in (
        'id="upload-form"',
        'id="template-xlsx"',
        'id="template-csv"',
        'id="no-batches"',
    ):
        assert marker in html
    assert 'data-operation="renew_iqama"' in html


def test_templates_download(officer_client):
    xlsx = officer_client.get(reverse("bulk:template", args=["xlsx"]))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx["Content-Disposition"]
    headers = [c.value for c in load_workbook(io.BytesIO(xlsx.content)).worksheets[0][1]]
    assert "رقم الإقامة / iqama_number" in headers
    csv = officer_client.get(reverse("bulk:template", args=["csv"]))
    assert csv.content.decode("utf-8-sig").startswith("العملية / operation,")
    assert officer_client.get(reverse("bulk:template", args=["pdf"])).status_code == 404


def test_upload_check_confirm_and_download_the_result(
    officer_client, establishment, residents, other_resident, django_capture_on_commit_callbacks
):
    response = post_file(
        officer_client,
        "renewals.xlsx",
        batch_file(residents, other_resident),
        django_capture_on_commit_callbacks,
    )
    batch = BulkBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("bulk:batch", args=[batch.pk])

    page = officer_client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-batch-status="validated"' in html
    assert 'data-row="4" data-status="invalid" data-codes="RESIDENT_NOT_FOUND"' in html
    assert 'data-row="5" data-status="invalid" data-codes="IQAMA_NUMBER_INVALID"' in html
    assert f'data-halalas="{batch.fees_quoted_halalas}"' in html
    assert 'id="confirm-form"' in html
    invalid_only = officer_client.get(response.url, {"rows": "invalid"}).content.decode()
    assert 'data-row="2"' not in invalid_only and 'data-row="4"' in invalid_only

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = officer_client.post(reverse("bulk:confirm", args=[batch.pk]))
    assert confirmed.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    done_page = officer_client.get(reverse("bulk:batch", args=[batch.pk])).content.decode()
    assert 'id="result-download"' in done_page
    # The finished run keeps its progress bar, full, and stops polling.
    assert 'data-percent="100"' in done_page
    assert "hx-get" not in done_page

    result = officer_client.get(reverse("bulk:result", args=[batch.pk]))
    assert result.status_code == 200
    sheet = load_workbook(io.BytesIO(result.content)).worksheets[0]
    # Headers are "<Arabic label> / <key>"; the tests read the key.
    header = [c.value.rsplit(" / ", 1)[-1] for c in sheet[1]]
    lines = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    by_row = {line["row"]: line for line in lines}
    assert [by_row[n]["status"] for n in (2, 3, 4, 5)] == [
        "done",
        "done",
        "invalid",
        "invalid",
    ]
    requests = {r.number for r in ServiceRequest.objects.filter(establishment=establishment)}
    assert {by_row[2]["request_number"], by_row[3]["request_number"]} <= requests
    assert by_row[4]["codes"] == "RESIDENT_NOT_FOUND"
    assert by_row[4]["reason_ar"] and by_row[4]["reason_en"]
    assert by_row[4]["reason_ar"] != by_row[4]["reason_en"]


def test_progress_partial_polls_while_running_and_refreshes_when_done(
    officer_client, residents, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        officer_client.post(
            reverse("bulk:index"),
            {"file": upload_file("f.csv", csv_bytes([renew(residents[0].iqama_number)]))},
        )
    batch = BulkBatch.objects.get()
    url = reverse("bulk:progress", args=[batch.pk])
    polling = officer_client.get(url, headers={"HX-Request": "true"})
    assert polling.status_code == 200
    assert f'hx-get="{url}"' in polling.content.decode()
    assert 'data-percent="0"' in polling.content.decode()
    assert "HX-Refresh" not in polling
    page = officer_client.get(reverse("bulk:batch", args=[batch.pk])).content.decode()
    assert "htmx" in page and 'hx-trigger="every 1s"' in page

    from muqeem.bulk.services import bulk_batch_validate

    bulk_batch_validate(batch_id=batch.pk)
    finished = officer_client.get(url, headers={"HX-Request": "true"})
    assert finished["HX-Refresh"] == "true"
    assert 'data-percent="100"' in finished.content.decode()
    assert "hx-get" not in finished.content.decode()


def test_upload_errors_are_shown_and_nothing_is_stored(
    officer_client, django_capture_on_commit_callbacks
):
    cases = [
        ("wrong.csv", csv_bytes([["x", "y"]], ["colour", "size"]), "BULK_COLUMNS_INVALID", 400),
        ("win.csv", csv_bytes([renew("2100000005")], encoding="cp1256"), "BULK_FILE_ENCODING", 400),
        ("junk.xlsx", os.urandom(2048), "BULK_FILE_UNREADABLE", 400),
        ("notes.txt", b"hello", "BULK_FILE_TYPE_NOT_ALLOWED", 400),
    ]
    for name, content, code, status in cases:
        response = post_file(officer_client, name, content, django_capture_on_commit_callbacks)
        assert response.status_code == status, name
        assert f'data-code="{code}"' in response.content.decode(), name
    assert not BulkBatch.objects.exists()


def test_fifty_megabytes_of_junk_are_refused_without_being_kept(
    officer_client, django_capture_on_commit_callbacks
):
    junk = os.urandom(50 * 1024 * 1024)
    response = post_file(officer_client, "junk.xlsx", junk, django_capture_on_commit_callbacks)
    assert response.status_code == 413
    assert 'data-code="BULK_FILE_TOO_LARGE"' in response.content.decode()
    assert not BulkBatch.objects.exists()
    # Just over the limit is refused too; the limit itself is the boundary.
    over = post_file(
        officer_client, "big.csv", b"a" * (MAX_FILE_BYTES + 1), django_capture_on_commit_callbacks
    )
    assert over.status_code == 413


def test_no_file_is_a_form_error(officer_client):
    response = officer_client.post(reverse("bulk:index"), {})
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()


def test_upload_needs_the_csrf_token(client, hr_officer, residents):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(hr_officer)
    session = strict.session
    session[SESSION_FLAG] = "verified"
    session.save()
    content = csv_bytes([renew(residents[0].iqama_number)])
    response = strict.post(reverse("bulk:index"), {"file": upload_file("f.csv", content)})
    assert response.status_code == 403
    assert not BulkBatch.objects.exists()


def test_another_establishments_batch_is_not_found(
    officer_client, other_officer, other_establishment, django_capture_on_commit_callbacks
):
    foreign = ResidentFactory(establishment=other_establishment)
    from muqeem.bulk.services import bulk_batch_upload

    content = csv_bytes([renew(foreign.iqama_number)])
    with django_capture_on_commit_callbacks(execute=True):
        batch = bulk_batch_upload(
            actor=other_officer, filename="f.csv", size=len(content), content=io.BytesIO(content)
        )
    for name in ("bulk:batch", "bulk:progress", "bulk:result"):
        assert officer_client.get(reverse(name, args=[batch.pk])).status_code == 404, name
    for name in ("bulk:confirm", "bulk:resume"):
        assert officer_client.post(reverse(name, args=[batch.pk])).status_code == 404, name
    assert BulkBatch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED
    index = officer_client.get(reverse("bulk:index")).content.decode()
    assert f'data-batch="{batch.pk}"' not in index


def test_bulk_pages_need_the_bulk_permission(client, establishment):
    officer = UserFactory(
        establishment=establishment, service_permissions=["iqama_renewal", "exit_reentry"]
    )
    client.force_login(officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    assert client.get(reverse("bulk:index")).status_code == 403
    assert client.get(reverse("bulk:template", args=["xlsx"])).status_code == 403
    response = client.post(reverse("bulk:index"), {"file": upload_file("f.csv", b"x")})
    assert response.status_code == 403
    assert not BulkBatch.objects.exists()


def test_bulk_pages_need_the_security_code(client, hr_officer):
    client.force_login(hr_officer)
    response = client.get(reverse("bulk:index"))
    assert response.status_code == 302
    assert reverse("accounts:security_code") in response.url


def test_a_user_without_renewal_permission_gets_each_renewal_row_refused(
    client, establishment, residents, django_capture_on_commit_callbacks
):
    officer = UserFactory(establishment=establishment, service_permissions=["bulk"])
    client.force_login(officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    content = csv_bytes([renew(r.iqama_number) for r in residents])
    post_file(client, "f.csv", content, django_capture_on_commit_callbacks)
    batch = BulkBatch.objects.get()
    assert [r.codes for r in BulkRow.objects.filter(batch=batch)] == [["PERMISSION_DENIED"]] * 3
    page = client.get(reverse("bulk:batch", args=[batch.pk])).content.decode()
    assert 'id="nothing-to-run"' in page
    assert client.post(reverse("bulk:confirm", args=[batch.pk])).status_code == 409


def test_batch_page_query_count_does_not_grow_with_rows(
    officer_client, establishment, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    residents = [ResidentFactory(establishment=establishment) for _ in range(120)]
    content = csv_bytes([renew(r.iqama_number) for r in residents])
    post_file(officer_client, "f.csv", content, django_capture_on_commit_callbacks)
    batch = BulkBatch.objects.get()
    assert batch.rows_valid == 120
    with django_assert_max_num_queries(12):
        page = officer_client.get(reverse("bulk:batch", args=[batch.pk]))
    assert page.content.decode().count('data-status="valid"') == 100
    second = officer_client.get(reverse("bulk:batch", args=[batch.pk]), {"page": 2})
    assert second.content.decode().count('data-status="valid"') == 20
    assert RowStatus.VALID == "valid"
