"""Each refused access (ASVS 7.2.2), from the portal's access decorators and the API's exception
handler alike, is one log line and one `ACCESS_DENIED` row in the audit log's hash chain: user,
URL name, method, reason code, request id and IP; never the path (it can hold an iqama number), the
key or the body."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.log_context import current_request_id

access_log = logging.getLogger("muqeem.access")


def log_access_denied(request: Any, reason: str) -> None:
    """`request`: Django's or DRF's request (or None, when the API handler has none)."""
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match is not None else "-"
    user = getattr(request, "user", None)
    user_id = getattr(user, "pk", None)
    method = getattr(request, "method", "-")
    request_id = current_request_id()
    access_log.warning(
        "access denied: reason=%s user=%s view=%s method=%s request=%s",
        reason,
        user_id,
        view,
        method,
        request_id,
        extra={
            "event": "access_denied",
            "reason": reason,
            "user_id": user_id,
            "view": view,
            "request_id": request_id,
        },
    )
    meta = getattr(request, "META", None) or {}
    _audit_access_denied(
        user=user if user_id is not None else None,
        extra={"reason": reason, "view": view, "method": method},
        ip=meta.get("REMOTE_ADDR"),
    )


def _audit_access_denied(*, user: Any, extra: dict[str, str], ip: str | None) -> None:
    """In a transaction (or savepoint) of its own: the refusal is recorded even though the request
    changes nothing, and a failure to record it is logged but never turns the 403 or 404 the user
    is owed into a 500."""
    try:
        with transaction.atomic():
            audit_record(event_type=AuditEventType.ACCESS_DENIED, actor=user, extra=extra, ip=ip)
    except Exception:
        access_log.exception("access denied: the audit event could not be recorded")
