"""Output shapes shared by several operations: the error envelope, violations and fee quotes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from muqeem.core.errors import Violation
from muqeem.fees.models import FeeCode


class BilingualSerializer(serializers.Serializer):
    ar = serializers.CharField()
    en = serializers.CharField()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "description": "Values the message was filled with (dates as YYYY-MM-DD, money in halalas).",
    }
)
class ParamsField(serializers.DictField):
    pass


class ViolationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code; branch on this, never on the text.")
    message = serializers.CharField(help_text="In the request's language (Accept-Language).")
    messages = BilingualSerializer()
    hint = BilingualSerializer(allow_null=True, help_text="Where to fix it, when there is a hint.")
    params = ParamsField()


class ErrorSerializer(serializers.Serializer):
    """The one error envelope of every error response (ARCHITECTURE.md rule 6)."""

    code = serializers.CharField(help_text="Stable error code (docs/error-codes.md).")
    message = serializers.CharField(help_text="In the request's language (Accept-Language).")
    messages = BilingualSerializer(help_text="The message in Arabic and English.")
    violations = ViolationSerializer(many=True, help_text="Every failing eligibility condition.")
    # Popped into `_declared_fields` by the metaclass, so it does not shadow `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Errors per input field or header.",
    )
    request_id = serializers.CharField(help_text="Quote it when asking for support.")


class FeeLineSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=FeeCode.choices)
    label = serializers.CharField(help_text="In the request's language.")  # type: ignore[assignment]
    amount_halalas = serializers.IntegerField()
    basis = serializers.DictField(child=serializers.IntegerField())


class FeesSerializer(serializers.Serializer):
    lines = FeeLineSerializer(many=True)
    total_halalas = serializers.IntegerField()


def violations_data(violations: Iterable[Violation]) -> list[dict[str, Any]]:
    return [v.as_dict() for v in violations]


def fees_data(lines: Iterable[Mapping[str, Any]], total_halalas: int) -> dict[str, Any]:
    """`lines` as stored on a request (`Quote.as_list()`): code, amount_halalas, basis."""
    out = []
    for line in lines:
        code = str(line["code"])
        out.append(
            {
                "code": code,
                "label": str(FeeCode(code).label) if code in FeeCode.values else code,
                "amount_halalas": int(line["amount_halalas"]),
                "basis": dict(line.get("basis") or {}),
            }
        )
    return {"lines": out, "total_halalas": int(total_halalas)}


def bilingual(label: Any) -> dict[str, str]:
    out = {}
    for lang in ("ar", "en"):
        with translation.override(lang):
            out[lang] = str(label)
    return out
