"""Iqama issuance: the dry run (every blocker and the fee quote) by border number, then the first
iqama itself, with its Wasel delivery order."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.common import EXAMPLE_IQAMA, EXAMPLE_REQUEST
from muqeem.api.base import REPLAYED_HEADER, ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, ViolationSerializer, fees_data, violations_data
from muqeem.eservices.iqama_issuance.services import iqama_issuance_check, iqama_issue
from muqeem.workflow.machine import RequestStatus

EXAMPLE_BORDER = "3000012345"
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
        {
            "code": "wasel_delivery_fee",
            "label": "Wasel delivery fee",
            "amount_halalas": 3000,
            "basis": {},
        },
    ],
    "total_halalas": 1038000,
}


class IqamaIssuanceEligibilityApi(ApiView):
    required_permission = Permission.IQAMA_ISSUANCE

    class InputSerializer(serializers.Serializer):
        border_number = serializers.CharField(max_length=40)

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        border_number = serializers.CharField()
        period_months = serializers.IntegerField()
        issued_on = serializers.DateField()
        expires_on = serializers.DateField()
        late = serializers.BooleanField(help_text="Past the issuance window: the fine is added.")
        deadline = serializers.DateField(allow_null=True)
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer()
        resident_version = serializers.IntegerField()

    @extend_schema(
        operation_id="iqama_issuances_eligibility",
        summary="Check a first iqama issuance (dry run)",
        description="Changes nothing. Returns every violation and the itemised fees. "
        "Needs `iqama_issuance`.",
        tags=["iqama issuance"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample("request", value={"border_number": EXAMPLE_BORDER}, request_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check = iqama_issuance_check(
            actor=self.actor, border_number=data.validated_data["border_number"]
        )
        body = {
            "eligible": check.eligible,
            "border_number": check.resident.border_number,
            "period_months": check.period_months,
            "issued_on": check.issued_on,
            "expires_on": check.expires_on,
            "late": check.late,
            "deadline": check.deadline,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
            "resident_version": check.resident.version,
        }
        return Response(self.OutputSerializer(body).data)


class IqamaIssuanceCreateApi(ApiView):
    required_permission = Permission.IQAMA_ISSUANCE

    class InputSerializer(serializers.Serializer):
        border_number = serializers.CharField(max_length=40)
        expected_total_halalas = serializers.IntegerField(
            required=False,
            min_value=0,
            help_text="The total of the quote you accepted; if the fees changed since, the "
            "issuance is refused with 409 `QUOTE_CHANGED` and nothing is charged.",
        )

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField()
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        border_number = serializers.CharField()
        iqama_number = serializers.CharField()
        issued_on = serializers.DateField()
        expires_on = serializers.DateField()
        period_months = serializers.IntegerField()
        was_late = serializers.BooleanField()
        tracking_number = serializers.CharField(help_text="The Wasel delivery of the card.")
        fees = FeesSerializer()

    @extend_schema(
        operation_id="iqama_issuances_create",
        summary="Issue a first iqama",
        description="Re-checks eligibility, allocates the iqama number, orders the card's Wasel "
        "delivery and debits the fees, all at once. A refusal is a 422 `ELIGIBILITY_FAILED` "
        "listing every violation. Needs `iqama_issuance`.",
        tags=["iqama issuance"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={"border_number": EXAMPLE_BORDER, "expected_total_halalas": 1038000},
                request_only=True,
            ),
            OpenApiExample(
                "issued",
                value={
                    "request_number": EXAMPLE_REQUEST,
                    "status": "completed",
                    "border_number": EXAMPLE_BORDER,
                    "iqama_number": EXAMPLE_IQAMA,
                    "issued_on": "2026-03-01",
                    "expires_on": "2027-03-01",
                    "period_months": 12,
                    "was_late": False,
                    "tracking_number": "WSL1000000007",
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
        result = iqama_issue(
            actor=self.actor,
            border_number=v["border_number"],
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=v.get("expected_total_halalas"),
        )
        req, issuance = result.request, result.issuance
        body = {
            "request_number": req.number,
            "status": req.status,
            "border_number": issuance.border_number,
            "iqama_number": issuance.iqama_number,
            "issued_on": issuance.issued_on,
            "expires_on": issuance.expires_on,
            "period_months": issuance.period_months,
            "was_late": issuance.was_late,
            "tracking_number": issuance.delivery.tracking_number,
            "fees": fees_data(req.fee_lines, req.fee_total_halalas),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(
            self.OutputSerializer(body).data, status=status.HTTP_201_CREATED, headers=headers
        )
