from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.translation import gettext as _

from muqeem.core.log_context import current_request_id, request_id_var

__all__ = ["current_request_id"]

_ALLOWED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Tags each request with an id (kept from `X-Request-ID` when well formed) for logs and errors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _ALLOWED.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class PortalLocaleMiddleware(LocaleMiddleware):
    """Arabic unless the user chose English with the language switch (a cookie). The browser's
    Accept-Language is ignored in the portal — an officer's English-language browser still gets the
    Arabic-first portal — but honoured by the API, where it selects the error `message`."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            super().process_request(request)
            return
        supported = {code for code, _name in settings.LANGUAGES}
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]


SESSION_STARTED = "muqeem_session_started"
SESSION_SEEN = "muqeem_session_seen"
# The last-seen time is written at most this often, so a busy officer's pages do not each write
# the session row.
SEEN_RESOLUTION_SECONDS = 60


class SessionTimeoutMiddleware:
    """Logs a user out after `SESSION_IDLE_TIMEOUT` seconds without a request and, however active,
    `SESSION_ABSOLUTE_TIMEOUT` seconds after login; the login page then says why."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault(SESSION_STARTED, now)
            seen = session.get(SESSION_SEEN, now)
            idle = now - int(seen) > settings.SESSION_IDLE_TIMEOUT
            expired = now - int(started) > settings.SESSION_ABSOLUTE_TIMEOUT
            if idle or expired:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after a period without activity. Log in again.")
                    if idle
                    else _("Your session has ended. Log in again."),
                )
                return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
            if now - int(seen) >= SEEN_RESOLUTION_SECONDS or SESSION_SEEN not in session:
                session[SESSION_SEEN] = now
        return self.get_response(request)


class NoStoreWhenSignedInMiddleware:
    """Pages shown to a signed-in user hold personal data: no browser or proxy may keep a copy
    (`Cache-Control: no-store`), unless the view set its own caching.

    Only for GET and HEAD: a page answering a POST (a verified renewal, a refusal) is never cached
    by a proxy, and the browser must keep it in its history so that Back shows it again rather than
    an error — going back and pressing Renew again is how an officer retries, and it replays."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method in ("GET", "HEAD")
            and user is not None
            and user.is_authenticated
            and "Cache-Control" not in response
        ):
            response["Cache-Control"] = "no-store"
        return response
