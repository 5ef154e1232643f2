"""The authority's Wasel page: staff only, open deliveries with their next moves, tracking search."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.delivery.models import DeliveryEvent, DeliveryStatus
from muqeem.delivery.services import delivery_status_update
from muqeem.delivery.staff_views import PAGE_SIZE
from muqeem.delivery.tests.conftest import reprint
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/authority/wasel/"


def row_key(html: str, tracking: str) -> str:
    row = html[html.index(f'data-tracking="{tracking}"') :]
    return re.search(r'name="key" value="([0-9a-f]{32})"', row).group(1)


def move(client, order, status, key=None, **params):
    html = client.get(URL, params).content.decode()
    key = key or row_key(html, order.tracking_number)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(
        f"{URL}?{query}" if query else URL,
        {"tracking": order.tracking_number, "status": status, "key": key, "note": "by hand"},
    )


def test_the_url_name():
    assert reverse("delivery_staff:orders") == URL


def test_an_establishment_officer_gets_404(client, hr_officer, order):
    client.force_login(hr_officer)
    assert client.get(URL).status_code == 404
    response = client.post(URL, {"tracking": order.tracking_number, "status": "printed"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == DeliveryStatus.REQUESTED


def test_a_user_without_staff_rights_gets_404_and_anonymous_is_sent_to_login(client, db):
    client.force_login(UserFactory(establishment=None, is_staff=False))
    assert client.get(URL).status_code == 404
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response.url


def test_open_deliveries_are_listed_with_their_next_moves(
    staff_client, hr_officer, establishment, other_officer, other_resident
):
    requested = reprint(hr_officer, ResidentFactory(establishment=establishment)).order
    shipped = reprint(other_officer, other_resident).order
    done = reprint(hr_officer, ResidentFactory(establishment=establishment)).order
    for status in ("printed", "shipped"):
        delivery_status_update(order_or_tracking=shipped, status=status, source="staff")
        delivery_status_update(order_or_tracking=done, status=status, source="staff")
    delivery_status_update(order_or_tracking=done, status="delivered", source="staff")
    html = staff_client.get(URL).content.decode()
    open_table = html[html.index('id="open-deliveries"') :]
    assert requested.tracking_number in open_table and shipped.tracking_number in open_table
    assert done.tracking_number not in open_table
    req_row = open_table[open_table.index(f'data-tracking="{requested.tracking_number}"') :]
    req_row = req_row[: req_row.index("</tr>")]
    assert re.findall(r'data-move="(\w+)"', req_row) == ["printed"]
    ship_row = open_table[open_table.index(f'data-tracking="{shipped.tracking_number}"') :]
    ship_row = ship_row[: ship_row.index("</tr>")]
    assert re.findall(r'data-move="(\w+)"', ship_row) == ["delivered", "returned_to_sender"]


def test_staff_move_an_order_one_step(staff_client, staff_user, order):
    response = move(staff_client, order, "printed")
    assert response.status_code == 302 and response.url == URL
    order.refresh_from_db()
    assert order.status == DeliveryStatus.PRINTED
    event = order.events.last()
    assert (event.source, event.recorded_by, event.note) == ("staff", staff_user, "by hand")
    audit = AuditEvent.objects.filter(event_type=AuditEventType.DELIVERY_STATUS_CHANGED).get()
    assert audit.actor_user == staff_user


def test_a_double_submit_is_one_change(staff_client, order):
    html = staff_client.get(URL).content.decode()
    key = row_key(html, order.tracking_number)
    assert move(staff_client, order, "printed", key=key).status_code == 302
    assert move(staff_client, order, "printed", key=key).status_code == 302
    assert DeliveryEvent.objects.filter(order=order, status="printed").count() == 1


def test_a_stale_form_is_refused_and_changes_nothing(staff_client, order):
    html = staff_client.get(URL).content.decode()
    key = row_key(html, order.tracking_number)
    delivery_status_update(order_or_tracking=order, status="printed", source="postal")
    # The form drawn while the order was "requested" still offers "printed": now out of order.
    response = move(staff_client, order, "printed", key=key)
    assert response.status_code == 409
    assert b'data-code="DELIVERY_STATUS_NOT_ALLOWED"' in response.content
    order.refresh_from_db()
    assert order.status == DeliveryStatus.PRINTED
    assert order.events.count() == 2


def test_a_skipped_step_or_bad_form_is_refused(staff_client, order):
    skipped = move(staff_client, order, "delivered")
    assert skipped.status_code == 409
    bad = staff_client.post(
        URL, {"tracking": order.tracking_number, "status": "printed", "key": "not-hex"}
    )
    assert bad.status_code == 400
    assert b'data-code="VALIDATION_FAILED"' in bad.content
    unknown = staff_client.post(
        URL, {"tracking": "WSL8999999999", "status": "printed", "key": "a" * 32}
    )
    assert unknown.status_code == 404
    assert b'data-code="DELIVERY_NOT_FOUND"' in unknown.content
    order.refresh_from_db()
    assert order.status == DeliveryStatus.REQUESTED


def test_search_finds_any_order_by_tracking_number(staff_client, order):
    for status in ("printed", "shipped", "delivered"):
        delivery_status_update(order_or_tracking=order, status=status, source="postal")
    html = staff_client.get(URL, {"q": order.tracking_number.lower()}).content.decode()
    result = html[html.index('id="search-result"') : html.index('id="open-deliveries"')]
    assert f'data-tracking="{order.tracking_number}" data-status="delivered"' in result
    assert "data-move=" not in result
    missing = staff_client.get(URL, {"q": "WSL8999999999"}).content.decode()
    assert 'id="not-found"' in missing


def test_moving_from_the_search_result_keeps_the_search(staff_client, order):
    response = move(staff_client, order, "printed", q=order.tracking_number)
    assert response.status_code == 302
    assert response.url == f"{URL}?q={order.tracking_number}"


def test_the_page_costs_the_same_queries_for_one_or_a_full_page(
    staff_client, hr_officer, establishment
):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    reprint(hr_officer, ResidentFactory(establishment=establishment))
    one = queries()
    for _ in range(PAGE_SIZE + 3):
        reprint(hr_officer, ResidentFactory(establishment=establishment))
    assert queries() == one
    html = staff_client.get(URL).content.decode()
    assert html.count("data-move=") == PAGE_SIZE
