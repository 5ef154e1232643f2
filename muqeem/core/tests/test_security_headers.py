"""Response headers and password rules that OWASP ASVS level 2 asks for (docs/security.md)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from muqeem.accounts.security_code import SESSION_FLAG
from tests.factories import UserFactory


def _directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/verify/not-a-token/"])
def test_public_pages_carry_a_strict_content_security_policy(client, url):
    response = client.get(url)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no CDN
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_signed_in_pages_are_not_stored_and_carry_the_policy(establishment):
    user = UserFactory(establishment=establishment, is_main_user=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    response = client.get(reverse("residents:list"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Short-pw-11", False),  # 11 characters
        ("Long-enough-12", True),
        ("x" * 4 + "Q7!-long-passphrase-of-sixty-four-characters-is-fine-too-12345", True),
        ("password1234", False),  # common
        ("123456789012", False),  # numeric
    ],
)
def test_passwords_need_twelve_characters_and_not_a_common_one(password, accepted):
    if accepted:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/accounts/login/", "text/html; charset=utf-8"),
        ("/verify/not-a-token/", "text/html; charset=utf-8"),
        ("/api/v1/residents/", "application/json"),  # JSON is UTF-8 by definition (RFC 8259)
        ("/api/v1/schema/", "application/vnd.oai.openapi"),
    ],
)
def test_every_response_names_its_type_and_character_set(client, url, content_type):
    response = client.get(url)
    assert response["Content-Type"].startswith(content_type)
    assert response["X-Content-Type-Options"] == "nosniff"
