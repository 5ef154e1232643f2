"""The home page's dashboard against hand-built residents, visas, transfers and deliveries: each
count worked out by hand, each drill-down link listing exactly the residents counted, and the same
number of queries for 5 residents as for 55."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muqeem.accounts.permissions import Permission
from muqeem.core.dates import today
from muqeem.delivery.models import DeliveryStatus
from muqeem.eservices.exit_reentry.models import VisaStatus
from muqeem.eservices.iqama_renewal.fees import renewal_quote
from muqeem.eservices.iqama_renewal.rules import RENEWABLE_STATUSES
from muqeem.fees.selectors import schedule_at
from muqeem.reports.tests.builders import (
    days,
    delivery,
    logged_in,
    resident,
    transfer,
    visa,
)
from muqeem.residents.models import Resident, ResidentStatus
from muqeem.web.selectors import establishment_dashboard
from muqeem.workflow.machine import RequestStatus
from tests.factories import DependentFactory, EstablishmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def figure(html: str, fid: str) -> int:
    match = re.search(rf'id="{fid}" data-value="(-?\d+)"', html)
    assert match, fid
    return int(match.group(1))


@pytest.fixture
def populated(establishment, other_establishment):
    """The establishment's residents in every situation the dashboard counts."""
    est = establishment
    r = {}
    r["expired"] = [resident(est, expires_in=d) for d in (-1, -10, -400)]
    # Gone for good: no longer the establishment's concern, even with an expired iqama.
    resident(est, expires_in=-3, status=ResidentStatus.DEPARTED_FINAL, inside_kingdom=False)
    r["today"] = resident(est, expires_in=0)
    r["in_20"] = [resident(est, expires_in=20) for _ in range(2)]
    r["in_30"] = resident(est, expires_in=30)
    r["in_31"] = resident(est, expires_in=31)
    r["in_45"] = resident(est, expires_in=45)
    r["in_80"] = resident(est, expires_in=80)
    r["in_91"] = resident(est, expires_in=91)
    r["abroad"] = resident(
        est, status=ResidentStatus.OUTSIDE_KINGDOM, inside_kingdom=False, expires_in=200
    )
    r["not_returned"] = [
        resident(est, status=ResidentStatus.EXITED_NOT_RETURNED, inside_kingdom=False)
        for _ in range(2)
    ]
    r["passport_soon"] = resident(est, passport_expiry_date=days(100))
    r["passport_gone"] = resident(est, passport_expiry_date=days(-5))
    r["no_expiry"] = resident(est, expires_in=None, iqama_number=None, border_number="3000000001")
    # Visas: at risk (issued, travel within 14 days), issued later, used, returned, stale issued.
    r["visa_at_risk"] = visa(r["in_45"], travel_by=days(10))
    visa(r["in_80"], travel_by=days(30))
    visa(r["abroad"], status=VisaStatus.USED)
    visa(r["in_91"], status=VisaStatus.RETURNED)
    visa(r["passport_soon"], travel_by=days(-1))
    # Transfers: two waiting for our answer, one answered, one we asked for elsewhere.
    for worker in r["in_20"]:
        transfer(worker, to_establishment=other_establishment)
    transfer(r["in_30"], to_establishment=other_establishment, status=RequestStatus.COMPLETED)
    outsider = resident(other_establishment)
    transfer(outsider, to_establishment=est)
    # Deliveries: two on their way, one delivered.
    delivery(r["today"])
    delivery(r["in_31"], status=DeliveryStatus.SHIPPED)
    delivery(r["in_45"], status=DeliveryStatus.DELIVERED)
    # Another establishment's troubles never show.
    for d in (-5, 5, 25, 85):
        foreign = resident(other_establishment, expires_in=d, inside_kingdom=False)
        visa(foreign, travel_by=days(3))
    resident(other_establishment, status=ResidentStatus.EXITED_NOT_RETURNED)
    return r


def test_dashboard_counts_match_the_hand_built_residents(officer_client, populated):
    html = officer_client.get(reverse("web:home")).content.decode()
    # Current residents: everyone above but the two not returned and the departed one.
    assert figure(html, "figure-residents") == 15
    assert figure(html, "figure-expired") == 3
    # Today, two in 20 days, and the 30th day itself.
    assert figure(html, "figure-expiring") == 4
    assert figure(html, "figure-expiring-60") == 4 + 2  # and 31, 45
    assert figure(html, "figure-expiring-90") == 4 + 2 + 1  # and 80
    assert figure(html, "figure-passports") == 2
    assert figure(html, "figure-visas-outstanding") == 4  # at risk, later, used, stale issued
    assert figure(html, "figure-visas-at-risk") == 1
    assert figure(html, "figure-abroad") == 1
    assert figure(html, "figure-not-returned") == 2
    assert figure(html, "figure-transfers") == 2
    assert figure(html, "figure-deliveries") == 2


def test_the_month_chart_counts_every_current_iqama_expiring_in_the_next_12_months(
    establishment, populated
):
    board = establishment_dashboard(establishment=establishment)
    current = Resident.objects.filter(
        establishment=establishment,
        status__in=(
            ResidentStatus.ACTIVE,
            ResidentStatus.OUTSIDE_KINGDOM,
            ResidentStatus.ABSENT_FROM_WORK,
        ),
        iqama_expiry_date__gte=today(),
        iqama_expiry_date__lte=board.months[-1].end,
    ).count()
    assert sum(m.count for m in board.months) == current
    assert board.months[0].start == today()
    assert board.months[1].start.day == 1
    assert all(
        a.end + timedelta(days=1) == b.start
        for a, b in zip(board.months, board.months[1:], strict=False)
    )
    assert len(board.months) == 12


def test_the_renewal_estimate_equals_quoting_every_resident_one_by_one(establishment):
    est = establishment
    with_family = resident(est, expires_in=10)
    DependentFactory(resident=with_family)
    DependentFactory(resident=with_family)
    DependentFactory(resident=with_family, is_active=False)
    resident(est, expires_in=50)
    resident(est, expires_in=89)
    resident(
        est,
        expires_in=70,
        status=ResidentStatus.OUTSIDE_KINGDOM,
        inside_kingdom=False,
        is_domestic_worker=True,
    )
    resident(est, expires_in=60, is_domestic_worker=True)
    resident(est, expires_in=30, status=ResidentStatus.ABSENT_FROM_WORK)  # cannot be renewed
    resident(est, expires_in=-2)  # already expired: not in the next 90 days
    resident(est, expires_in=120)
    on = today()
    schedule = schedule_at(on)
    expected = 0
    counted = 0
    for r in Resident.objects.filter(
        establishment=est,
        status__in=RENEWABLE_STATUSES,
        iqama_expiry_date__gte=on,
        iqama_expiry_date__lte=days(90),
    ):
        counted += 1
        expected += renewal_quote(
            schedule,
            months=12,
            dependents=r.dependents.filter(is_active=True).count(),
            saudis_majority=est.saudis_majority,
            abroad=not r.inside_kingdom,
            domestic_worker=r.is_domestic_worker,
            late=False,
            prior_late_renewals=0,
        ).total_halalas
    needs = establishment_dashboard(establishment=est).renewal
    assert counted == 5
    assert needs.residents == 5
    assert needs.total_halalas == expected > 0
    assert sum(amount for _, amount in needs.by_fee) == expected
    # Three kinds of quote: plain (2 residents), with two dependents, domestic abroad, domestic inside.
    assert needs.groups == 4


def test_the_renewal_estimate_shows_and_warns_when_the_balance_is_short(
    officer_client, establishment
):
    for _ in range(3):
        resident(establishment, expires_in=15)
    html = officer_client.get(reverse("web:home")).content.decode()
    fees = figure(html, "figure-renewal-fees")
    assert fees > 0
    assert ('id="renewal-shortfall"' in html) == (fees > establishment.balance_halalas)


def test_each_drill_down_lists_exactly_the_residents_counted(officer_client, populated):
    response = officer_client.get(reverse("web:home"))
    links = response.context["links"]
    board = response.context["board"]
    expected = {
        "iqama_expired": board.iqama_expired,
        "passports_expiring": board.passports_expiring,
        "abroad": board.abroad,
        "not_returned": board.not_returned,
        "visas_outstanding": board.visas_outstanding,
        "visas_at_risk": board.visas_at_risk,
        **{f"within_{w.days}": w.count for w in board.windows},
    }
    assert set(links) == set(expected)
    html = response.content.decode()
    for name, count in expected.items():
        assert f'href="{links[name]}"'.replace("&", "&amp;") in html, name
        listed = officer_client.get(links[name]).content.decode()
        assert figure(listed, "residents-total") == count, name
    # The month chart's bars drill down too.
    for bar_href, month in zip(
        re.findall(r'<a href="([^"]+)"><rect', html)[:12], board.months, strict=True
    ):
        listed = officer_client.get(unescape(bar_href)).content.decode()
        assert figure(listed, "residents-total") == month.count


def page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_queries_do_not_grow_with_the_residents(
    establishment, hr_officer, other_establishment
):
    client = logged_in(hr_officer)
    # What any portal page costs (session, user, establishment, the menu's badges): the reports
    # index runs no query of its own.
    frame = page_queries(client, reverse("reports:index"))
    for i in range(5):
        resident(establishment, expires_in=i * 20 - 10)
    few = page_queries(client, reverse("web:home"))
    for i in range(50):
        r = resident(establishment, expires_in=i * 7 - 20, inside_kingdom=bool(i % 3))
        if i % 4 == 0:
            DependentFactory(resident=r)
        if i % 5 == 0:
            visa(r, travel_by=days(i % 20))
        if i % 9 == 0:
            delivery(r)
        if i % 11 == 0:
            transfer(r, to_establishment=other_establishment)
    many = page_queries(client, reverse("web:home"))
    assert few == many
    # Current residents' counts, visas, in-flight counts (not returned, transfers, deliveries),
    # the fee schedule, renewal groups, nationalities and their names.
    assert many - frame == 7


def test_the_dashboard_selector_runs_seven_queries(establishment, django_assert_num_queries):
    for i in range(20):
        resident(establishment, expires_in=i * 9 - 30)
    with django_assert_num_queries(7):
        establishment_dashboard(establishment=establishment)


def test_every_date_on_the_dashboard_is_gregorian_and_hijri(officer_client, populated):
    html = officer_client.get(reverse("web:home")).content.decode()
    gregorian = r'<bdi dir="ltr">\d\d/\d\d/20\d\d</bdi>'
    dual = re.findall(gregorian + r'م الموافق <bdi dir="ltr">\d\d/\d\d/14\d\d</bdi>هـ', html)
    # Today, the three expiry windows, passports, the visas' travel-by day, the renewal horizon.
    assert len(dual) == 7
    assert len(re.findall(gregorian, html)) == len(dual)


def test_report_links_show_only_with_the_reports_permission(establishment):
    with_reports = UserFactory(
        establishment=establishment, service_permissions=[Permission.REPORTS]
    )
    without = UserFactory(
        establishment=establishment, service_permissions=[Permission.VIEW_RESIDENTS]
    )
    shown = logged_in(with_reports).get(reverse("web:home"))
    hidden = logged_in(without).get(reverse("web:home"))
    assert shown.context["can_view_reports"] is True
    assert 'id="reports-links"' in shown.content.decode()
    assert reverse("reports:statement") in shown.content.decode()
    assert hidden.context["can_view_reports"] is False
    assert 'id="reports-links"' not in hidden.content.decode()
    assert reverse("reports:statement") not in hidden.content.decode()


def test_a_user_without_view_residents_sees_counts_but_no_drill_down_links(establishment):
    resident(establishment, expires_in=-3)
    user = UserFactory(establishment=establishment, service_permissions=[Permission.IQAMA_RENEWAL])
    response = logged_in(user).get(reverse("web:home"))
    html = response.content.decode()
    assert figure(html, "figure-expired") == 1
    assert f'href="{reverse("residents:list")}' not in html
    assert 'id="residents-list-link"' not in html
    assert response.context["links"] == {}
    assert reverse("service_transfer:inbox") not in html
    assert reverse("delivery:list") not in html


def test_the_dashboard_links_the_inbox_and_deliveries_for_those_allowed(officer_client):
    html = officer_client.get(reverse("web:home")).content.decode()
    assert reverse("service_transfer:inbox") in html
    assert reverse("delivery:list") in html


def test_an_empty_establishment_gets_a_dashboard_of_zeros(db):
    est = EstablishmentFactory()
    user = UserFactory(establishment=est)
    html = logged_in(user).get(reverse("web:home")).content.decode()
    for fid in ("figure-residents", "figure-expired", "figure-expiring", "figure-renewal-fees"):
        assert figure(html, fid) == 0
