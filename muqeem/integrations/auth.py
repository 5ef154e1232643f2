"""DRF authentication for partner systems: `Authorization: Bearer <key>` with an IntegrationCredential."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from muqeem.integrations.models import IntegrationCredential
from muqeem.integrations.services import integration_credential_authenticate


class IntegrationKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, IntegrationCredential] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed()
        credential = integration_credential_authenticate(key=parts[1])
        if credential is None:
            raise exceptions.AuthenticationFailed()
        return (AnonymousUser(), credential)

    def authenticate_header(self, request: Request | HttpRequest) -> str:
        return self.keyword


def integration_of(kind: str) -> type[permissions.BasePermission]:
    class HasIntegrationKind(permissions.BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            credential = request.auth
            return isinstance(credential, IntegrationCredential) and credential.kind == kind

    return HasIntegrationKind
