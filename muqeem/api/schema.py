"""OpenAPI 3 pieces (drf-spectacular): the bearer-key security scheme, the error envelope on every
error response, the Idempotency-Key and Accept-Language headers, and a hook keeping the document to
`/api/v1/` (the authority's integration endpoints have their own credentials and are not public)."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from muqeem.api.serializers import ErrorSerializer

API_PREFIX = "/api/v1/"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "muqeem.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "mqk_…",
            "description": (
                "An API key created by the establishment's main user in the portal "
                "(Settings → API keys): `Authorization: Bearer mqk_…`."
            ),
        }


class ApiAutoSchema(AutoSchema):
    """Names the nested `InputSerializer`/`OutputSerializer` of each operation after the operation
    (`ResidentListApi.OutputSerializer` → `ResidentListOutput`), so components never collide."""

    def get_serializer_name(
        self, serializer: Any, direction: Literal["request", "response"]
    ) -> str:
        qualname = type(serializer).__qualname__
        if "." in qualname:
            owner, name = qualname.split(".")[-2:]
            return owner.removesuffix("Api") + name
        return super().get_serializer_name(serializer, direction)


def only_api_v1(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[Any]:
    """PREPROCESSING_HOOKS entry: document `/api/v1/` only, not the schema and docs pages."""
    return [
        (path, regex, method, view)
        for (path, regex, method, view) in endpoints
        if path.startswith(API_PREFIX)
        and not path.startswith((API_PREFIX + "schema", API_PREFIX + "docs", API_PREFIX + "redoc"))
    ]


ACCEPT_LANGUAGE = OpenApiParameter(
    name="Accept-Language",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    enum=["ar", "en"],
    description="Language of `message` in errors and of labels (default Arabic). "
    "`messages` always has both.",
)

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=True,
    pattern=r"^[\x21-\x7e]{1,64}$",
    description=(
        "A unique value per operation (a UUID is a good choice), 1–64 printable characters. "
        "Retrying with the same key and body replays the first successful response "
        "(header `Idempotent-Replayed: true`); the same key with a different body is a 409 "
        "`IDEMPOTENCY_CONFLICT`. Keys are kept for at least 24 hours. A refused request "
        "(4xx) changes nothing and does not use up its key."
    ),
    examples=[OpenApiExample("uuid", value="5f0c9a4e-8d1b-4a7e-9a65-3c2f0b7d1e42")],
)


def _error(description: str, example: dict[str, Any] | None = None) -> OpenApiResponse:
    examples = []
    if example is not None:
        examples.append(OpenApiExample(example["code"], value=example, response_only=True))
    return OpenApiResponse(ErrorSerializer, description=description, examples=examples)


def _sample(code: str, en: str, ar: str, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "message": en,
        "messages": {"ar": ar, "en": en},
        "violations": [],
        "fields": {},
        "request_id": "3f2b8c1d9e0a4b7c8d6e5f4a3b2c1d0e",
        **extra,
    }


ERROR_400 = _error(
    "Invalid input (`VALIDATION_FAILED` with `fields`, or a code such as `IQAMA_NUMBER_INVALID`).",
    _sample(
        "VALIDATION_FAILED",
        "Some fields are not valid.",
        "بعض الحقول غير صحيحة.",
        fields={"Idempotency-Key": ["This header is required on every POST."]},
    ),
)
ERROR_401 = _error(
    "No key, an unknown key or a revoked key (`CREDENTIAL_INVALID`).",
    _sample(
        "CREDENTIAL_INVALID",
        "The credential is missing, invalid or revoked.",
        "بيانات الاعتماد مفقودة أو غير صحيحة أو ملغاة.",
    ),
)
ERROR_403 = _error("The key lacks this operation's permission (`PERMISSION_DENIED`).")
ERROR_404 = _error(
    "Not found, or not your establishment's: the two are indistinguishable (`NOT_FOUND`, "
    "`RESIDENT_NOT_FOUND`, `VISA_NOT_FOUND`…)."
)
ERROR_406 = _error("The `Accept` header asks for a format this operation cannot give.")
ERROR_409 = _error(
    "`IDEMPOTENCY_CONFLICT` (the key was used with another body), `IDEMPOTENCY_KEY_IN_USE` "
    "(a request with this key is still running), `QUOTE_CHANGED` or `TRANSITION_NOT_ALLOWED`."
)
ERROR_415 = _error("The body is not JSON (`Content-Type: application/json`).")
ERROR_422 = _error(
    "Refused: `ELIGIBILITY_FAILED` with every violation in `violations`.",
    _sample(
        "ELIGIBILITY_FAILED",
        "The transaction cannot be completed; see the reasons below.",
        "لا يمكن إتمام المعاملة؛ راجع الأسباب أدناه.",
        violations=[
            {
                "code": "INSURANCE_INACTIVE",
                "message": "The resident has no active medical insurance.",
                "messages": {
                    "ar": "لا يوجد تأمين طبي ساري المفعول للمقيم.",
                    "en": "The resident has no active medical insurance.",
                },
                "hint": {
                    "ar": "اشترِ التأمين الطبي أو جدّده لدى شركة تأمين معتمدة، وسيُربط بسجل المقيم تلقائيًا.",
                    "en": "Buy or renew medical insurance with a licensed insurer; it is linked automatically.",
                },
                "params": {},
            }
        ],
    ),
)
ERROR_429 = _error(
    "Rate limit of the key reached (`RATE_LIMITED`); wait for `Retry-After` seconds.",
    _sample(
        "RATE_LIMITED",
        "Too many requests with this API key. Try again in 12 seconds.",
        "تجاوزت الطلبات المرسلة بمفتاح الربط هذا الحد المسموح به. حاول مرة أخرى بعد 12 ثانية.",
    ),
)

COMMON_ERRORS: dict[int, OpenApiResponse] = {
    400: ERROR_400,
    401: ERROR_401,
    403: ERROR_403,
    406: ERROR_406,
    429: ERROR_429,
}
READ_ERRORS = {**COMMON_ERRORS, 404: ERROR_404}
WRITE_ERRORS = {**COMMON_ERRORS, 404: ERROR_404, 409: ERROR_409, 415: ERROR_415, 422: ERROR_422}

BINARY_PDF = OpenApiTypes.BINARY
