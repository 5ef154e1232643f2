from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.middleware import SESSION_SEEN, SESSION_STARTED


def _ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(event_type=AuditEventType.LOGIN, actor=user, ip=_ip(request))
    session = getattr(request, "session", None)
    if session is not None:
        # The session timeouts count from here; set now so the next request need not write.
        now = int(time.time())
        session[SESSION_STARTED] = now
        session[SESSION_SEEN] = now


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(event_type=AuditEventType.LOGOUT, actor=user, ip=_ip(request))


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the fact and the IP: the username typed may be a password pasted in the wrong box.
    audit_record(event_type=AuditEventType.LOGIN_FAILED, actor=None, ip=_ip(request))
