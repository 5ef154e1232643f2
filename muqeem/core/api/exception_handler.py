"""One error envelope for every API error: {code, message, messages{ar,en}, violations[], fields, request_id}."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from muqeem.core.access_log import log_access_denied
from muqeem.core.errors import DomainError, ErrorCode, render, render_bilingual
from muqeem.core.middleware import current_request_id

logger = logging.getLogger(__name__)
# The portal's decorators (`accounts.access.log_access_denied`) write to the same log (ASVS 7.2.2).

_DRF_CODES: dict[type[exceptions.APIException], ErrorCode] = {
    exceptions.NotAuthenticated: ErrorCode.CREDENTIAL_INVALID,
    exceptions.AuthenticationFailed: ErrorCode.CREDENTIAL_INVALID,
    exceptions.PermissionDenied: ErrorCode.PERMISSION_DENIED,
    exceptions.NotFound: ErrorCode.NOT_FOUND,
}


def envelope(code: ErrorCode, *, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "code": str(code),
        "message": render(code),
        "messages": render_bilingual(code),
        "violations": [],
        "fields": fields or {},
        "request_id": current_request_id(),
    }


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in detail.items()
        }
    return {
        "non_field_errors": [str(x) for x in (detail if isinstance(detail, list) else [detail])]
    }


# Refusals worth an access-control log line: the key's permission or role, and credentials refused.
_DENIED_CODES = {
    ErrorCode.PERMISSION_DENIED: "api_permission",
    ErrorCode.STAFF_ROLE_NOT_ALLOWED: "api_permission",
    ErrorCode.CREDENTIAL_INVALID: "api_credential",
}


def _denied_reason(exc: Exception) -> str | None:
    if isinstance(exc, DomainError):
        return _DENIED_CODES.get(exc.code)
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
        return _DENIED_CODES.get(code) if code is not None else None
    return None


def _log_access_denied(exc: Exception, context: dict[str, Any]) -> None:
    """One line per refused API call: user id (the key's service user), operation, reason code,
    request id; never the key, the path or the body."""
    reason = _denied_reason(exc)
    if reason is None:
        return
    log_access_denied(context.get("request"), reason)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    _log_access_denied(exc, context)
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(request_id=current_request_id()), status=exc.http_status)
    if isinstance(exc, Http404):
        return Response(envelope(ErrorCode.NOT_FOUND), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            envelope(ErrorCode.VALIDATION_FAILED, fields=_flatten(exc.detail)),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
        if code is None:
            body = envelope(ErrorCode.VALIDATION_FAILED)
            body["message"] = str(exc.detail)
            return Response(body, status=exc.status_code, headers=_headers(exc))
        return Response(envelope(code), status=exc.status_code, headers=_headers(exc))
    logger.exception("unhandled API error (request %s)", current_request_id())
    return Response(
        envelope(ErrorCode.INTERNAL_ERROR), status=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def _headers(exc: exceptions.APIException) -> dict[str, str]:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    return headers
