"""Who may call `/api/v1/`: a bearer API key (`Authorization: Bearer mqk_…`), holding the permission
the operation declares, within its rate limit."""

from __future__ import annotations

from array import array
from typing import Any

from django.http import HttpRequest
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from muqeem.accounts.models import User
from muqeem.api.models import ApiKey
from muqeem.api.services import api_key_authenticate

THROTTLE_SCOPE = "api_key"
DEFAULT_RATE = "120/min"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Only API keys: a portal session cookie is not a credential here."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed()
        key = api_key_authenticate(raw_key=parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed()
        return (key.service_user, key)

    def authenticate_header(self, request: Request | HttpRequest) -> str:
        return f'{self.keyword} realm="api"'


def api_key_of(request: Request) -> ApiKey:
    key = request.auth
    if not isinstance(key, ApiKey):
        raise exceptions.NotAuthenticated()
    return key


def key_holds(key: ApiKey, permission: str) -> bool:
    """The key was granted `permission` and its service user still holds it (an officer may have
    narrowed the user since)."""
    return permission in (key.permissions or []) and key.service_user.has_service_permission(
        permission
    )


class HasApiPermission(permissions.BasePermission):
    """The view's `required_permission` (a `Permission`), or, when it is None, any valid key (the view
    then checks the permission of the object it serves)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        required = getattr(view, "required_permission", None)
        return required is None or key_holds(key, required)


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """A fixed budget per key (`DEFAULT_THROTTLE_RATES["api_key"]`), whichever process serves it:
    the counters live in the default cache, which production points at Redis."""

    scope = THROTTLE_SCOPE
    # Set by SimpleRateThrottle.__init__ (not in its stubs); None only without a rate.
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        # Read at call time (not class definition) so a settings change applies at once.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        key = request.auth
        if not isinstance(key, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.pk}

    def allow_request(self, request: Request, view: APIView) -> bool:
        """DRF's sliding window, unchanged, over a history kept as an `array` of doubles rather than
        a list of floats: the cache pickles it on every request, and a list of n floats pickles in
        time growing with n (a third of a millisecond at 7,500 requests in the window) where the
        array is one block of bytes. The timestamps, and so every decision, are the same."""
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        stored = self.cache.get(self.key)
        # A list: written before this change (or by DRF's own class); the same timestamps.
        history = stored if isinstance(stored, array) else array("d", stored or ())
        self.history = history  # type: ignore[assignment]
        self.now = self.timer()
        while history and history[-1] <= self.now - self.duration:
            history.pop()
        if len(history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()
