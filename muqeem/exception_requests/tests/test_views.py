"""The portal and staff console pages: from the refusal to the decision and the download."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from muqeem.exception_requests.attachments import MAX_ATTACHMENT_BYTES
from muqeem.exception_requests.models import ExceptionAttachment, ExceptionRequest, ExceptionStatus
from tests.factories import ResidentFactory, UserFactory

from .conftest import GIF, JPEG, PDF, PNG, file_request, upload

pytestmark = pytest.mark.django_db

LIST = reverse("exception_requests:list")
FILE = reverse("exception_requests:file")
QUEUE = reverse("exception_requests_staff:list")


def _post_file(client, resident, files=(), code="LATE_RENEWAL_LIMIT_REACHED", reason="Hospital"):
    return client.post(
        FILE,
        {
            "iqama_number": resident.iqama_number,
            "code": code,
            "reason": reason,
            "attachments": list(files),
        },
    )


def test_refusal_page_links_to_a_prefilled_exception_request(officer_client, late_resident):
    resp = officer_client.post(
        reverse("iqama_renewal:renew"),
        {"iqama_number": late_resident.iqama_number, "period_months": 3},
    )
    html = resp.content.decode()
    assert 'data-code="LATE_RENEWAL_LIMIT_REACHED"' in html
    match = re.search(r'href="([^"]+)" data-exception-code="LATE_RENEWAL_LIMIT_REACHED"', html)
    assert match, html
    url = match.group(1).replace("&amp;", "&")
    assert url == f"{FILE}?code=LATE_RENEWAL_LIMIT_REACHED&iqama={late_resident.iqama_number}"

    form = officer_client.get(url).content.decode()
    assert f'value="{late_resident.iqama_number}"' in form
    assert (
        'value="LATE_RENEWAL_LIMIT_REACHED" id="id_code_LATE_RENEWAL_LIMIT_REACHED" checked' in form
    )
    assert 'id="id_code_UNPAID_TRAFFIC_FINES" checked' not in form


def test_refusals_that_cannot_be_waived_have_no_link(officer_client, establishment):
    from datetime import timedelta

    from muqeem.core.dates import today

    blocked = ResidentFactory(
        establishment=establishment, passport_expiry_date=today() - timedelta(days=1)
    )
    resp = officer_client.post(
        reverse("iqama_renewal:renew"),
        {"iqama_number": blocked.iqama_number, "period_months": 3},
    )
    assert b'data-code="PASSPORT_EXPIRED"' in resp.content
    assert b"data-exception-code" not in resp.content


def test_file_with_attachments_then_follow_and_withdraw(officer_client, late_resident):
    files = [
        SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg"),
        # Named .pdf, but a PNG inside: stored as what it is.
        SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf"),
    ]
    resp = _post_file(officer_client, late_resident, files)
    exception = ExceptionRequest.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == reverse("exception_requests:detail", args=[exception.number])
    types = sorted(a.content_type for a in exception.attachments.all())
    assert types == ["application/pdf", "image/jpeg", "image/png"]

    listing = officer_client.get(LIST).content.decode()
    assert f'data-number="{exception.number}"' in listing
    assert 'data-status="pending"' in listing

    detail = officer_client.get(resp["Location"])
    assert detail.status_code == 200
    assert b"report.pdf" in detail.content and b'id="withdraw-form"' in detail.content

    attachment = exception.attachments.get(original_name="report.pdf")
    download = officer_client.get(
        reverse("exception_requests:attachment", args=[exception.number, attachment.pk])
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF

    resp = officer_client.post(reverse("exception_requests:withdraw", args=[exception.number]))
    assert resp.status_code == 302
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.WITHDRAWN
    again = officer_client.post(reverse("exception_requests:withdraw", args=[exception.number]))
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("animation.gif", GIF),
        ("program.pdf", b"MZ\x90\x00" + b"\x00" * 64),
        ("empty.pdf", b""),
        ("huge.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES),
    ],
)
def test_attachments_are_checked_by_content_and_size(officer_client, late_resident, name, content):
    resp = _post_file(officer_client, late_resident, [SimpleUploadedFile(name, content)])
    assert resp.status_code == 400
    assert b'data-code="ATTACHMENT_INVALID"' in resp.content
    assert ExceptionRequest.objects.count() == 0
    assert ExceptionAttachment.objects.count() == 0


def test_at_most_three_attachments(officer_client, late_resident):
    files = [SimpleUploadedFile(f"f{i}.pdf", PDF) for i in range(4)]
    resp = _post_file(officer_client, late_resident, files)
    assert resp.status_code == 400
    assert b'id="form-errors"' in resp.content
    assert ExceptionRequest.objects.count() == 0


def test_another_establishment_gets_404_for_pages_and_files(
    client, hr_officer, other_officer, late_resident
):
    exception = file_request(hr_officer, late_resident, uploads=[upload()])
    attachment = exception.attachments.get()
    client.force_login(other_officer)
    for url in (
        reverse("exception_requests:detail", args=[exception.number]),
        reverse("exception_requests:attachment", args=[exception.number, attachment.pk]),
        reverse("exception_requests:detail", args=["3999999999"]),
    ):
        assert client.get(url).status_code == 404
    assert exception.number.encode() not in client.get(LIST).content


def test_officer_list_query_count_is_constant(
    officer_client, hr_officer, establishment, django_assert_max_num_queries
):
    for _ in range(6):
        file_request(hr_officer, ResidentFactory(establishment=establishment))
    with django_assert_max_num_queries(12):
        resp = officer_client.get(LIST)
    assert resp.content.count(b"data-number=") == 6


# --- Staff console ---------------------------------------------------------------------------


def test_supervisor_reads_the_queue_and_approves_with_the_facts_in_view(
    client, supervisor, hr_officer, late_resident, establishment, django_assert_max_num_queries
):
    pending = file_request(hr_officer, late_resident, uploads=[upload(PNG, "photo.png")])
    for _ in range(4):
        r = ResidentFactory(establishment=establishment)
        decided = file_request(hr_officer, r)
        decided.status = ExceptionStatus.REJECTED
        decided.save(update_fields=["status"])
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        queue = client.get(QUEUE)
    html = queue.content.decode()
    assert html.count("data-number=") == 5
    # Under review first.
    assert html.index(f'data-number="{pending.number}"') < html.index('data-status="rejected"')
    filtered = client.get(QUEUE, {"status": "pending"}).content.decode()
    assert filtered.count("data-number=") == 1
    searched = client.get(QUEUE, {"q": late_resident.iqama_number}).content.decode()
    assert searched.count("data-number=") == 1

    url = reverse("exception_requests_staff:detail", args=[pending.number])
    page = client.get(url)
    assert page.status_code == 200
    assert b'id="f-late-renewals"' in page.content and b'id="decision-form"' in page.content
    attachment = pending.attachments.get()
    download = client.get(
        reverse("exception_requests_staff:attachment", args=[pending.number, attachment.pk])
    )
    assert download.status_code == 200 and download["Content-Type"] == "image/png"

    resp = client.post(url, {"decision": "approve", "reason": "Hospital report checked."})
    assert resp.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ExceptionStatus.APPROVED
    assert pending.decided_by == supervisor


def test_reject_needs_a_reason(client, supervisor, hr_officer, late_resident):
    exception = file_request(hr_officer, late_resident)
    client.force_login(supervisor)
    url = reverse("exception_requests_staff:detail", args=[exception.number])
    resp = client.post(url, {"decision": "reject", "reason": ""})
    assert resp.status_code == 400
    assert b'data-code="REASON_REQUIRED"' in resp.content
    client.post(url, {"decision": "reject", "reason": "No evidence."})
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.REJECTED
    assert exception.decision_reason == "No evidence."


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_operators_and_auditors_read_but_cannot_decide(
    client, request, role, hr_officer, late_resident
):
    exception = file_request(hr_officer, late_resident, uploads=[upload()])
    client.force_login(request.getfixturevalue(role))
    url = reverse("exception_requests_staff:detail", args=[exception.number])
    assert client.get(QUEUE).status_code == 200
    page = client.get(url)
    assert page.status_code == 200
    assert b'id="decision-form"' not in page.content and b'id="read-only-note"' in page.content
    assert client.post(url, {"decision": "approve"}).status_code == 403
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.PENDING


def test_establishment_users_and_strangers_cannot_reach_staff_pages(
    client, officer_client, hr_officer, late_resident
):
    exception = file_request(hr_officer, late_resident, uploads=[upload()])
    attachment = exception.attachments.get()
    urls = [
        QUEUE,
        reverse("exception_requests_staff:detail", args=[exception.number]),
        reverse("exception_requests_staff:attachment", args=[exception.number, attachment.pk]),
    ]
    for url in urls:
        assert officer_client.get(url).status_code == 404
    assert officer_client.post(urls[1], {"decision": "approve"}).status_code == 404
    plain = UserFactory(establishment=None, is_staff=False)
    client.force_login(plain)
    for url in urls:
        assert client.get(url).status_code == 404
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.PENDING


def test_menu_links_to_exception_requests(officer_client):
    resp = officer_client.get(reverse("web:home"))
    assert b'id="exceptions-link"' in resp.content


def test_upload_helper_reads_from_the_start():
    stream = BytesIO(PDF)
    stream.read()
    from muqeem.exception_requests.attachments import attachment_check

    assert attachment_check(name="a.pdf", size=len(PDF), stream=stream).content_type == (
        "application/pdf"
    )


def test_late_visa_cancellation_page_links_to_the_exception_request(
    officer_client, hr_officer, resident
):
    from .conftest import old_unused_visa

    visa = old_unused_visa(hr_officer, resident)
    resp = officer_client.get(reverse("exit_reentry:cancel", args=[visa.number]))
    html = resp.content.decode()
    assert 'data-exception-code="VISA_CANCEL_WINDOW_PASSED"' in html
    assert f"iqama={resident.iqama_number}" in html


def test_a_sub_user_without_the_residents_permission_cannot_reach_the_pages(client, establishment):
    user = UserFactory(establishment=establishment, service_permissions=["reports"])
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert client.get(FILE).status_code in (302, 403)


def test_one_request_waives_every_refusal_of_the_transaction(
    officer_client, hr_officer, supervisor, late_resident
):
    from muqeem.eservices.iqama_renewal.services import iqama_renew
    from muqeem.exception_requests.services import exception_request_approve

    late_resident.unpaid_traffic_fines_halalas = 30_000
    late_resident.save(update_fields=["unpaid_traffic_fines_halalas"])
    resp = officer_client.post(
        reverse("iqama_renewal:renew"),
        {"iqama_number": late_resident.iqama_number, "period_months": 3},
    )
    html = resp.content.decode()
    match = re.search(r'href="([^"]+)" data-exception-code="UNPAID_TRAFFIC_FINES"', html)
    assert match, html
    url = match.group(1).replace("&amp;", "&")
    assert "code=UNPAID_TRAFFIC_FINES&code=LATE_RENEWAL_LIMIT_REACHED" in url

    form = officer_client.get(url).content.decode()
    assert 'id="id_code_LATE_RENEWAL_LIMIT_REACHED" checked' in form
    assert 'id="id_code_UNPAID_TRAFFIC_FINES" checked' in form

    resp = officer_client.post(
        FILE,
        {
            "iqama_number": late_resident.iqama_number,
            "code": ["LATE_RENEWAL_LIMIT_REACHED", "UNPAID_TRAFFIC_FINES"],
            "reason": "In hospital; the fine is under objection.",
        },
    )
    assert resp.status_code == 302
    exception = ExceptionRequest.objects.get()
    assert sorted(exception.codes) == ["LATE_RENEWAL_LIMIT_REACHED", "UNPAID_TRAFFIC_FINES"]
    exception_request_approve(actor=supervisor, number=exception.number)
    result = iqama_renew(
        actor=hr_officer,
        iqama_number=late_resident.iqama_number,
        period_months=3,
        idempotency_key="both",
    )
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.USED
    assert exception.used_by_request == result.request


def test_refusals_of_two_services_cannot_share_a_request(officer_client, late_resident):
    resp = officer_client.post(
        FILE,
        {
            "iqama_number": late_resident.iqama_number,
            "code": ["LATE_RENEWAL_LIMIT_REACHED", "VISA_CANCEL_WINDOW_PASSED"],
            "reason": "Both.",
        },
    )
    assert resp.status_code == 400
    assert ExceptionRequest.objects.count() == 0
