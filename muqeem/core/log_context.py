"""The request id on every log line (ASVS 7.1.4): a line written while a request is served carries
the id the response gave the user (`X-Request-ID`, and the 500 page), so support can find every
line of one failure from the number the user quotes. Outside a request the field is "-"."""

from __future__ import annotations

import logging
from contextvars import ContextVar

# Set by `muqeem.core.middleware.RequestIdMiddleware` for the time a request is served. It lives here,
# in a module importing nothing of Django, because the logging configuration loads this module
# before the apps are ready.
request_id_var: ContextVar[str] = ContextVar("request_id", default="")

NO_REQUEST = "-"


def current_request_id() -> str:
    """The id of the request being served, "" outside a request."""
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Sets `record.request_id` (for the formatter's `%(request_id)s`) unless the caller passed one
    in `extra`. Attached to handlers, so it sees the records of every logger that reaches them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id() or NO_REQUEST
        return True
