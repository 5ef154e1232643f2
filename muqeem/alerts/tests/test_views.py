"""The notifications and settings pages: scoping, read state, who may change what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from muqeem.accounts.permissions import READ_ONLY, Permission
from muqeem.alerts.models import AlertDigest, AlertSettings, Notification, NotificationKind
from muqeem.alerts.selectors import unread_count_for
from muqeem.alerts.services import alerts_daily_run
from muqeem.alerts.tests.conftest import ON, at, make_resident
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def main_user(establishment):
    return UserFactory(establishment=establishment, is_main_user=True, service_permissions=[])


@pytest.fixture
def viewer(establishment):
    """Read-only: may view residents (so the alerts), may not manage users."""
    return UserFactory(
        establishment=establishment, service_permissions=[p.value for p in READ_ONLY]
    )


@pytest.fixture
def digested(establishment, other_establishment):
    with at(ON):
        make_resident(establishment, iqama_in=5)
        make_resident(establishment, iqama_in=40)
        make_resident(other_establishment, iqama_in=5)
        alerts_daily_run(on=ON)
    return AlertDigest.objects.get(establishment=establishment)


def note(establishment, *, read: bool, minutes_ago: int) -> Notification:
    n = Notification.objects.create(
        establishment=establishment,
        kind=NotificationKind.EXPIRY_DIGEST,
        params={"iqama_expiry": 1, "passport_expiry": 0, "visa_unused": 0},
        read_at=timezone.now() if read else None,
    )
    Notification.objects.filter(pk=n.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return n


def listed_ids(response) -> list[int]:
    return [row["notification"].pk for row in response.context["rows"]]


def test_unread_notifications_come_first(establishment, viewer):
    old_read = note(establishment, read=True, minutes_ago=1)
    new_unread = note(establishment, read=False, minutes_ago=30)
    older_unread = note(establishment, read=False, minutes_ago=60)
    response = client_for(viewer).get(reverse("alerts:list"))
    assert response.status_code == 200
    assert listed_ids(response) == [new_unread.pk, older_unread.pk, old_read.pk]
    assert response.context["unread"] == 2


def test_mark_all_as_read(establishment, other_establishment, viewer):
    note(establishment, read=False, minutes_ago=1)
    theirs = note(other_establishment, read=False, minutes_ago=1)
    assert unread_count_for(establishment) == 1
    response = client_for(viewer).post(reverse("alerts:mark_all_read"))
    assert response.status_code == 302
    assert unread_count_for(establishment) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None  # another establishment's stay unread


def test_the_list_shows_only_this_establishments_notifications(
    establishment, other_establishment, viewer
):
    mine = note(establishment, read=False, minutes_ago=1)
    note(other_establishment, read=False, minutes_ago=1)
    assert listed_ids(client_for(viewer).get(reverse("alerts:list"))) == [mine.pk]


def test_the_list_does_not_query_per_notification(
    establishment, viewer, django_assert_max_num_queries
):
    for minutes in range(30):
        note(establishment, read=minutes % 2 == 0, minutes_ago=minutes)
    client = client_for(viewer)
    client.get(reverse("alerts:list"))  # warm the session and the user
    with django_assert_max_num_queries(8):
        response = client.get(reverse("alerts:list"))
    assert len(response.context["rows"]) == 25


def test_opening_a_digest_reads_its_notification(establishment, viewer, digested):
    assert unread_count_for(establishment) == 1
    response = client_for(viewer).get(reverse("alerts:digest", args=[digested.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for item in digested.items:
        assert item["iqama_number"] in html
    assert unread_count_for(establishment) == 0


def test_another_establishments_digest_is_404(other_officer, digested):
    response = client_for(other_officer).get(reverse("alerts:digest", args=[digested.pk]))
    assert response.status_code == 404
    assert Notification.objects.get(digest=digested).read_at is None


def render_bell(user) -> str:
    """The tag base.html is to carry in its navigation bar."""
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load alerts_tags %}{% alerts_bell %}").render(Context({"request": request}))


def test_the_bell_shows_the_unread_count(establishment, viewer, digested):
    rendered = render_bell(viewer)
    assert 'id="alerts-bell"' in rendered
    assert '<bdi dir="ltr">1</bdi>' in rendered
    assert reverse("alerts:list") in rendered
    Notification.objects.update(read_at=timezone.now())
    assert 'id="alerts-unread"' not in render_bell(viewer)


def test_no_bell_without_the_view_residents_permission(establishment):
    user = UserFactory(establishment=establishment, service_permissions=[Permission.REPORTS])
    assert "alerts-bell" not in render_bell(user)


# --- Settings -------------------------------------------------------------------------------------

VALID = {
    "thresholds": ["60", "14"],
    "sms_enabled": "on",
    "email_enabled": "on",
    "email": "gr@example.com",
}


@pytest.mark.parametrize(
    ("role", "may_change"),
    [
        ("main user", True),
        ("user manager", True),
        ("read-only", False),
        ("officer with every service but users management", False),
    ],
)
def test_who_may_change_the_settings(role, may_change, establishment):
    spec = {
        "main user": {"is_main_user": True, "service_permissions": []},
        "user manager": {
            "service_permissions": [Permission.VIEW_RESIDENTS, Permission.USER_MANAGEMENT]
        },
        "read-only": {"service_permissions": [p.value for p in READ_ONLY]},
        "officer with every service but users management": {
            "service_permissions": [p.value for p in Permission if p != Permission.USER_MANAGEMENT]
        },
    }[role]
    user = UserFactory(establishment=establishment, **spec)
    client = client_for(user)
    page = client.get(reverse("alerts:settings"))
    assert page.status_code == 200
    html = page.content.decode()
    assert ('id="save-alert-settings"' in html) is may_change
    assert ('id="feed-regenerate"' in html) is may_change
    assert ('id="settings-read-only"' in html) is not may_change
    token = AlertSettings.objects.get(establishment=establishment).feed_token
    assert token in html  # every officer who sees the alerts can subscribe

    response = client.post(reverse("alerts:settings"), VALID)
    row = AlertSettings.objects.get(establishment=establishment)
    regenerate = client.post(reverse("alerts:feed_regenerate"))
    row_after = AlertSettings.objects.get(establishment=establishment)
    if may_change:
        assert response.status_code == 302
        assert row.thresholds == [60, 14]
        assert row.email_enabled is True
        assert row.email == "gr@example.com"
        assert row.updated_by == user
        assert regenerate.status_code == 302
        assert row_after.feed_token != token
    else:
        assert response.status_code == 403
        assert row.thresholds == [90, 60, 30, 7]
        assert row.email_enabled is False
        assert regenerate.status_code == 403
        assert row_after.feed_token == token


def test_without_view_residents_the_alert_pages_are_refused(establishment):
    user = UserFactory(establishment=establishment, service_permissions=[Permission.REPORTS])
    client = client_for(user)
    assert client.get(reverse("alerts:list")).status_code == 403
    assert client.get(reverse("alerts:settings")).status_code == 403


def test_email_channel_needs_an_address(main_user, establishment):
    response = client_for(main_user).post(
        reverse("alerts:settings"), {"thresholds": ["30"], "email_enabled": "on", "email": ""}
    )
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert AlertSettings.objects.get(establishment=establishment).email_enabled is False


def test_at_least_one_threshold(main_user, establishment):
    response = client_for(main_user).post(reverse("alerts:settings"), {"sms_enabled": "on"})
    assert response.status_code == 400
    assert "thresholds" in response.context["form"].errors


def test_too_many_thresholds_are_refused(main_user, establishment):
    response = client_for(main_user).post(
        reverse("alerts:settings"), {"thresholds": ["180", "120", "90", "60", "30", "14", "7"]}
    )
    assert response.status_code == 400
    assert "thresholds" in response.context["form"].errors
    assert AlertSettings.objects.get(establishment=establishment).thresholds == [90, 60, 30, 7]


def test_the_settings_page_shows_the_english_feed_link_in_english(main_user, establishment):
    client = client_for(main_user)
    client.cookies["muqeem_language"] = "en"
    html = client.get(reverse("alerts:settings")).content.decode()
    assert ".ics?lang=en" in html
