from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from muqeem.accounts.access import client_ip
from muqeem.accounts.models import User
from muqeem.core.dates import today
from muqeem.documents.ratelimit import allow
from muqeem.documents.services import document_verify

NOT_VERIFIED = _(
    "This document could not be verified. Check that the address was copied in full, or scan "
    "the code again. A document that cannot be verified must not be relied on."
)
TOO_MANY = _("Too many verification requests from your network. Try again in a minute.")


def _bilingual(message: Any) -> dict[str, str]:
    out = {}
    for lang in ("ar", "en"):
        with translation.override(lang):
            out[lang] = str(message)
    return out


def _private(response: HttpResponse) -> HttpResponse:
    # The token is a key to the document's status: keep the page out of search engines and do not
    # pass its address on to other sites.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@never_cache
def verify_view(request: HttpRequest, token: str) -> HttpResponse:
    """Public, no login: anyone holding a printed document checks it is genuine and current."""
    ip = client_ip(request)
    period = int(getattr(settings, "DOCUMENTS_VERIFY_RATE_PERIOD_SECONDS", 60))
    limit = int(getattr(settings, "DOCUMENTS_VERIFY_RATE_LIMIT", 30))
    # Per client address: tokens are unguessable, and this keeps anyone from trying to guess them.
    if not allow(f"documents.verify:{ip or 'unknown'}", limit=limit, period_seconds=period):
        response = render(
            request,
            "documents/verify_error.html",
            {"title": _("Too many requests"), "messages_bilingual": _bilingual(TOO_MANY)},
            status=429,
        )
        response["Retry-After"] = str(period)
        return _private(response)

    actor = cast(User, request.user) if request.user.is_authenticated else None
    projection = document_verify(token=token, actor=actor, ip=ip)
    if projection is None:
        return _private(
            render(
                request,
                "documents/verify_error.html",
                {
                    "title": _("Document not verified"),
                    "messages_bilingual": _bilingual(NOT_VERIFIED),
                },
                status=404,
            )
        )
    return _private(
        render(request, "documents/verify.html", {"doc": projection, "checked_on": today()})
    )
