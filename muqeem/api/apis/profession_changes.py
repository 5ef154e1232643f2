"""Profession change: the catalogue of active professions, the dry run, then the change."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.common import EXAMPLE_IQAMA, EXAMPLE_REQUEST
from muqeem.api.base import REPLAYED_HEADER, ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, READ_ERRORS, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, ViolationSerializer, fees_data, violations_data
from muqeem.eservices.profession_change.selectors import active_professions
from muqeem.eservices.profession_change.services import (
    profession_change,
    profession_change_check,
)
from muqeem.residents.models import Profession
from muqeem.workflow.machine import RequestStatus


class ProfessionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()
    is_generic = serializers.BooleanField(
        help_text="A generic title (worker, technician...) can be corrected for free once."
    )


def profession_data(profession: Profession) -> dict[str, Any]:
    return {
        "code": profession.code,
        "name_ar": profession.name_ar,
        "name_en": profession.name_en,
        "is_generic": profession.is_generic,
    }


class ProfessionListApi(ApiView):
    required_permission = None

    class OutputSerializer(serializers.Serializer):
        results = ProfessionSerializer(many=True)

    @extend_schema(
        operation_id="professions_list",
        summary="The active professions",
        description="The catalogue a profession change chooses from, in code order. Any valid key.",
        tags=["profession change"],
        parameters=[ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        body = {"results": [profession_data(p) for p in active_professions()]}
        return Response(self.OutputSerializer(body).data)


class ProfessionChangeTermsSerializer(serializers.Serializer):
    iqama_number = serializers.CharField(max_length=40)
    new_profession_code = serializers.CharField(
        max_length=20, help_text="`code` from `GET /api/v1/professions/`."
    )


class ProfessionChangeEligibilityApi(ApiView):
    required_permission = Permission.PROFESSION_CHANGE

    class InputSerializer(ProfessionChangeTermsSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        iqama_number = serializers.CharField()
        current_profession = ProfessionSerializer()
        new_profession = ProfessionSerializer(allow_null=True)
        correction = serializers.BooleanField(help_text="A free correction of a generic title.")
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer()
        resident_version = serializers.IntegerField()

    @extend_schema(
        operation_id="profession_changes_eligibility",
        summary="Check a profession change (dry run)",
        description="Changes nothing. Returns every violation and the fee. "
        "Needs `profession_change`.",
        tags=["profession change"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={"iqama_number": EXAMPLE_IQAMA, "new_profession_code": "832201"},
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        check = profession_change_check(
            actor=self.actor,
            iqama_number=v["iqama_number"],
            new_profession_code=v["new_profession_code"],
        )
        body = {
            "eligible": check.eligible,
            "iqama_number": check.resident.iqama_number,
            "current_profession": profession_data(check.resident.profession),
            "new_profession": (
                profession_data(check.new_profession) if check.new_profession else None
            ),
            "correction": check.correction,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
            "resident_version": check.resident.version,
        }
        return Response(self.OutputSerializer(body).data)


class ProfessionChangeCreateApi(ApiView):
    required_permission = Permission.PROFESSION_CHANGE

    class InputSerializer(ProfessionChangeTermsSerializer):
        expected_total_halalas = serializers.IntegerField(required=False, min_value=0)

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField()
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        iqama_number = serializers.CharField()
        old_profession = ProfessionSerializer()
        new_profession = ProfessionSerializer()
        correction = serializers.BooleanField()
        fees = FeesSerializer()

    @extend_schema(
        operation_id="profession_changes_create",
        summary="Change a resident's profession",
        description="Re-checks eligibility and debits the fee, at once. A refusal is a 422 "
        "`ELIGIBILITY_FAILED` with every violation. Needs `profession_change`.",
        tags=["profession change"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "changed",
                value={
                    "request_number": EXAMPLE_REQUEST,
                    "status": "completed",
                    "iqama_number": EXAMPLE_IQAMA,
                    "old_profession": {
                        "code": "741101",
                        "name_ar": "كهربائي",
                        "name_en": "Electrician",
                        "is_generic": False,
                    },
                    "new_profession": {
                        "code": "832201",
                        "name_ar": "سائق",
                        "name_en": "Driver",
                        "is_generic": False,
                    },
                    "correction": False,
                    "fees": {"lines": [], "total_halalas": 100000},
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = profession_change(
            actor=self.actor,
            iqama_number=v["iqama_number"],
            new_profession_code=v["new_profession_code"],
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=v.get("expected_total_halalas"),
        )
        req, change = result.request, result.change
        body = {
            "request_number": req.number,
            "status": req.status,
            "iqama_number": req.resident.iqama_number if req.resident else "",
            "old_profession": profession_data(change.old_profession),
            "new_profession": profession_data(change.new_profession),
            "correction": change.is_correction,
            "fees": fees_data(req.fee_lines, req.fee_total_halalas),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(
            self.OutputSerializer(body).data, status=status.HTTP_201_CREATED, headers=headers
        )
