"""Signing webhook deliveries, and checking a signature as a receiver should.

Every delivery carries `Muqeem-Signature: t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256 keyed by the endpoint's secret over `f"{t}.{body}"` (the raw request body, as bytes
received). A receiver:

1. splits the header on `,` into `key=value` pairs and takes `t` and every `v1`;
2. computes ``hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()``;
3. compares it with each `v1` in constant time (`hmac.compare_digest`);
4. refuses a timestamp more than a few minutes from its own clock, so a captured delivery cannot
   be replayed later.

`verify_signature` below does exactly that and may be copied as is into a receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import time

DEFAULT_TOLERANCE_SECONDS = 300


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """True when `header` (the `Muqeem-Signature` value) signs `body` with `secret` and its
    timestamp is within `tolerance` seconds of `now` (default: the current time)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = compute_signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
