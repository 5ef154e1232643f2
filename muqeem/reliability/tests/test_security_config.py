"""The production configuration (docs/security.md, V2/V3/V9/V14): what `config.settings.production`
really sets, Django's deployment checks, and the headers a response really carries with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "muqeem.example.sa",
    "DATABASE_URL": "sqlite:///:memory:",
}
PROBE = """
import json
import django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "hasher": s.PASSWORD_HASHERS[0],
    "debug": s.DEBUG,
    "hsts": s.SECURE_HSTS_SECONDS,
    "hsts_subdomains": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "session_secure": s.SESSION_COOKIE_SECURE,
    "session_httponly": s.SESSION_COOKIE_HTTPONLY,
    "csrf_secure": s.CSRF_COOKIE_SECURE,
    "samesite": s.SESSION_COOKIE_SAMESITE,
    "nosniff": s.SECURE_CONTENT_TYPE_NOSNIFF,
    "frame": s.X_FRAME_OPTIONS,
    "referrer": s.SECURE_REFERRER_POLICY,
    "min_length": next(v["OPTIONS"]["min_length"] for v in s.AUTH_PASSWORD_VALIDATORS
                       if v["NAME"].endswith("MinimumLengthValidator")),
    "validators": [v["NAME"].rsplit(".", 1)[1] for v in s.AUTH_PASSWORD_VALIDATORS],
    "axes_limit": s.AXES_FAILURE_LIMIT,
}))
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    full.update(env)
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, *args],
        check=False,
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def production() -> dict[str, Any]:
    result = _run(["-c", PROBE], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_hashes_passwords_with_argon2_and_validates_them(production):
    assert production["hasher"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert production["min_length"] >= 8
    assert {"CommonPasswordValidator", "UserAttributeSimilarityValidator"} <= set(
        production["validators"]
    )
    assert production["axes_limit"] <= 10


def test_production_is_https_only_with_secure_cookies_and_headers(production):
    assert production["debug"] is False
    assert production["ssl_redirect"] is True
    assert production["hsts"] >= 31_536_000 and production["hsts_subdomains"] is True
    assert production["session_secure"] and production["session_httponly"]
    assert production["csrf_secure"]
    assert production["samesite"] in {"Lax", "Strict"}
    assert production["nosniff"] is True
    assert production["frame"] == "DENY"
    assert production["referrer"] in {"same-origin", "no-referrer", "strict-origin"}


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = _run(["-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_with_a_blank_secret_key():
    result = _run(
        ["-c", "import django; django.setup()"], {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}
    )
    assert result.returncode != 0


def test_djangos_deployment_security_checks_pass():
    result = _run(
        ["manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"],
        PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_the_argon2_hasher_is_installed_and_used():
    with override_settings(
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ]
    ):
        encoded = make_password("Correct-horse-2026")
        assert identify_hasher(encoded).algorithm == "argon2"
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("Correct-horse-2026", encoded)
        assert not check_password("wrong", encoded)


@pytest.mark.django_db
def test_a_production_response_carries_the_security_headers(client):
    with override_settings(
        SECURE_HSTS_SECONDS=31_536_000,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SECURE_REFERRER_POLICY="same-origin",
        X_FRAME_OPTIONS="DENY",
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
    ):
        plain = client.get(reverse("accounts:login"))
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        response = client.get(reverse("accounts:login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
