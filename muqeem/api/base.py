"""The base of every `/api/v1/` operation: API-key auth, the declared permission, the per-key rate
limit, the one error envelope, and idempotent POSTs."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, ClassVar

from django.http import HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from muqeem.accounts.models import User
from muqeem.accounts.permissions import Permission
from muqeem.api.auth import ApiKeyAuthentication, ApiKeyRateThrottle, HasApiPermission, api_key_of
from muqeem.api.errors import IdempotencyKeyInUse, api_v1_exception_handler
from muqeem.api.models import IdempotencyRecord
from muqeem.api.schema import ApiAutoSchema
from muqeem.api.services import idempotency_claim, idempotency_complete, idempotency_release
from muqeem.core.api.parsers import JSONParser
from muqeem.core.errors import DomainError, ErrorCode

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII without spaces; 64 characters leave room for the `api:<key id>:` prefix in the
# service layer's 80-character key.
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,64}$")


class _Replay(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


class ApiView(APIView):
    """Subclasses declare `required_permission` (None: any valid key; the view checks the object's)."""

    authentication_classes = [ApiKeyAuthentication]
    parser_classes = [JSONParser]
    permission_classes = [HasApiPermission]
    throttle_classes = [ApiKeyRateThrottle]
    schema = ApiAutoSchema()
    required_permission: ClassVar[Permission | None] = None

    _idempotency_record: IdempotencyRecord | None = None
    idempotency_key: str = ""

    def get_exception_handler(self) -> Any:
        return api_v1_exception_handler

    @property
    def actor(self) -> User:
        user = self.request.user
        if not isinstance(user, User):
            raise exceptions.NotAuthenticated()
        return user

    def service_idempotency_key(self) -> str:
        """The key handed to the service: scoped to the API key, so two keys (or a key and the
        portal) of one establishment never collide."""
        return f"api:{api_key_of(self.request).pk}:{self.idempotency_key}"

    # --- Idempotent POSTs ---------------------------------------------------------------------

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            self._idempotency_begin(request)

    def _idempotency_begin(self, request: Request) -> None:
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if not IDEMPOTENCY_KEY_RE.match(key):
            message = (
                _("This header is required on every POST.")
                if not key
                else _("Use 1 to 64 printable characters without spaces.")
            )
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [message]})
        self.idempotency_key = key
        claim = idempotency_claim(
            api_key=api_key_of(request), key=key, request_hash=self._request_hash(request)
        )
        if claim.conflict:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
        if claim.in_progress:
            raise IdempotencyKeyInUse()
        if claim.replay is not None:
            stored = claim.replay
            response = HttpResponse(
                stored.response_body,
                status=stored.status_code or 200,
                content_type="application/json",
            )
            response[REPLAYED_HEADER] = "true"
            raise _Replay(response)
        self._idempotency_record = claim.record

    def _request_hash(self, request: Request) -> str:
        # The parsed body, canonicalised: a retry that re-serialises the same JSON differently
        # (key order, spacing) is still the same request.
        try:
            body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
        except (TypeError, ValueError):
            body = repr(request.data)
        blob = f"{request.method} {request.path}\n{body}"
        return hashlib.sha256(blob.encode()).hexdigest()

    # A replay is the stored bytes as they are, not a Response to render again.
    def handle_exception(self, exc: Exception) -> HttpResponseBase:  # type: ignore[override]
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(  # type: ignore[override]
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[arg-type]
        record = self._idempotency_record
        if record is None:
            return response
        self._idempotency_record = None
        if 200 <= response.status_code < 300 and isinstance(response, Response):
            response.render()
            idempotency_complete(
                record=record,
                status_code=response.status_code,
                body=response.content.decode(),
            )
        else:
            # A refusal or a failure changed nothing (services are atomic): free the key, so the
            # client can retry with it once the cause is fixed.
            idempotency_release(record=record)
        return response
