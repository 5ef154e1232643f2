"""The iCalendar feed: no login, only a valid token, only this establishment, stable UIDs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from muqeem.alerts.models import AlertSettings
from muqeem.alerts.services import alert_feed_token_regenerate
from muqeem.alerts.tests.conftest import ON, at, make_resident
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.residents.models import Resident, ResidentStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def feed_url(row: AlertSettings, **query: str) -> str:
    url = reverse("alerts:feed", kwargs={"token": row.feed_token})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def fetch(url: str):
    with at(ON):
        return Client().get(url)


def events(response) -> dict[str, object]:
    cal = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def feed(establishment, other_establishment, hr_officer):
    with at(ON):
        people = {
            "iqama_30": make_resident(establishment, iqama_in=30),
            "passport_100": make_resident(establishment, passport_in=100),
            "iqama_180": make_resident(establishment, iqama_in=180),  # the last day in the feed
            "iqama_181": make_resident(establishment, iqama_in=181),  # beyond it
            "expired": make_resident(establishment, iqama_in=-1),
            "departed": make_resident(
                establishment, iqama_in=20, status=ResidentStatus.DEPARTED_FINAL
            ),
            "traveller": make_resident(establishment, iqama_in=300),
            "other": make_resident(other_establishment, iqama_in=30),
        }
        people["visa"] = visa_issue(
            actor=hr_officer,
            iqama_number=people["traveller"].iqama_number,
            terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 20),
            idempotency_key="feed-visa",
        ).visa
    return people


def test_the_feed_parses_and_lists_the_upcoming_expiries(establishment, feed):
    row = AlertSettings.objects.create(establishment=establishment)
    response = fetch(feed_url(row))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    p = feed
    assert set(found) == {
        f"iqama_expiry-{p['iqama_30'].pk}@alerts.muqeem",
        f"passport_expiry-{p['passport_100'].pk}@alerts.muqeem",
        f"iqama_expiry-{p['iqama_180'].pk}@alerts.muqeem",
        f"visa_unused-{p['visa'].pk}@alerts.muqeem",
    }
    event = found[f"iqama_expiry-{p['iqama_30'].pk}@alerts.muqeem"]
    assert event.start == ON + timedelta(days=30)  # an all-day event: a date, not a time
    assert event.end == ON + timedelta(days=31)
    assert p["iqama_30"].iqama_number in str(event["SUMMARY"])
    visa_event = found[f"visa_unused-{p['visa'].pk}@alerts.muqeem"]
    assert visa_event.start == p["visa"].travel_by
    assert p["visa"].number in str(visa_event["SUMMARY"])
    # Minimal data: no passport numbers.
    assert p["passport_100"].passport_number.encode() not in response.content


def test_uids_are_stable_and_a_renewal_moves_the_event(establishment, feed):
    row = AlertSettings.objects.create(establishment=establishment)
    first = events(fetch(feed_url(row)))
    assert set(events(fetch(feed_url(row)))) == set(first)
    resident = feed["iqama_30"]
    Resident.objects.filter(pk=resident.pk).update(
        iqama_expiry_date=ON + timedelta(days=120), version=resident.version + 1
    )
    after = events(fetch(feed_url(row)))
    uid = f"iqama_expiry-{resident.pk}@alerts.muqeem"
    assert set(after) == set(first)
    assert after[uid].start == ON + timedelta(days=120)
    assert int(after[uid]["SEQUENCE"]) == int(first[uid]["SEQUENCE"]) + 1


def test_the_language_of_the_feed_does_not_change_its_uids(establishment, feed):
    row = AlertSettings.objects.create(establishment=establishment)
    arabic = events(fetch(feed_url(row)))
    english = events(fetch(feed_url(row, lang="en")))
    assert set(arabic) == set(english)
    uid = f"iqama_expiry-{feed['iqama_30'].pk}@alerts.muqeem"
    assert feed["iqama_30"].name_en in str(english[uid]["SUMMARY"])
    assert feed["iqama_30"].name_ar in str(arabic[uid]["SUMMARY"])


def test_a_wrong_or_replaced_token_is_404(establishment, feed):
    row = AlertSettings.objects.create(establishment=establishment)
    assert fetch("/alerts/feed/" + "x" * 43 + ".ics").status_code == 404
    assert fetch("/alerts/feed/short.ics").status_code == 404
    old = feed_url(row)
    main = UserFactory(establishment=establishment, is_main_user=True)
    alert_feed_token_regenerate(actor=main)
    row.refresh_from_db()
    assert fetch(old).status_code == 404
    assert fetch(feed_url(row)).status_code == 200


def test_an_inactive_establishment_has_no_feed(establishment, feed):
    row = AlertSettings.objects.create(establishment=establishment)
    type(establishment).objects.filter(pk=establishment.pk).update(is_active=False)
    assert fetch(feed_url(row)).status_code == 404


def test_another_establishments_feed_shows_none_of_these_residents(
    establishment, other_establishment, feed
):
    theirs = AlertSettings.objects.create(establishment=other_establishment)
    response = fetch(feed_url(theirs))
    assert set(events(response)) == {f"iqama_expiry-{feed['other'].pk}@alerts.muqeem"}
    for key in ("iqama_30", "passport_100", "iqama_180", "traveller"):
        assert feed[key].iqama_number.encode() not in response.content
        assert feed[key].name_en.encode() not in response.content


def test_the_feed_needs_no_session_and_sets_no_cookie(establishment, feed):
    row = AlertSettings.objects.create(establishment=establishment)
    response = fetch(feed_url(row))
    assert response.status_code == 200
    assert not response.cookies


def test_the_feed_is_read_only(establishment, feed):
    row = AlertSettings.objects.create(establishment=establishment)
    with at(ON):
        response = Client().post(feed_url(row))
    assert response.status_code == 405
