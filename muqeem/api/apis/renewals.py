"""Iqama renewal: the dry run (every blocker and the fee quote), then the renewal itself."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.common import EXAMPLE_IQAMA, EXAMPLE_REQUEST
from muqeem.api.auth import api_key_of
from muqeem.api.base import REPLAYED_HEADER, ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, ViolationSerializer, fees_data, violations_data
from muqeem.eservices.iqama_renewal.services import iqama_renew, iqama_renewal_check
from muqeem.workflow.machine import RequestStatus

FEES_EXAMPLE = {
    "lines": [
        {"code": "iqama_fee", "label": "Iqama fee", "amount_halalas": 65000, "basis": {}},
        {
            "code": "work_permit_fee",
            "label": "Work permit fee",
            "amount_halalas": 10000,
            "basis": {},
        },
        {
            "code": "expat_levy",
            "label": "Expat levy",
            "amount_halalas": 960000,
            "basis": {"months": 12},
        },
    ],
    "total_halalas": 1035000,
}


class IqamaRenewalEligibilityApi(ApiView):
    required_permission = Permission.IQAMA_RENEWAL

    class InputSerializer(serializers.Serializer):
        iqama_number = serializers.CharField(max_length=40)
        period_months = serializers.IntegerField(
            min_value=1, max_value=120, help_text="Allowed durations come from the fee schedule."
        )

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        iqama_number = serializers.CharField()
        period_months = serializers.IntegerField()
        current_expiry = serializers.DateField(allow_null=True)
        new_expiry = serializers.DateField()
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer()
        resident_version = serializers.IntegerField(
            help_text="The resident's version the check saw (informational: the renewal re-checks everything)."
        )

    @extend_schema(
        operation_id="iqama_renewals_eligibility",
        summary="Check a renewal (dry run)",
        description=(
            "Changes nothing. Returns every violation (not only the first) and the itemised fees. "
            "Needs `iqama_renewal`."
        ),
        tags=["iqama renewal"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={"iqama_number": EXAMPLE_IQAMA, "period_months": 12},
                request_only=True,
            ),
            OpenApiExample(
                "eligible",
                value={
                    "eligible": True,
                    "iqama_number": EXAMPLE_IQAMA,
                    "period_months": 12,
                    "current_expiry": "2026-08-30",
                    "new_expiry": "2027-08-30",
                    "violations": [],
                    "fees": FEES_EXAMPLE,
                    "resident_version": 3,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        check = iqama_renewal_check(
            actor=self.actor, iqama_number=v["iqama_number"], period_months=v["period_months"]
        )
        body = {
            "eligible": check.eligible,
            "iqama_number": check.resident.iqama_number,
            "period_months": v["period_months"],
            "current_expiry": check.resident.iqama_expiry_date,
            "new_expiry": check.new_expiry,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
            "resident_version": check.resident.version,
        }
        return Response(self.OutputSerializer(body).data)


class IqamaRenewalCreateApi(ApiView):
    required_permission = Permission.IQAMA_RENEWAL

    class InputSerializer(serializers.Serializer):
        iqama_number = serializers.CharField(max_length=40)
        period_months = serializers.IntegerField(min_value=1, max_value=120)
        expected_total_halalas = serializers.IntegerField(
            required=False,
            min_value=0,
            help_text="The total of the quote you accepted; if the fees changed since, the renewal "
            "is refused with 409 `QUOTE_CHANGED` and nothing is charged.",
        )

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField()
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        iqama_number = serializers.CharField()
        period_months = serializers.IntegerField()
        previous_expiry = serializers.DateField()
        new_expiry = serializers.DateField()
        was_late = serializers.BooleanField()
        fees = FeesSerializer()

    @extend_schema(
        operation_id="iqama_renewals_create",
        summary="Renew an iqama",
        description=(
            "Re-checks eligibility, debits the fees from the establishment's balance and extends "
            "the iqama, all at once. A refusal is a 422 `ELIGIBILITY_FAILED` listing every "
            "violation. Needs `iqama_renewal`."
        ),
        tags=["iqama renewal"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={
                    "iqama_number": EXAMPLE_IQAMA,
                    "period_months": 12,
                    "expected_total_halalas": 1035000,
                },
                request_only=True,
            ),
            OpenApiExample(
                "renewed",
                value={
                    "request_number": EXAMPLE_REQUEST,
                    "status": "completed",
                    "iqama_number": EXAMPLE_IQAMA,
                    "period_months": 12,
                    "previous_expiry": "2026-08-30",
                    "new_expiry": "2027-08-30",
                    "was_late": False,
                    "fees": FEES_EXAMPLE,
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
        result = iqama_renew(
            actor=self.actor,
            iqama_number=v["iqama_number"],
            period_months=v["period_months"],
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=v.get("expected_total_halalas"),
            # Read with the key at the start of this request: no second query for it.
            establishment_read=api_key_of(request).establishment,
        )
        req, renewal = result.request, result.renewal
        body = {
            "request_number": req.number,
            "status": req.status,
            "iqama_number": req.resident.iqama_number if req.resident else "",
            "period_months": renewal.period_months,
            "previous_expiry": renewal.previous_expiry,
            "new_expiry": renewal.new_expiry,
            "was_late": renewal.was_late,
            "fees": fees_data(req.fee_lines, req.fee_total_halalas),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(
            self.OutputSerializer(body).data, status=status.HTTP_201_CREATED, headers=headers
        )
