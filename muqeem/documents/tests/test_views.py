from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.documents.services import verification_token_for

from .conftest import TEST_KIND

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return reverse("documents:verify", kwargs={"token": token})


def _verified_events() -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(event_type=AuditEventType.DOCUMENT_VERIFIED).order_by("pk")
    )


def test_page_shows_only_the_projection_without_login(client: Any, permits: Any) -> None:
    permits.add(5, valid_from=date(2026, 11, 1), valid_until=date(2099, 1, 31))
    token = verification_token_for(kind=TEST_KIND, object_id=5)

    response = client.get(_url(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="valid"' in html
    assert "Test permit" in html
    assert "M••••••• A••••••• A••••••" in html
    assert "Al Noor Trading Est." in html
    assert "Mohammed" not in html and "Alharbi" not in html
    text = re.sub(r"<[^>]+>", "", html)
    assert "01/11/2026م الموافق" in text  # Gregorian and Hijri, Arabic by default
    assert "31/01/2099" in html
    assert "General Directorate of Passports" in html or "المديرية العامة للجوازات" in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"


def test_page_in_english(client: Any, permits: Any) -> None:
    permits.add(5, valid_from=date(2026, 11, 1))
    token = verification_token_for(kind=TEST_KIND, object_id=5)
    client.cookies["muqeem_language"] = "en"
    html = client.get(_url(token)).content.decode()
    assert '<html lang="en" dir="ltr">' in html
    text = re.sub(r"<[^>]+>", "", html)
    assert "01/11/2026 (" in text and " AH)" in text
    assert "Document verification" in html


def test_status_follows_the_document_now(client: Any, permits: Any) -> None:
    permits.add(5)
    token = verification_token_for(kind=TEST_KIND, object_id=5)
    assert 'data-status="valid"' in client.get(_url(token)).content.decode()

    permits.rows[5].update(status="Cancelled", status_code="cancelled")
    html = client.get(_url(token)).content.decode()
    assert 'data-status="cancelled"' in html
    assert "Cancelled" in html
    assert "alert-danger" in html


def test_a_lapsed_document_never_shows_as_valid(client: Any, permits: Any) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    permits.add(5, valid_until=yesterday)  # the provider still says "valid"
    token = verification_token_for(kind=TEST_KIND, object_id=5)
    response = client.get(_url(token))
    assert 'data-status="expired"' in response.content.decode()
    assert _verified_events()[-1].extra_data["status_code"] == "expired"


def test_each_look_up_is_audited_without_personal_data(client: Any, permits: Any) -> None:
    permits.add(5)
    token = verification_token_for(kind=TEST_KIND, object_id=5)

    client.get(_url(token), REMOTE_ADDR="203.0.113.7")
    client.get(_url(token), REMOTE_ADDR="203.0.113.7")

    events = _verified_events()
    assert len(events) == 2
    for event in events:
        assert event.extra_data == {
            "found": True,
            "kind": TEST_KIND,
            "object_id": 5,
            "status_code": "valid",
        }
        assert event.actor_user is None
        assert event.ip == "203.0.113.7"
        assert token not in str(event.extra_data)


def test_a_logged_in_verifier_is_recorded(client: Any, permits: Any, hr_officer: Any) -> None:
    permits.add(5)
    token = verification_token_for(kind=TEST_KIND, object_id=5)
    client.force_login(hr_officer)
    assert client.get(_url(token)).status_code == 200
    assert _verified_events()[-1].actor_user == hr_officer


@pytest.mark.parametrize(
    "token",
    ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "short", "x" * 65, "bad.token.with.dots.0000000"],
)
def test_unknown_token_is_a_404_that_says_so(client: Any, permits: Any, token: str) -> None:
    permits.add(5)
    verification_token_for(kind=TEST_KIND, object_id=5)
    response = client.get(_url(token))
    assert response.status_code == 404
    html = response.content.decode()
    assert 'id="verification-error"' in html
    assert "could not be verified" in html  # both languages are on the page
    assert permits.calls == []
    assert _verified_events()[-1].extra_data == {"found": False}


def test_token_of_a_document_that_no_longer_exists_is_a_404(client: Any, permits: Any) -> None:
    token = verification_token_for(kind=TEST_KIND, object_id=404)  # no row in the fake table
    response = client.get(_url(token))
    assert response.status_code == 404
    assert _verified_events()[-1].extra_data == {
        "found": False,
        "kind": TEST_KIND,
        "object_id": 404,
    }


def test_look_ups_are_rate_limited_per_client_address(
    client: Any, permits: Any, settings: Any
) -> None:
    settings.DOCUMENTS_VERIFY_RATE_LIMIT = 3
    settings.DOCUMENTS_VERIFY_RATE_PERIOD_SECONDS = 60
    permits.add(5)
    token = verification_token_for(kind=TEST_KIND, object_id=5)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert client.get(_url(token), REMOTE_ADDR="198.51.100.1").status_code == 200
        limited = client.get(_url(token), REMOTE_ADDR="198.51.100.1")
        assert limited.status_code == 429
        assert limited["Retry-After"] == "60"
        assert "Too many verification requests" in limited.content.decode()
        # Guessing with made-up tokens counts too.
        assert client.get(_url("A" * 32), REMOTE_ADDR="198.51.100.1").status_code == 429
        # Another client is not affected.
        assert client.get(_url(token), REMOTE_ADDR="198.51.100.2").status_code == 200
        # Refused look-ups reach neither the provider nor the audit log.
        assert len(_verified_events()) == 4

        clock.shift(timedelta(seconds=61))
        assert client.get(_url(token), REMOTE_ADDR="198.51.100.1").status_code == 200


def test_only_get(client: Any, permits: Any) -> None:
    permits.add(5)
    token = verification_token_for(kind=TEST_KIND, object_id=5)
    assert client.post(_url(token)).status_code == 405
