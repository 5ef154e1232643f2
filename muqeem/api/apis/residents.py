"""Residents: list (filters, keyset pagination), file, history."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.common import EXAMPLE_IQAMA, request_number_of
from muqeem.api.base import ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, READ_ERRORS
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record_read
from muqeem.residents.models import DependentRelation, Resident, ResidentHistoryKind, ResidentStatus
from muqeem.residents.selectors import (
    ResidentCard,
    access_resident_by_iqama_number,
    parse_iqama_number,
    resident_card_by_iqama_number,
    resident_qs_for,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
HISTORY_LIMIT = 100
_CURSOR_TAG = "r:"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    digits = raw[len(_CURSOR_TAG) :]
    # isascii: "²" is a digit to isdigit() but not to int(); 18 digits fit a bigint.
    if not raw.startswith(_CURSOR_TAG) or not (digits.isascii() and digits.isdigit()):
        return None
    if len(digits) > 18:
        return None
    value = int(digits)
    return value if value > 0 else None


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()


class ResidentSerializer(serializers.Serializer):
    iqama_number = serializers.CharField(allow_null=True)
    border_number = serializers.CharField(allow_null=True)
    name_ar = serializers.CharField()
    name_en = serializers.CharField()
    nationality = CodeNameSerializer()
    profession = CodeNameSerializer()
    status = serializers.ChoiceField(choices=ResidentStatus.choices)
    inside_kingdom = serializers.BooleanField()
    iqama_expiry_date = serializers.DateField(allow_null=True)
    passport_number = serializers.CharField()
    passport_expiry_date = serializers.DateField()
    version = serializers.IntegerField(help_text="Changes whenever a service changes the resident.")


def resident_data(resident: Resident) -> dict[str, Any]:
    return {
        "iqama_number": resident.iqama_number,
        "border_number": resident.border_number,
        "name_ar": resident.name_ar,
        "name_en": resident.name_en,
        "nationality": {
            "code": resident.nationality.code,
            "name_ar": resident.nationality.name_ar,
            "name_en": resident.nationality.name_en,
        },
        "profession": {
            "code": resident.profession.code,
            "name_ar": resident.profession.name_ar,
            "name_en": resident.profession.name_en,
        },
        "status": resident.status,
        "inside_kingdom": resident.inside_kingdom,
        "iqama_expiry_date": resident.iqama_expiry_date,
        "passport_number": resident.passport_number,
        "passport_expiry_date": resident.passport_expiry_date,
        "version": resident.version,
    }


class DependentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Use in `dependent_ids` of a final exit.")
    name_ar = serializers.CharField()
    name_en = serializers.CharField()
    relation = serializers.ChoiceField(choices=DependentRelation.choices)
    iqama_number = serializers.CharField(allow_null=True)
    inside_kingdom = serializers.BooleanField()


class HistoryEntrySerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=ResidentHistoryKind.choices)
    label = serializers.CharField(help_text="In the request's language.")  # type: ignore[assignment]
    request_number = serializers.CharField(allow_null=True)
    old = serializers.DictField()
    new = serializers.DictField()


IQAMA_PATH = OpenApiParameter(
    "iqama_number",
    str,
    OpenApiParameter.PATH,
    description="10 digits, starting with 2.",
    examples=[OpenApiExample("iqama", value=EXAMPLE_IQAMA)],
)

RESIDENT_EXAMPLE = {
    "iqama_number": EXAMPLE_IQAMA,
    "border_number": None,
    "name_ar": "محمد أحمد",
    "name_en": "Mohammed Ahmed",
    "nationality": {"code": "IND", "name_ar": "الهند", "name_en": "India"},
    "profession": {"code": "741101", "name_ar": "كهربائي", "name_en": "Electrician"},
    "status": "active",
    "inside_kingdom": True,
    "iqama_expiry_date": "2026-08-30",
    "passport_number": "P1000001",
    "passport_expiry_date": "2029-10-12",
    "version": 3,
}


class ResidentListApi(ApiView):
    required_permission = Permission.VIEW_RESIDENTS

    class FilterSerializer(serializers.Serializer):
        iqama_number = serializers.CharField(required=False, max_length=40)
        status = serializers.ChoiceField(choices=ResidentStatus.choices, required=False)
        inside_kingdom = serializers.BooleanField(required=False, allow_null=True, default=None)
        expiry_before = serializers.DateField(required=False)
        expiry_after = serializers.DateField(required=False)
        cursor = serializers.CharField(required=False, max_length=64)
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT
        )

        def validate_cursor(self, value: str) -> int:
            after = decode_cursor(value)
            if after is None:
                raise serializers.ValidationError(_("This cursor is not valid."))
            return after

    class OutputSerializer(serializers.Serializer):
        results = ResidentSerializer(many=True)
        next_cursor = serializers.CharField(
            allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
        )

    @extend_schema(
        operation_id="residents_list",
        summary="List the establishment's residents",
        description=(
            "Ordered by a stable internal order; page with `cursor` (from `next_cursor`) and "
            "`limit`. Filters combine with AND. Needs the `view_residents` permission."
        ),
        tags=["residents"],
        parameters=[
            ACCEPT_LANGUAGE,
            OpenApiParameter("iqama_number", str, description="Exactly this iqama number."),
            OpenApiParameter("status", str, enum=list(ResidentStatus.values)),
            OpenApiParameter("inside_kingdom", bool),
            OpenApiParameter(
                "expiry_before", OpenApiTypes.DATE, description="Iqama expires before this day."
            ),
            OpenApiParameter(
                "expiry_after", OpenApiTypes.DATE, description="Iqama expires after this day."
            ),
            OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
            OpenApiParameter("limit", int, description=f"1–{MAX_LIMIT}, default {DEFAULT_LIMIT}."),
        ],
        responses={200: OutputSerializer, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "page",
                value={"results": [RESIDENT_EXAMPLE], "next_cursor": "cjo0Mg"},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        qs = resident_qs_for(actor=self.actor).select_related("nationality", "profession")
        if "iqama_number" in f:
            qs = qs.filter(iqama_number=parse_iqama_number(f["iqama_number"]))
        if "status" in f:
            qs = qs.filter(status=f["status"])
        if f.get("inside_kingdom") is not None:
            qs = qs.filter(inside_kingdom=f["inside_kingdom"])
        if "expiry_before" in f:
            qs = qs.filter(iqama_expiry_date__lt=f["expiry_before"])
        if "expiry_after" in f:
            qs = qs.filter(iqama_expiry_date__gt=f["expiry_after"])
        if "cursor" in f:
            qs = qs.filter(pk__gt=f["cursor"])
        limit = f["limit"]
        rows = list(qs.order_by("pk")[: limit + 1])
        page, more = rows[:limit], len(rows) > limit
        audit_record_read(
            event_type=AuditEventType.RESIDENT_SEARCHED,
            actor=self.actor,
            extra={
                "via": "api",
                "filters": sorted(
                    k
                    for k, value in f.items()
                    if k not in ("limit", "cursor") and value is not None
                ),
                "count": len(page),
            },
        )
        body = {
            "results": [resident_data(r) for r in page],
            "next_cursor": encode_cursor(page[-1].pk) if more else None,
        }
        return Response(self.OutputSerializer(body).data)


class ResidentDetailApi(ApiView):
    required_permission = Permission.VIEW_RESIDENTS

    class OutputSerializer(ResidentSerializer):
        gender = serializers.CharField()
        date_of_birth = serializers.DateField()
        iqama_issue_date = serializers.DateField(allow_null=True)
        arrival_date = serializers.DateField(allow_null=True)
        passport_issue_date = serializers.DateField()
        is_domestic_worker = serializers.BooleanField()
        insurance_active = serializers.BooleanField()
        insurance_expiry_date = serializers.DateField(allow_null=True)
        fingerprint_registered = serializers.BooleanField()
        absent_from_work_reported = serializers.BooleanField()
        unpaid_traffic_fines_halalas = serializers.IntegerField()
        registered_vehicles = serializers.IntegerField()
        late_renewal_count = serializers.IntegerField()
        dependents = DependentSerializer(many=True)

    @extend_schema(
        operation_id="residents_retrieve",
        summary="A resident's file",
        description="A resident your establishment sponsors; any other number is a 404 "
        "`RESIDENT_NOT_FOUND`. Needs `view_residents`.",
        tags=["residents"],
        parameters=[IQAMA_PATH, ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, iqama_number: str) -> Response:
        actor = self.actor
        card = resident_card_by_iqama_number(
            actor=actor, iqama_number=parse_iqama_number(iqama_number)
        )
        resident = card.resident
        establishment = actor.establishment
        if establishment is not None:
            resident.establishment = establishment
        audit_record_read(
            event_type=AuditEventType.RESIDENT_VIEWED,
            actor=actor,
            establishment=establishment,
            resident=resident,
            extra={"via": "api"},
        )
        return Response(resident_detail_data(card))


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def resident_detail_data(card: ResidentCard) -> dict[str, Any]:
    """`ResidentDetailApi.OutputSerializer`'s representation, built directly: instantiating the
    serializer (its fields deep-copied, then each field's `to_representation`) cost more than the
    rest of the request. The values are those the serializer returns: strings, dates in ISO 8601,
    the stored choice codes, booleans and integers. `test_residents` compares the two."""
    r = card.resident
    return {
        "iqama_number": r.iqama_number,
        "border_number": r.border_number,
        "name_ar": r.name_ar,
        "name_en": r.name_en,
        "nationality": card.nationality._asdict(),
        "profession": card.profession._asdict(),
        "status": r.status,
        "inside_kingdom": r.inside_kingdom,
        "iqama_expiry_date": _date(r.iqama_expiry_date),
        "passport_number": r.passport_number,
        "passport_expiry_date": _date(r.passport_expiry_date),
        "version": r.version,
        "gender": r.gender,
        "date_of_birth": _date(r.date_of_birth),
        "iqama_issue_date": _date(r.iqama_issue_date),
        "arrival_date": _date(r.arrival_date),
        "passport_issue_date": _date(r.passport_issue_date),
        "is_domestic_worker": r.is_domestic_worker,
        "insurance_active": r.insurance_active,
        "insurance_expiry_date": _date(r.insurance_expiry_date),
        "fingerprint_registered": r.fingerprint_registered,
        "absent_from_work_reported": r.absent_from_work_reported,
        "unpaid_traffic_fines_halalas": r.unpaid_traffic_fines_halalas,
        "registered_vehicles": r.registered_vehicles,
        "late_renewal_count": r.late_renewal_count,
        "dependents": [d._asdict() for d in card.dependents],
    }


class ResidentHistoryApi(ApiView):
    required_permission = Permission.VIEW_RESIDENTS

    class OutputSerializer(serializers.Serializer):
        iqama_number = serializers.CharField()
        entries = HistoryEntrySerializer(many=True)

    @extend_schema(
        operation_id="residents_history",
        summary="What changed on a resident's file",
        description=f"The latest {HISTORY_LIMIT} entries, newest first. Needs `view_residents`.",
        tags=["residents"],
        parameters=[IQAMA_PATH, ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, iqama_number: str) -> Response:
        resident = access_resident_by_iqama_number(
            actor=self.actor, iqama_number=parse_iqama_number(iqama_number)
        )
        audit_record_read(
            event_type=AuditEventType.RESIDENT_VIEWED,
            actor=self.actor,
            resident=resident,
            extra={"via": "api", "part": "history"},
        )
        entries = [
            {
                "occurred_at": e.occurred_at,
                "kind": e.kind,
                "label": str(ResidentHistoryKind(e.kind).label)
                if e.kind in ResidentHistoryKind.values
                else e.kind,
                "request_number": request_number_of(e.service_request_id),
                "old": e.old,
                "new": e.new,
            }
            for e in resident.history.all()[:HISTORY_LIMIT]
        ]
        return Response(
            self.OutputSerializer({"iqama_number": resident.iqama_number, "entries": entries}).data
        )
