"""The establishment's Wasel pages through Django: list (filter, pages, query count), a delivery's
timeline, and ordering a replacement card (verify → confirm)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muqeem.delivery.models import DeliveryOrder, DeliveryReason, DeliveryStatus
from muqeem.delivery.selectors import deliveries_for_resident
from muqeem.delivery.services import delivery_status_update
from muqeem.delivery.tests.conftest import reprint, token_in
from muqeem.delivery.views import PAGE_SIZE
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def many_orders(officer, establishment, n):
    return [reprint(officer, ResidentFactory(establishment=establishment)).order for _ in range(n)]


def list_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("delivery:list"), params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- List ----------------------------------------------------------------------------------------


def test_the_list_shows_my_deliveries_only(officer_client, order, other_officer, other_resident):
    foreign = reprint(other_officer, other_resident).order
    page = officer_client.get(reverse("delivery:list")).content.decode()
    assert f'data-tracking="{order.tracking_number}"' in page
    assert order.resident.iqama_number in page
    assert foreign.tracking_number not in page


def test_the_list_filters_by_status(officer_client, hr_officer, establishment):
    printed, waiting = many_orders(hr_officer, establishment, 2)
    delivery_status_update(order_or_tracking=printed, status="printed", source="staff")
    page = officer_client.get(reverse("delivery:list"), {"status": "printed"}).content.decode()
    assert printed.tracking_number in page and waiting.tracking_number not in page
    everything = officer_client.get(reverse("delivery:list"), {"status": ""}).content.decode()
    assert printed.tracking_number in everything and waiting.tracking_number in everything
    nonsense = officer_client.get(reverse("delivery:list"), {"status": "nope"})
    assert nonsense.status_code == 200
    assert waiting.tracking_number in nonsense.content.decode()


def test_the_list_is_paginated_newest_change_first(officer_client, hr_officer, establishment):
    orders = many_orders(hr_officer, establishment, PAGE_SIZE + 2)
    delivery_status_update(order_or_tracking=orders[0], status="printed", source="staff")
    first = officer_client.get(reverse("delivery:list")).content.decode()
    assert first.count("data-tracking=") == PAGE_SIZE
    assert first.index(orders[0].tracking_number) < first.index(orders[-1].tracking_number)
    assert 'rel="next"' in first
    second = officer_client.get(reverse("delivery:list"), {"page": 2}).content.decode()
    assert second.count("data-tracking=") == 2
    assert orders[1].tracking_number in second
    filtered = officer_client.get(reverse("delivery:list"), {"status": "requested"})
    assert 'href="?status=requested&amp;page=2"' in filtered.content.decode()


def test_the_list_costs_the_same_queries_for_one_or_a_full_page(
    officer_client, hr_officer, establishment, django_assert_num_queries
):
    many_orders(hr_officer, establishment, 1)
    one = list_queries(officer_client)
    many_orders(hr_officer, establishment, PAGE_SIZE + 5)
    full = list_queries(officer_client)
    assert one == full
    assert list_queries(officer_client, status="requested", page=2) == full
    # Session, user, establishment (menu), unread alerts (bell), count, page of orders with residents.
    with django_assert_num_queries(6):
        officer_client.get(reverse("delivery:list"))


def test_the_list_needs_the_security_code(client, hr_officer):
    client.force_login(hr_officer)
    response = client.get(reverse("delivery:list"))
    assert response.status_code == 302
    assert reverse("accounts:security_code") in response.url


def test_staff_have_no_establishment_pages(staff_client):
    assert staff_client.get(reverse("delivery:list")).status_code == 404
    assert staff_client.get(reverse("delivery:reprint")).status_code == 404


# --- Detail --------------------------------------------------------------------------------------


def test_the_detail_shows_the_timeline_in_order(officer_client, order):
    for status in ("printed", "shipped"):
        delivery_status_update(order_or_tracking=order, status=status, source="postal", note="hub")
    page = officer_client.get(reverse("delivery:detail", args=[order.tracking_number]))
    html = page.content.decode()
    assert page.status_code == 200
    history = html[html.index('id="delivery-history"') :]
    positions = [history.index(f'data-status="{s}"') for s in ("requested", "printed", "shipped")]
    assert positions == sorted(positions)
    assert 'data-step="shipped" data-done="yes"' in html
    assert 'data-step="delivered" data-done="no"' in html
    assert 'id="returned-notice"' not in html
    assert order.building_number in html


def test_a_returned_card_says_so(officer_client, order):
    for status in ("printed", "shipped", "returned_to_sender"):
        delivery_status_update(order_or_tracking=order, status=status, source="postal")
    html = officer_client.get(reverse("delivery:detail", args=[order.tracking_number])).content
    assert b'id="returned-notice"' in html
    assert b'data-step="returned_to_sender" data-done="yes"' in html
    assert b'data-step="delivered"' not in html


def test_the_tracking_number_is_accepted_in_lower_case(officer_client, order):
    url = reverse("delivery:detail", args=[order.tracking_number.lower()])
    assert officer_client.get(url).status_code == 200


def test_another_establishments_delivery_is_a_plain_404(
    officer_client, other_officer, other_resident
):
    foreign = reprint(other_officer, other_resident).order
    for tracking in (foreign.tracking_number, "WSL8999999999", "WSL", "nonsense"):
        response = officer_client.get(reverse("delivery:detail", args=[tracking]))
        assert response.status_code == 404


# --- Replacement card ----------------------------------------------------------------------------


def verify(client, resident, reason="lost"):
    return client.post(
        reverse("delivery:reprint"), {"iqama_number": resident.iqama_number, "reason": reason}
    )


def test_order_a_replacement_card_end_to_end(officer_client, resident, establishment):
    page = verify(officer_client, resident)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="verified"' in html
    assert 'data-fee="card_replacement_fee"' in html and 'data-fee="wasel_delivery_fee"' in html
    assert 'data-reason="lost"' in html
    assert not ServiceRequest.objects.exists()

    token = token_in(page.content)
    response = officer_client.post(reverse("delivery:reprint_confirm"), {"token": token})
    order = DeliveryOrder.objects.get(resident=resident)
    assert response.status_code == 302
    assert response.url == reverse("delivery:detail", args=[order.tracking_number])
    assert order.reason == DeliveryReason.LOST
    assert officer_client.get(response.url).status_code == 200

    # A double click replays the first order instead of charging twice.
    again = officer_client.post(reverse("delivery:reprint_confirm"), {"token": token})
    assert again.status_code == 302 and again.url == response.url
    assert DeliveryOrder.objects.count() == ServiceRequest.objects.count() == 1


def test_blockers_are_listed_with_their_codes_and_no_confirm_button(
    officer_client, hr_officer, resident
):
    reprint(hr_officer, resident)
    resident.inside_kingdom = False
    resident.save()
    page = verify(officer_client, resident, "damaged")
    html = page.content.decode()
    assert 'id="not-eligible"' in html
    assert 'data-code="RESIDENT_OUTSIDE_KINGDOM"' in html
    assert 'data-code="DELIVERY_ALREADY_OPEN"' in html
    assert 'name="token"' not in html


def test_form_errors_and_unknown_residents(officer_client, other_resident):
    missing_reason = officer_client.post(
        reverse("delivery:reprint"), {"iqama_number": other_resident.iqama_number}
    )
    assert b'id="reason-error"' in missing_reason.content
    foreign = verify(officer_client, other_resident)
    assert foreign.status_code == 404
    assert b'data-code="RESIDENT_NOT_FOUND"' in foreign.content
    invalid = officer_client.post(
        reverse("delivery:reprint"), {"iqama_number": "123", "reason": "lost"}
    )
    assert b'data-code="IQAMA_NUMBER_INVALID"' in invalid.content
    assert not DeliveryOrder.objects.exists()


def test_a_tampered_or_stale_token_is_refused(officer_client, resident, hr_officer):
    tampered = officer_client.post(reverse("delivery:reprint_confirm"), {"token": "x:y:z"})
    assert tampered.status_code == 409
    assert b'data-code="QUOTE_CHANGED"' in tampered.content
    token = token_in(verify(officer_client, resident).content)
    # The resident changed after the quote (another officer ordered a card meanwhile).
    reprint(hr_officer, resident, DeliveryReason.DAMAGED)
    stale = officer_client.post(reverse("delivery:reprint_confirm"), {"token": token})
    assert stale.status_code == 409
    assert DeliveryOrder.objects.count() == 1


def test_another_officer_cannot_use_my_quote(officer_client, client, resident, establishment):
    from django.test import Client

    from muqeem.accounts.security_code import SESSION_FLAG
    from tests.factories import UserFactory

    token = token_in(verify(officer_client, resident).content)
    colleague = Client()
    colleague.force_login(UserFactory(establishment=establishment))
    session = colleague.session
    session[SESSION_FLAG] = "verified"
    session.save()
    response = colleague.post(reverse("delivery:reprint_confirm"), {"token": token})
    assert response.status_code == 409
    assert not DeliveryOrder.objects.exists()


def test_confirm_is_post_only(officer_client):
    assert officer_client.get(reverse("delivery:reprint_confirm")).status_code == 405


# --- Resident file partial -----------------------------------------------------------------------


def test_resident_partial_lists_the_sponsors_deliveries(hr_officer, resident):
    first = reprint(hr_officer, resident).order
    for status in ("printed", "shipped", "delivered"):
        delivery_status_update(order_or_tracking=first, status=status, source="postal")
    second = reprint(hr_officer, resident, DeliveryReason.LOST).order
    deliveries = deliveries_for_resident(resident)
    assert [d.pk for d in deliveries] == [second.pk, first.pk]
    html = render_to_string("delivery/_resident_deliveries.html", {"deliveries": deliveries})
    assert f'data-tracking="{first.tracking_number}" data-status="delivered"' in html
    assert f'data-tracking="{second.tracking_number}" data-status="requested"' in html
    empty = render_to_string("delivery/_resident_deliveries.html", {"deliveries": []})
    assert 'id="resident-deliveries"' in empty


def test_resident_partial_hides_a_former_sponsors_orders(hr_officer, resident, other_establishment):
    reprint(hr_officer, resident)
    resident.establishment = other_establishment
    resident.save()
    assert deliveries_for_resident(resident) == []


def test_resident_deliveries_take_one_query(hr_officer, resident, django_assert_num_queries):
    reprint(hr_officer, resident)
    with django_assert_num_queries(1):
        deliveries = deliveries_for_resident(resident)
    with django_assert_num_queries(0):
        render_to_string("delivery/_resident_deliveries.html", {"deliveries": deliveries})
    assert deliveries[0].status == DeliveryStatus.REQUESTED


def test_a_sub_user_without_the_wasel_permission_is_refused(client, establishment, order):
    from muqeem.accounts.permissions import Permission
    from muqeem.accounts.security_code import SESSION_FLAG
    from tests.factories import UserFactory

    client.force_login(
        UserFactory(establishment=establishment, service_permissions=[Permission.EXIT_REENTRY])
    )
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    for url in (
        reverse("delivery:list"),
        reverse("delivery:detail", args=[order.tracking_number]),
        reverse("delivery:reprint"),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("delivery:reprint_confirm"), {"token": "x"}).status_code == 403
