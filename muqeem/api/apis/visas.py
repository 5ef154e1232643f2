"""Exit and re-entry visas: dry run, issue, read, cancel, and the printable visa (PDF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.common import EXAMPLE_IQAMA, EXAMPLE_REQUEST, EXAMPLE_VISA, request_number_of
from muqeem.api.base import REPLAYED_HEADER, ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, READ_ERRORS, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, ViolationSerializer, fees_data, violations_data
from muqeem.eservices.exit_reentry.models import (
    DurationUnit,
    Visa,
    VisaEventKind,
    VisaStatus,
    VisaType,
)
from muqeem.eservices.exit_reentry.providers import visa_document_response
from muqeem.eservices.exit_reentry.services import (
    VisaTerms,
    access_visa_by_number,
    visa_cancel,
    visa_extend,
    visa_extend_check,
    visa_issue,
    visa_issue_check,
)
from muqeem.workflow.machine import RequestStatus

# The portal's issue form accepts the same range (exit_reentry/forms.py); the rules decide the rest.
MAX_DURATION_VALUE = 730


class TermsSerializer(serializers.Serializer):
    iqama_number = serializers.CharField(max_length=40)
    visa_type = serializers.ChoiceField(choices=VisaType.choices)
    duration_unit = serializers.ChoiceField(
        choices=DurationUnit.choices,
        help_text="`days` or `months` need `duration_value`; `return_before` needs `return_before`.",
    )
    duration_value = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_DURATION_VALUE
    )
    return_before = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unit = attrs.get("duration_unit")
        if unit == DurationUnit.RETURN_BEFORE and not attrs.get("return_before"):
            raise serializers.ValidationError(
                {"return_before": [_("Enter the date the resident must return before.")]}
            )
        if unit in (DurationUnit.DAYS, DurationUnit.MONTHS) and not attrs.get("duration_value"):
            raise serializers.ValidationError(
                {"duration_value": [_("Enter the number of days or months.")]}
            )
        return attrs


def terms_of(v: dict[str, Any]) -> VisaTerms:
    unit = v["duration_unit"]
    return VisaTerms(
        visa_type=v["visa_type"],
        unit=unit,
        value=v.get("duration_value") if unit != DurationUnit.RETURN_BEFORE else None,
        return_before=v.get("return_before") if unit == DurationUnit.RETURN_BEFORE else None,
    )


class VisaEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VisaEventKind.choices)
    on = serializers.DateField()
    occurred_at = serializers.DateTimeField()


class VisaSerializer(serializers.Serializer):
    visa_number = serializers.CharField()
    request_number = serializers.CharField(help_text="The request that issued the visa.")
    iqama_number = serializers.CharField(allow_null=True)
    visa_type = serializers.ChoiceField(choices=VisaType.choices)
    duration_unit = serializers.ChoiceField(choices=DurationUnit.choices)
    duration_value = serializers.IntegerField(allow_null=True)
    months_charged = serializers.IntegerField()
    issued_on = serializers.DateField()
    travel_by = serializers.DateField(help_text="Last day to leave on the visa the first time.")
    expires_on = serializers.DateField(
        allow_null=True, help_text="Return before; for a stay in months, set at first departure."
    )
    status = serializers.ChoiceField(choices=VisaStatus.choices)
    status_label = serializers.CharField(help_text="In the request's language.")
    first_departure_on = serializers.DateField(allow_null=True)
    last_arrival_on = serializers.DateField(allow_null=True)
    passport_number = serializers.CharField()


def visa_data(visa: Visa) -> dict[str, Any]:
    return {
        "visa_number": visa.number,
        "request_number": request_number_of(visa.request_id),
        "iqama_number": visa.resident.iqama_number,
        "visa_type": visa.visa_type,
        "duration_unit": visa.duration_unit,
        "duration_value": visa.duration_value,
        "months_charged": visa.months_charged,
        "issued_on": visa.issued_on,
        "travel_by": visa.travel_by,
        "expires_on": visa.expires_on,
        "status": visa.status,
        "status_label": str(VisaStatus(visa.status).label),
        "first_departure_on": visa.first_departure_on,
        "last_arrival_on": visa.last_arrival_on,
        "passport_number": visa.passport_number,
    }


VISA_EXAMPLE = {
    "visa_number": EXAMPLE_VISA,
    "request_number": EXAMPLE_REQUEST,
    "iqama_number": EXAMPLE_IQAMA,
    "visa_type": "single",
    "duration_unit": "months",
    "duration_value": 2,
    "months_charged": 2,
    "issued_on": "2026-03-01",
    "travel_by": "2026-06-01",
    "expires_on": None,
    "status": "issued",
    "status_label": "Valid, not used",
    "first_departure_on": None,
    "last_arrival_on": None,
    "passport_number": "P1000001",
}
TERMS_EXAMPLE = {
    "iqama_number": EXAMPLE_IQAMA,
    "visa_type": "single",
    "duration_unit": "months",
    "duration_value": 2,
}
VISA_FEES_EXAMPLE = {
    "lines": [
        {
            "code": "exit_reentry_visa_fee",
            "label": "Exit and re-entry visa fee",
            "amount_halalas": 20000,
            "basis": {"months": 2},
        }
    ],
    "total_halalas": 20000,
}


class VisaEligibilityApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class InputSerializer(TermsSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        iqama_number = serializers.CharField()
        months = serializers.IntegerField(help_text="Months the fee is charged for.")
        travel_by = serializers.DateField()
        expires_on = serializers.DateField(allow_null=True)
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer()

    @extend_schema(
        operation_id="visas_eligibility",
        summary="Check an exit and re-entry visa (dry run)",
        description="Changes nothing; every violation and the fees. Needs `exit_reentry`.",
        tags=["exit and re-entry visas"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample("request", value=TERMS_EXAMPLE, request_only=True),
            OpenApiExample(
                "eligible",
                value={
                    "eligible": True,
                    "iqama_number": EXAMPLE_IQAMA,
                    "months": 2,
                    "travel_by": "2026-06-01",
                    "expires_on": None,
                    "violations": [],
                    "fees": VISA_FEES_EXAMPLE,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        check = visa_issue_check(
            actor=self.actor, iqama_number=v["iqama_number"], terms=terms_of(v)
        )
        body = {
            "eligible": check.eligible,
            "iqama_number": check.resident.iqama_number,
            "months": check.months,
            "travel_by": check.dates.travel_by,
            "expires_on": check.dates.expires_on,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
        }
        return Response(self.OutputSerializer(body).data)


class VisaIssueApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class InputSerializer(TermsSerializer):
        expected_total_halalas = serializers.IntegerField(
            required=False,
            min_value=0,
            help_text="The quoted total you accepted; a different total now is a 409 "
            "`QUOTE_CHANGED` and nothing is charged.",
        )

    class OutputSerializer(VisaSerializer):
        fees = FeesSerializer()

    @extend_schema(
        operation_id="visas_create",
        summary="Issue an exit and re-entry visa",
        description="Re-checks eligibility and debits the fee, at once. A refusal is a 422 "
        "`ELIGIBILITY_FAILED` with every violation. Needs `exit_reentry`.",
        tags=["exit and re-entry visas"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={**TERMS_EXAMPLE, "expected_total_halalas": 20000},
                request_only=True,
            ),
            OpenApiExample(
                "issued",
                value={**VISA_EXAMPLE, "fees": VISA_FEES_EXAMPLE},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = visa_issue(
            actor=self.actor,
            iqama_number=v["iqama_number"],
            terms=terms_of(v),
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=v.get("expected_total_halalas"),
        )
        req = result.request
        body = {**visa_data(result.visa), "fees": fees_data(req.fee_lines, req.fee_total_halalas)}
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(
            self.OutputSerializer(body).data, status=status.HTTP_201_CREATED, headers=headers
        )


class VisaDetailApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class OutputSerializer(VisaSerializer):
        events = VisaEventSerializer(many=True)

    @extend_schema(
        operation_id="visas_retrieve",
        summary="A visa and its history",
        description="A visa of a resident your establishment sponsors; anything else is a 404 "
        "`VISA_NOT_FOUND`. Needs `exit_reentry`.",
        tags=["exit and re-entry visas"],
        parameters=[ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "visa",
                value={
                    **VISA_EXAMPLE,
                    "events": [
                        {
                            "kind": "issued",
                            "on": "2026-03-01",
                            "occurred_at": "2026-03-01T10:00:00+03:00",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, number: str) -> Response:
        visa = access_visa_by_number(actor=self.actor, number=number)
        body = {
            **visa_data(visa),
            "events": [
                {"kind": e.kind, "on": e.on, "occurred_at": e.occurred_at}
                for e in visa.events.all()
            ],
        }
        return Response(self.OutputSerializer(body).data)


class VisaCancelApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class InputSerializer(serializers.Serializer):
        pass

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField(help_text="The cancellation request.")
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        visa = VisaSerializer()

    @extend_schema(
        operation_id="visas_cancel",
        summary="Cancel an unused visa",
        description="Only an unused visa within the cancellation window; the fee is not "
        "refunded. A refusal is a 422 `ELIGIBILITY_FAILED`. Needs `exit_reentry`.",
        tags=["exit and re-entry visas"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        result = visa_cancel(
            actor=self.actor,
            visa_number=number,
            idempotency_key=self.service_idempotency_key(),
        )
        body = {
            "request_number": result.request.number,
            "status": result.request.status,
            "visa": visa_data(result.visa),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(self.OutputSerializer(body).data, headers=headers)


# The portal's extend form allows the same range (exit_reentry/forms.py); the rules decide the rest.
MAX_EXTENSION_MONTHS = 24


class VisaExtendEligibilityApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class InputSerializer(serializers.Serializer):
        months = serializers.IntegerField(min_value=1, max_value=MAX_EXTENSION_MONTHS)

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        visa_number = serializers.CharField()
        months = serializers.IntegerField()
        new_expiry = serializers.DateField(allow_null=True)
        deadline = serializers.DateField(
            allow_null=True, help_text="Last day the visa can be extended."
        )
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer()

    @extend_schema(
        operation_id="visas_extend_eligibility",
        summary="Check extending a visa (dry run)",
        description="Only a visa in use (the resident is abroad on it), within the extension "
        "window. Changes nothing. Needs `exit_reentry`.",
        tags=["exit and re-entry visas"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[OpenApiExample("request", value={"months": 1}, request_only=True)],
    )
    def post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        months = data.validated_data["months"]
        check = visa_extend_check(actor=self.actor, visa_number=number, months=months)
        body = {
            "eligible": check.eligible,
            "visa_number": check.visa.number,
            "months": months,
            "new_expiry": check.new_expiry,
            "deadline": check.deadline,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
        }
        return Response(self.OutputSerializer(body).data)


class VisaExtendApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class InputSerializer(serializers.Serializer):
        months = serializers.IntegerField(min_value=1, max_value=MAX_EXTENSION_MONTHS)
        expected_total_halalas = serializers.IntegerField(required=False, min_value=0)

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField(help_text="The extension request.")
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        visa = VisaSerializer()
        fees = FeesSerializer()

    @extend_schema(
        operation_id="visas_extend",
        summary="Extend a visa in use",
        description="Debits the extension fee and moves the return date, at once. A refusal is a "
        "422 `ELIGIBILITY_FAILED`. Needs `exit_reentry`.",
        tags=["exit and re-entry visas"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[OpenApiExample("request", value={"months": 1}, request_only=True)],
    )
    def post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = visa_extend(
            actor=self.actor,
            visa_number=number,
            months=v["months"],
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=v.get("expected_total_halalas"),
        )
        req = result.request
        body = {
            "request_number": req.number,
            "status": req.status,
            "visa": visa_data(result.visa),
            "fees": fees_data(req.fee_lines, req.fee_total_halalas),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(self.OutputSerializer(body).data, headers=headers)


class JsonErrorsNegotiation(BaseContentNegotiation):
    """The PDF itself bypasses renderers; errors are always the JSON envelope, whatever `Accept`."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return (JSONRenderer(), JSONRenderer.media_type)


class VisaDocumentApi(ApiView):
    required_permission = Permission.EXIT_REENTRY
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsNegotiation

    @extend_schema(
        operation_id="visas_document",
        summary="The printable visa (PDF)",
        description="The same document as the portal prints, with its QR verification code; "
        "each download is audited. Language from `Accept-Language` (default Arabic). "
        "Needs `exit_reentry`.",
        tags=["exit and re-entry visas"],
        parameters=[ACCEPT_LANGUAGE],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, number: str) -> HttpResponse:
        visa = access_visa_by_number(actor=self.actor, number=number)
        return visa_document_response(request=request._request, actor=self.actor, visa=visa)
