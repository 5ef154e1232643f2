"""One error envelope for every API error: {code, message, messages{ar,en}, violations[], fields, request_id}."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from muqeem.core.errors import DomainError, ErrorCode, render, render_bilingual
from muqeem.core.middleware import current_request_id

logger = logging.getLogger(__name__)

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


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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
