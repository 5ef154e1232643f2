"""The portal's 500 page (ASVS 7.4.1): a fixed bilingual message and the request id for the user to
quote to support, the same id as the response's `X-Request-ID` and the server's log lines.

It needs neither the database nor the session (either may be what failed): the template is rendered
without the request, so no context processor runs, and the id comes from the request object or the
request-id context. A failure before `RequestIdMiddleware` ran has no id: the page then shows none."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

from muqeem.core.middleware import current_request_id

logger = logging.getLogger(__name__)

TEMPLATE = "500.html"
# When even the template cannot be loaded or rendered.
FALLBACK = (
    "<!doctype html><html lang='ar' dir='rtl'><meta charset='utf-8'><title>Muqeem</title>"
    "<h1>حدث خطأ من جهتنا.</h1><p dir='ltr' lang='en'>Something went wrong on our side.</p></html>"
)


def server_error(request: HttpRequest) -> HttpResponse:
    request_id = getattr(request, "request_id", "") or current_request_id()
    try:
        body = loader.get_template(TEMPLATE).render({"request_id": request_id})
    except Exception:
        logger.exception("the 500 page could not be rendered")
        body = FALLBACK
    return HttpResponseServerError(body)
