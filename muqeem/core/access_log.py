"""One log line per refused access (ASVS 7.2.2), from the portal's access decorators and the API's
exception handler alike: user id, URL name, method, reason code and request id; never the path (it
can hold an iqama number), the key or the body."""

from __future__ import annotations

import logging
from typing import Any

from muqeem.core.middleware import current_request_id

access_log = logging.getLogger("muqeem.access")


def log_access_denied(request: Any, reason: str) -> None:
    """`request`: Django's or DRF's request (or None, when the API handler has none)."""
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match is not None else "-"
    user_id = getattr(getattr(request, "user", None), "pk", None)
    request_id = current_request_id()
    access_log.warning(
        "access denied: reason=%s user=%s view=%s method=%s request=%s",
        reason,
        user_id,
        view,
        getattr(request, "method", "-"),
        request_id,
        extra={
            "event": "access_denied",
            "reason": reason,
            "user_id": user_id,
            "view": view,
            "request_id": request_id,
        },
    )
