"""SMS gateways. The backend is chosen by the SMS_BACKEND setting: `console`, `file` or `http`."""

from __future__ import annotations

import json
import logging
import sys
import urllib.request
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)


class SmsError(Exception):
    pass


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str, message_id: int) -> None: ...


class ConsoleBackend:
    def send(self, *, to: str, body: str, message_id: int) -> None:
        sys.stdout.write(f"[SMS #{message_id} to {to}] {body}\n")
        sys.stdout.flush()


class FileBackend:
    """Appends one JSON line per message; the demo and the browser tests read codes from it."""

    def send(self, *, to: str, body: str, message_id: int) -> None:
        path = settings.SMS_FILE_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"id": message_id, "to": to, "body": body, "sent_at": datetime.now(UTC).isoformat()},
            ensure_ascii=False,
        )
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


# Plain HTTP to the gateway only on this machine (a local relay or a test double): the messages carry
# security codes and the bearer token (ASVS 9.2.1).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def gateway_url_problem(url: str) -> str | None:
    """Why SMS_HTTP_URL cannot be used, or None when it can: https://, or http:// to this machine."""
    if not url:
        return "SMS_HTTP_URL is not configured"
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return None
    return "SMS_HTTP_URL must be an https:// address (http:// only to 127.0.0.1 or localhost)"


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it could send the code and the token elsewhere, or
    downgrade to plain HTTP."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


class HttpBackend:
    """Posts JSON to an SMS operator's HTTP API configured by SMS_HTTP_URL / SMS_HTTP_TOKEN."""

    def send(self, *, to: str, body: str, message_id: int) -> None:
        url = settings.SMS_HTTP_URL
        problem = gateway_url_problem(url)
        if problem is not None:
            raise SmsError(problem)
        data = json.dumps(
            {
                "sender": settings.SMS_HTTP_SENDER,
                "to": to,
                "text": body,
                "reference": str(message_id),
            }
        ).encode()
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
            },
        )
        try:
            with _opener.open(req, timeout=settings.SMS_HTTP_TIMEOUT_SECONDS) as resp:
                if resp.status >= 300:
                    raise SmsError(f"gateway answered {resp.status}")
        except OSError as exc:
            raise SmsError(str(exc)) from exc


BACKENDS: dict[str, type[SmsBackend]] = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "http": HttpBackend,
}


def get_backend() -> SmsBackend:
    try:
        return BACKENDS[settings.SMS_BACKEND]()
    except KeyError:
        raise SmsError(f"unknown SMS_BACKEND {settings.SMS_BACKEND!r}") from None
