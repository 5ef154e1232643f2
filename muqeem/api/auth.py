"""Who may call `/api/v1/`: a bearer API key (`Authorization: Bearer mqk_…`), holding the permission
the operation declares, within its rate limit."""

from __future__ import annotations

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

    def get_rate(self) -> str | None:
        # Read at call time (not class definition) so a settings change applies at once.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        key = request.auth
        if not isinstance(key, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.pk}
