from __future__ import annotations

import time

from muqeem.webhooks.signing import signature_header, verify_signature

SECRET = "whsec_test"
BODY = b'{"id":"e1","type":"visa.used"}'


def test_a_fresh_signature_verifies():
    now = int(time.time())
    assert verify_signature(SECRET, signature_header(SECRET, now, BODY), BODY)


def test_a_tampered_body_or_another_secret_fails():
    now = int(time.time())
    header = signature_header(SECRET, now, BODY)
    assert not verify_signature(SECRET, header, BODY + b" ")
    assert not verify_signature("whsec_other", header, BODY)


def test_an_old_or_future_timestamp_fails():
    old = int(time.time()) - 301
    assert not verify_signature(SECRET, signature_header(SECRET, old, BODY), BODY)
    assert verify_signature(SECRET, signature_header(SECRET, old, BODY), BODY, tolerance=600)
    future = int(time.time()) + 301
    assert not verify_signature(SECRET, signature_header(SECRET, future, BODY), BODY)


def test_a_changed_timestamp_fails_and_garbage_is_refused():
    now = int(time.time())
    v1 = signature_header(SECRET, now, BODY).split(",")[1]
    assert not verify_signature(SECRET, f"t={now - 1},{v1}", BODY)
    for header in ("", "t=abc,v1=00", f"t={now}", "v1=00", "garbage"):
        assert not verify_signature(SECRET, header, BODY)
