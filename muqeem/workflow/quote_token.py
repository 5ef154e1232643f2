"""The signed token that carries a verified quote from the "verify data" page to the confirmation.

It binds what the officer saw (the resident's version, the total) to one user and one fresh
idempotency key, so a double click replays, a second tab is refused as stale, and nobody can confirm
someone else's quote or change the amount in the page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core import signing

MAX_AGE_SECONDS = 30 * 60


class TokenInvalid(Exception):
    pass


def quote_token_issue(*, service: str, user_id: int, data: dict[str, Any]) -> str:
    payload = {"d": data, "u": user_id, "k": uuid.uuid4().hex}
    return signing.dumps(payload, salt=f"muqeem.quote.{service}")


def quote_token_read(*, service: str, user_id: int, token: str) -> tuple[dict[str, Any], str]:
    """The quoted data and the idempotency key, or TokenInvalid (tampered, expired, other user)."""
    try:
        payload = signing.loads(
            token or "", salt=f"muqeem.quote.{service}", max_age=MAX_AGE_SECONDS
        )
    except signing.BadSignature as exc:
        raise TokenInvalid(str(exc)) from None
    if payload.get("u") != user_id:
        raise TokenInvalid("quote made for another user")
    return payload["d"], f"web:{payload['k']}"
