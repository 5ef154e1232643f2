"""Errors only the REST API gives (rate limit, an idempotency key in use), in the house envelope."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response

from muqeem.core.api.exception_handler import api_exception_handler
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.middleware import current_request_id

RATE_LIMITED = ErrorCode.RATE_LIMITED
IDEMPOTENCY_KEY_IN_USE = ErrorCode.IDEMPOTENCY_KEY_IN_USE


def api_envelope(code: ErrorCode, **params: Any) -> dict[str, Any]:
    return DomainError(code, params).as_dict(request_id=current_request_id())


class IdempotencyKeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT


def api_v1_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The house handler, plus the API's own codes (429 with `Retry-After`, a key still in use)."""
    if isinstance(exc, exceptions.Throttled):
        seconds = max(int(getattr(exc, "wait", None) or 1), 1)
        return Response(
            api_envelope(RATE_LIMITED, seconds=seconds),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(seconds)},
        )
    if isinstance(exc, IdempotencyKeyInUse):
        return Response(
            api_envelope(IDEMPOTENCY_KEY_IN_USE),
            status=status.HTTP_409_CONFLICT,
            headers={"Retry-After": "1"},
        )
    return api_exception_handler(exc, context)
