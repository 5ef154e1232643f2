"""One-time numeric codes sent by SMS: generated with `secrets`, stored only as an HMAC keyed with the
server's secret, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings


def random_digits(length: int) -> str:
    return "".join(secrets.choice("0123456789") for _i in range(length))


def keyed_digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def digest_matches(expected_digest: str, value: str) -> bool:
    return hmac.compare_digest(expected_digest, keyed_digest(value))
