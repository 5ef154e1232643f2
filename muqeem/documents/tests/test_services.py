from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import RequestFactory

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.documents.models import VerificationToken
from muqeem.documents.services import (
    document_print_recorded,
    verification_token_for,
    verification_url,
)

from .conftest import TEST_KIND

pytestmark = pytest.mark.django_db


def test_one_stable_token_per_document(permits: Any) -> None:
    first = verification_token_for(kind=TEST_KIND, object_id=7)
    assert verification_token_for(kind=TEST_KIND, object_id=7) == first
    assert verification_token_for(kind=TEST_KIND, object_id=8) != first
    assert VerificationToken.objects.filter(kind=TEST_KIND).count() == 2


def test_token_is_unguessable_and_unrelated_to_the_document(permits: Any) -> None:
    object_id = 2_300_000_017  # looks like an iqama number on purpose
    tokens = {verification_token_for(kind=TEST_KIND, object_id=object_id + i) for i in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        # 24 random bytes, URL-safe base64: 192 bits of entropy.
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
        assert str(object_id)[:6] not in token
    first = VerificationToken.objects.get(object_id=object_id)
    assert str(first.pk) != first.token


def test_token_for_an_unregistered_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="no verification provider"):
        verification_token_for(kind="typo_visa", object_id=1)
    assert not VerificationToken.objects.exists()


def test_verification_url_uses_the_public_base_url(settings: Any) -> None:
    settings.PUBLIC_BASE_URL = "https://muqeem.example.sa/"
    request = RequestFactory().get("/", HTTP_HOST="internal-host:8000")
    assert (
        verification_url(request, "abc_DEF-123") == "https://muqeem.example.sa/verify/abc_DEF-123/"
    )
    assert verification_url(None, "t") == "https://muqeem.example.sa/verify/t/"


def test_verification_url_falls_back_to_the_request_then_the_default(settings: Any) -> None:
    settings.PUBLIC_BASE_URL = ""
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    assert verification_url(request, "tok") == "http://localhost/verify/tok/"
    assert verification_url(None, "tok") == "http://127.0.0.1:8000/verify/tok/"


def test_printing_is_audited(hr_officer: Any, resident: Any) -> None:
    event = document_print_recorded(
        actor=hr_officer,
        kind=TEST_KIND,
        object_id=99,
        establishment=hr_officer.establishment,
        resident=resident,
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.event_type == AuditEventType.DOCUMENT_PRINTED
    assert stored.actor_user == hr_officer
    assert stored.actor_establishment == hr_officer.establishment
    assert stored.resident == resident
    assert stored.extra_data == {"kind": TEST_KIND, "object_id": 99}
