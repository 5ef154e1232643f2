"""Transactions by period and type, the visas report, and who may open the reports."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from muqeem.accounts.permissions import Permission
from muqeem.core.dates import today
from muqeem.eservices.exit_reentry.models import VisaEventKind, VisaStatus
from muqeem.reports.tests.builders import (
    days,
    logged_in,
    resident,
    service_request,
    visa,
    visa_event,
)
from muqeem.workflow.machine import RequestStatus, ServiceType
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REPORT_URLS = [
    "reports:index",
    "reports:transactions",
    "reports:transactions_xlsx",
    "reports:statement",
    "reports:statement_xlsx",
    "reports:statement_pdf",
    "reports:visas",
]


def at(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone())


# --- Permission ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", REPORT_URLS)
def test_reports_need_the_reports_permission(establishment, url_name):
    without = UserFactory(
        establishment=establishment,
        service_permissions=[p for p in Permission if p != Permission.REPORTS],
    )
    assert logged_in(without).get(reverse(url_name)).status_code == 403
    with_reports = UserFactory(
        establishment=establishment, service_permissions=[Permission.REPORTS]
    )
    assert logged_in(with_reports).get(reverse(url_name)).status_code == 200


def test_the_main_user_opens_the_reports(establishment):
    main = UserFactory(establishment=establishment, is_main_user=True, service_permissions=[])
    assert logged_in(main).get(reverse("reports:index")).status_code == 200


def test_staff_without_an_establishment_get_no_reports(db):
    staff = UserFactory(establishment=None, is_staff=True)
    assert logged_in(staff).get(reverse("reports:transactions")).status_code == 404


# --- Transactions ----------------------------------------------------------------------------------


@pytest.fixture
def requests(establishment, other_establishment, hr_officer):
    on = today()
    start = on - timedelta(days=10)
    made = [
        (ServiceType.IQAMA_RENEWAL, RequestStatus.COMPLETED, 9_650_00, start),
        (ServiceType.IQAMA_RENEWAL, RequestStatus.COMPLETED, 9_650_00, on),
        (ServiceType.IQAMA_RENEWAL, RequestStatus.REJECTED, 500_00, on),
        (ServiceType.EXIT_REENTRY_ISSUE, RequestStatus.COMPLETED, 200_00, on - timedelta(days=3)),
        # Outside the period: the day before it starts, and tomorrow.
        (
            ServiceType.EXIT_REENTRY_ISSUE,
            RequestStatus.COMPLETED,
            200_00,
            start - timedelta(days=1),
        ),
        (ServiceType.IQAMA_RENEWAL, RequestStatus.COMPLETED, 9_650_00, on + timedelta(days=1)),
    ]
    for service, status, fee, day in made:
        service_request(
            establishment,
            service_type=service,
            status=status,
            fee_halalas=fee,
            created_at=at(day),
            user=hr_officer,
        )
    service_request(other_establishment, fee_halalas=1_00, created_at=at(on))
    return {"date_from": start.isoformat(), "date_to": on.isoformat()}


def test_transactions_are_grouped_by_service_and_status_for_the_period(officer_client, requests):
    html = officer_client.get(reverse("reports:transactions"), requests).content.decode()
    groups = re.findall(
        r'data-service="(\w+)" data-status="(\w+)" data-count="(\d+)" data-fees="(\d+)"', html
    )
    assert groups == [
        ("exit_reentry_issue", "completed", "1", "20000"),
        ("iqama_renewal", "completed", "2", "1930000"),
        ("iqama_renewal", "rejected", "1", "50000"),
    ]
    assert re.search(r'id="total-requests" data-value="4"', html)
    assert re.search(r'id="total-fees" data-value="2000000"', html)


def test_the_transactions_period_starts_and_ends_on_riyadh_days(officer_client, establishment):
    on = today()
    # 00:00 and 23:59 in Riyadh are inside the day; 23:59 the day before is not.
    for moment in (at(on, 0), at(on, 23), at(on - timedelta(days=1), 23)):
        service_request(establishment, created_at=moment)
    response = officer_client.get(
        reverse("reports:transactions"), {"date_from": on.isoformat(), "date_to": on.isoformat()}
    )
    assert response.context["report"].count == 2


def test_the_transactions_xlsx_holds_the_same_groups(officer_client, requests):
    response = officer_client.get(reverse("reports:transactions_xlsx"), requests)
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[4], r[5], r[2], float(r[3])) for r in rows[:-1]] == [
        ("exit_reentry_issue", "completed", 1, 200.0),
        ("iqama_renewal", "completed", 2, 19_300.0),
        ("iqama_renewal", "rejected", 1, 500.0),
    ]
    assert rows[-1][2] == 4 and float(rows[-1][3]) == 20_000.0


def test_the_default_period_is_this_month(officer_client):
    report = officer_client.get(reverse("reports:transactions")).context["report"]
    assert (report.start, report.end) == (today().replace(day=1), today())


# --- Visas -----------------------------------------------------------------------------------------


def test_the_visas_report_counts_each_visa_by_what_happened_in_the_period(
    officer_client, establishment, other_establishment
):
    start, end = days(-30), days(0)
    a, b, c, d = (resident(establishment) for _ in range(4))
    va = visa(a, status=VisaStatus.RETURNED)
    visa_event(va, VisaEventKind.ISSUED, days(-20))
    # A multiple visa used twice in the period counts once as used and once as returned.
    visa_event(va, VisaEventKind.DEPARTED, days(-15))
    visa_event(va, VisaEventKind.ARRIVED, days(-10))
    visa_event(va, VisaEventKind.DEPARTED, days(-8))
    visa_event(va, VisaEventKind.ARRIVED, days(-2))
    vb = visa(b, status=VisaStatus.EXPIRED_UNUSED)
    visa_event(vb, VisaEventKind.ISSUED, days(-60))  # before the period
    visa_event(vb, VisaEventKind.EXPIRED_UNUSED, days(-1))
    vc = visa(c, status=VisaStatus.NOT_RETURNED)
    visa_event(vc, VisaEventKind.ISSUED, days(-25))
    visa_event(vc, VisaEventKind.DEPARTED, days(-24))
    visa_event(vc, VisaEventKind.NOT_RETURNED, days(-3))
    vd = visa(d, status=VisaStatus.CANCELLED)
    visa_event(vd, VisaEventKind.ISSUED, days(-5))
    visa_event(vd, VisaEventKind.CANCELLED, days(-4))
    foreign = visa(resident(other_establishment), status=VisaStatus.NOT_RETURNED)
    visa_event(foreign, VisaEventKind.NOT_RETURNED, days(-3))
    response = officer_client.get(
        reverse("reports:visas"), {"date_from": start.isoformat(), "date_to": end.isoformat()}
    )
    report = response.context["report"]
    assert report.count("issued") == 3
    assert report.count("departed") == 2
    assert report.count("arrived") == 1
    assert report.count("expired_unused") == 1
    assert report.count("not_returned") == 1
    assert report.count("cancelled") == 1
    html = response.content.decode()
    for fid, expected in (
        ("visas-issued", 3),
        ("visas-used", 2),
        ("visas-returned", 1),
        ("visas-expired-unused", 1),
        ("visas-not-returned", 1),
    ):
        assert re.search(rf'id="{fid}" data-value="{expected}"', html), fid
    listed = re.findall(r'data-visa="(\d+)" data-kind="(\w+)"', html)
    assert listed == [(vc.number, "not_returned"), (vb.number, "expired_unused")]
    assert foreign.number not in html
