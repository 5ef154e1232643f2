"""The daily run against hand-built residents: what is reported, once, by which channel."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail

from muqeem.alerts.models import (
    AlertDigest,
    AlertKind,
    AlertSent,
    AlertSettings,
    EmailStatus,
    Notification,
)
from muqeem.alerts.services import alert_digest_email_send, alerts_daily_run
from muqeem.alerts.tests.conftest import ON, at, make_resident, sms_outbox
from muqeem.core.dates import format_gregorian, format_hijri
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.notifications.models import SmsMessage, SmsStatus
from muqeem.residents.models import Resident, ResidentStatus

pytestmark = pytest.mark.django_db

IQAMA = AlertKind.IQAMA_EXPIRY.value
PASSPORT = AlertKind.PASSPORT_EXPIRY.value
VISA = AlertKind.VISA_UNUSED.value


def run(on):
    with at(on):
        return alerts_daily_run(on=on)


def reported(digest: AlertDigest) -> set[tuple[str, int, int]]:
    return {(i["kind"], i["object_id"], i["threshold"]) for i in digest.items}


@pytest.fixture
def people(establishment, other_establishment, hr_officer):
    """Each resident stands for one case; the comment says what today's run must do with it."""
    with at(ON):
        p = {
            "iqama_5": make_resident(establishment, iqama_in=5),  # iqama, at 7
            "iqama_45": make_resident(establishment, iqama_in=45),  # iqama, at 60
            "iqama_90": make_resident(establishment, iqama_in=90),  # iqama, at 90 (inclusive)
            "iqama_100": make_resident(establishment, iqama_in=100),  # nothing yet
            "passport_20": make_resident(establishment, passport_in=20),  # passport, at 30
            "both_25": make_resident(establishment, iqama_in=25, passport_in=50),  # 30 and 60
            "expired": make_resident(establishment, iqama_in=-10),  # before the first run: no
            "final_exit": make_resident(
                establishment, iqama_in=10, status=ResidentStatus.FINAL_EXIT_ISSUED
            ),  # not a current resident: no
            "abroad_3": make_resident(
                establishment,
                iqama_in=3,
                status=ResidentStatus.OUTSIDE_KINGDOM,
                inside_kingdom=False,
            ),  # iqama, at 7: still the establishment's
            "traveller": make_resident(establishment, iqama_in=300),
            "other": make_resident(other_establishment, iqama_in=5),  # the other digest
        }
        visa = visa_issue(
            actor=hr_officer,
            iqama_number=p["traveller"].iqama_number,
            terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 6),
            idempotency_key="alerts-visa",
        ).visa  # travel before ON + 6: visa, at the smallest threshold (7)
        p["visa"] = visa
    return p


def digest_of(establishment) -> AlertDigest:
    return AlertDigest.objects.get(establishment=establishment)


def test_digest_lists_what_reached_each_threshold(establishment, other_establishment, people):
    report = run(ON)
    p = people
    digest = digest_of(establishment)
    assert reported(digest) == {
        (IQAMA, p["iqama_5"].pk, 7),
        (IQAMA, p["iqama_45"].pk, 60),
        (IQAMA, p["iqama_90"].pk, 90),
        (IQAMA, p["both_25"].pk, 30),
        (IQAMA, p["abroad_3"].pk, 7),
        (PASSPORT, p["passport_20"].pk, 30),
        (PASSPORT, p["both_25"].pk, 60),
        (VISA, p["visa"].pk, 7),
    }
    assert (digest.iqama_count, digest.passport_count, digest.visa_count) == (5, 2, 1)
    assert digest.run_on == ON
    by_object = {(i["kind"], i["object_id"]): i for i in digest.items}
    first = by_object[(IQAMA, p["iqama_5"].pk)]
    assert first["days_left"] == 5
    assert first["iqama_number"] == p["iqama_5"].iqama_number
    assert first["due_on"] == (ON + timedelta(days=5)).isoformat()
    visa_item = by_object[(VISA, p["visa"].pk)]
    assert visa_item["resident_id"] == p["traveller"].pk
    assert visa_item["visa_number"] == p["visa"].number
    assert visa_item["days_left"] == 6
    # Iqamas first, each kind by date.
    assert [i["kind"] for i in digest.items] == [IQAMA] * 5 + [PASSPORT] * 2 + [VISA]
    assert [i["days_left"] for i in digest.items[:5]] == [3, 5, 25, 45, 90]

    assert AlertSent.objects.filter(establishment=establishment).count() == 8
    assert reported(digest_of(other_establishment)) == {(IQAMA, p["other"].pk, 7)}
    assert report["digests"] == 2
    assert (report[IQAMA], report[PASSPORT], report[VISA]) == (6, 2, 1)
    assert report["failed"] == []

    notification = Notification.objects.get(establishment=establishment)
    assert notification.digest == digest
    assert notification.read_at is None
    assert notification.params[IQAMA] == 5
    assert notification.params[PASSPORT] == 2
    assert notification.params[VISA] == 1
    assert notification.link == f"/alerts/digest/{digest.pk}/"


def test_a_second_run_the_same_day_or_the_next_day_repeats_nothing(
    establishment, people, settings, django_capture_on_commit_callbacks
):
    AlertSettings.objects.create(
        establishment=establishment, email_enabled=True, email="gr@example.com"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run(ON)
    sent = AlertSent.objects.count()
    sms = len(sms_outbox(settings))
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = run(ON)
        next_day = run(ON + timedelta(days=1))
    assert again["digests"] == next_day["digests"] == 0
    assert callbacks == []
    assert AlertSent.objects.count() == sent
    assert AlertDigest.objects.count() == 2
    assert Notification.objects.count() == 2
    assert len(sms_outbox(settings)) == sms
    assert len(mail.outbox) == 1


def test_an_item_is_reported_again_when_it_reaches_the_next_threshold(establishment, people):
    run(ON)
    p = people
    # 45 days left on ON: reported at 60. 15 days later it has 30 left: reported at 30.
    for day in range(1, 15):
        run(ON + timedelta(days=day))
    assert AlertSent.objects.filter(object_id=p["iqama_45"].pk, kind=IQAMA).count() == 1
    run(ON + timedelta(days=15))
    thresholds = AlertSent.objects.filter(object_id=p["iqama_45"].pk, kind=IQAMA).values_list(
        "threshold", flat=True
    )
    assert sorted(thresholds) == [30, 60]
    latest = AlertDigest.objects.filter(establishment=establishment).latest("pk")
    assert (IQAMA, p["iqama_45"].pk, 30) in reported(latest)


def test_a_renewed_iqama_is_alerted_again_for_its_new_date(establishment, people):
    run(ON)
    resident = people["iqama_5"]
    new_expiry = resident.iqama_expiry_date + timedelta(days=365)
    Resident.objects.filter(pk=resident.pk).update(iqama_expiry_date=new_expiry)
    # Nothing for the new date until it is 90 days away.
    day_before = new_expiry - timedelta(days=91)
    run(day_before)
    assert AlertSent.objects.filter(object_id=resident.pk, kind=IQAMA).count() == 1
    run(day_before + timedelta(days=1))
    rows = AlertSent.objects.filter(object_id=resident.pk, kind=IQAMA).order_by("pk")
    assert [(r.expiry_date, r.threshold) for r in rows] == [
        (ON + timedelta(days=5), 7),
        (new_expiry, 90),
    ]


def test_thresholds_come_from_the_establishments_settings(establishment, people):
    AlertSettings.objects.create(establishment=establishment, thresholds=[14])
    run(ON)
    p = people
    digest = digest_of(establishment)
    assert reported(digest) == {
        (IQAMA, p["iqama_5"].pk, 14),
        (IQAMA, p["abroad_3"].pk, 14),
        (VISA, p["visa"].pk, 14),
    }


def test_removing_a_threshold_does_not_bring_back_an_item(establishment, people):
    run(ON)
    AlertSettings.objects.filter(establishment=establishment).update(thresholds=[90, 60])
    report = run(ON + timedelta(days=1))
    assert report["digests"] == 0


def test_a_run_after_a_gap_reports_each_item_once_including_what_expired_meanwhile(
    establishment, people
):
    run(ON)
    p = people
    # Twenty days without a run: the 45-day iqama went past 30; the 5-day one expired.
    report = run(ON + timedelta(days=20))
    latest = AlertDigest.objects.filter(establishment=establishment).latest("pk")
    items = {(i["kind"], i["object_id"]): i for i in latest.items}
    assert items[(IQAMA, p["iqama_45"].pk)]["threshold"] == 30
    assert (IQAMA, p["iqama_5"].pk) not in items  # already told at 7 for that date
    assert (IQAMA, p["expired"].pk) not in items  # expired before the first run
    assert report["digests"] >= 1
    assert AlertSent.objects.filter(object_id=p["iqama_45"].pk, kind=IQAMA).count() == 2


def test_a_gap_still_reports_an_item_that_expired_unseen(establishment):
    with at(ON):
        resident = make_resident(establishment, iqama_in=40)
    AlertSettings.objects.create(establishment=establishment, thresholds=[7])
    run(ON)  # 40 days left: nothing at 7
    assert not AlertDigest.objects.exists()
    run(ON + timedelta(days=45))  # a gap; the iqama expired five days ago, never reported
    digest = digest_of(establishment)
    item = digest.items[0]
    assert (item["kind"], item["object_id"], item["threshold"]) == (IQAMA, resident.pk, 7)
    assert item["days_left"] == -5


def test_sms_leaves_only_after_commit(
    establishment, people, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run(ON)
    assert sms_outbox(settings) == []
    message = AlertDigest.objects.get(establishment=establishment).sms
    assert message is not None
    assert message.status == SmsStatus.QUEUED
    for callback in callbacks:
        callback()
    sent = [m for m in sms_outbox(settings) if m["to"] == establishment.registered_mobile]
    assert len(sent) == 1
    body = sent[0]["body"]
    assert body.endswith("https://muqeem.example/alerts/")
    arabic, english, link = body.splitlines()
    assert link == "https://muqeem.example/alerts/"
    for line in (arabic, english):  # the total and the three counts, in each language
        numbers = Counter(int(n) for n in re.findall(r"\d+", line))
        assert not Counter([8, 5, 2, 1]) - numbers
    # Counts only: no names or iqama numbers leave by SMS.
    assert people["iqama_5"].iqama_number not in body
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT


def test_email_lists_names_iqama_numbers_and_both_calendars(
    establishment, people, django_capture_on_commit_callbacks
):
    AlertSettings.objects.create(
        establishment=establishment, email_enabled=True, email="gr@example.com"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run(ON)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["gr@example.com"]
    resident = people["iqama_5"]
    due = ON + timedelta(days=5)
    assert resident.iqama_number in email.body
    assert resident.name_en in email.body
    assert resident.name_ar in email.body
    assert format_gregorian(due) in email.body
    assert format_hijri(due) in email.body
    assert people["visa"].number in email.body
    assert people["other"].iqama_number not in email.body
    assert people["iqama_100"].iqama_number not in email.body
    digest = digest_of(establishment)
    assert f"https://muqeem.example/alerts/digest/{digest.pk}/" in email.body
    assert digest.email_status == EmailStatus.SENT
    # The task is idempotent: a second delivery attempt sends nothing.
    assert alert_digest_email_send(digest_id=digest.pk) is False
    assert len(mail.outbox) == 1


def test_channels_follow_the_settings(
    establishment, people, settings, django_capture_on_commit_callbacks
):
    AlertSettings.objects.create(establishment=establishment, sms_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        run(ON)
    digest = digest_of(establishment)
    assert digest.sms is None
    assert digest.email_status == EmailStatus.NOT_REQUESTED
    assert mail.outbox == []
    assert not any(m["to"] == establishment.registered_mobile for m in sms_outbox(settings))
    # The in-portal notification is always there.
    assert Notification.objects.filter(establishment=establishment).count() == 1


def test_no_registered_mobile_means_no_sms(establishment, people):
    type(establishment).objects.filter(pk=establishment.pk).update(registered_mobile="")
    run(ON)
    assert digest_of(establishment).sms is None
    assert not SmsMessage.objects.filter(to="").exists()


def test_settings_are_created_with_the_defaults(establishment, people):
    assert not AlertSettings.objects.filter(establishment=establishment).exists()
    run(ON)
    row = AlertSettings.objects.get(establishment=establishment)
    assert row.thresholds == [90, 60, 30, 7]
    assert row.sms_enabled is True
    assert row.email_enabled is False
    assert row.last_run_on == ON


def test_an_inactive_establishment_is_not_alerted(establishment, people):
    type(establishment).objects.filter(pk=establishment.pk).update(is_active=False)
    run(ON)
    assert not AlertDigest.objects.filter(establishment=establishment).exists()


@pytest.mark.parametrize("count", [5, 50])
def test_query_count_does_not_grow_with_residents(
    count, establishment, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    AlertSettings.objects.create(
        establishment=establishment, email_enabled=True, email="gr@example.com"
    )
    with at(ON):
        for n in range(count):
            make_resident(establishment, iqama_in=1 + n % 80, passport_in=10 + n % 60)
    # Everything the run does for an establishment with new alerts (the worst case), including one
    # look-up of webhook endpoints, in the same number of queries for 5 or 50 residents.
    with django_assert_max_num_queries(15), django_capture_on_commit_callbacks(execute=False):
        report = run(ON)
    assert report[IQAMA] == count
    assert report[PASSPORT] == count


def test_a_failed_email_is_recorded_not_raised(
    establishment, people, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("muqeem.alerts.services.send_mail", refuse)
    AlertSettings.objects.create(
        establishment=establishment, email_enabled=True, email="gr@example.com"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run(ON)
    digest = digest_of(establishment)
    assert digest.email_status == EmailStatus.FAILED
    assert "connection refused" in digest.email_error
    assert AlertSent.objects.filter(digest=digest).count() == 8  # the alerts stand


def test_one_establishments_failure_does_not_stop_the_others(
    establishment, other_establishment, people, monkeypatch
):
    from muqeem.alerts import services

    real = services.residents_expiring_between

    def flaky(*, establishment_id, start, end):
        if establishment_id == establishment.pk:
            raise RuntimeError("boom")
        return real(establishment_id=establishment_id, start=start, end=end)

    monkeypatch.setattr(services, "residents_expiring_between", flaky)
    report = run(ON)
    assert report["failed"] == [establishment.pk]
    assert not AlertDigest.objects.filter(establishment=establishment).exists()
    assert AlertDigest.objects.filter(establishment=other_establishment).exists()
    # Nothing of the failed establishment was half-written; the next run catches up.
    monkeypatch.setattr(services, "residents_expiring_between", real)
    assert run(ON)["digests"] == 1
    assert digest_of(establishment).total == 8
