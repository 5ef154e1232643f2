"""The establishment's balance and ledger, and any request's status and history."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from muqeem.api.apis.common import EXAMPLE_IQAMA, EXAMPLE_REQUEST, request_number_of
from muqeem.api.auth import api_key_of, key_holds
from muqeem.api.base import ApiView
from muqeem.api.errors import api_v1_exception_handler
from muqeem.api.schema import ACCEPT_LANGUAGE, READ_ERRORS
from muqeem.api.selectors import (
    SERVICE_PERMISSION,
    access_service_request_by_number,
    ledger_lines_recent,
)
from muqeem.api.serializers import FeesSerializer, fees_data
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.fees.models import FeeCode, JournalKind
from muqeem.workflow.machine import RequestAction, RequestStatus, ServiceType

DEFAULT_LINES = 20
MAX_LINES = 100


class LedgerLineSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=JournalKind.choices)
    reference = serializers.CharField()
    fee_code = serializers.CharField(allow_blank=True)
    label = serializers.CharField(help_text="In the request's language.")  # type: ignore[assignment]
    amount_halalas = serializers.IntegerField(help_text="Negative: a debit from the balance.")
    request_number = serializers.CharField(allow_null=True)


class BalanceApi(ApiView):
    # The portal shows the balance to every officer of the establishment (home page).
    required_permission = None

    class FilterSerializer(serializers.Serializer):
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_LINES, default=DEFAULT_LINES
        )

    class OutputSerializer(serializers.Serializer):
        balance_halalas = serializers.IntegerField()
        lines = LedgerLineSerializer(many=True)

    @extend_schema(
        operation_id="balance_retrieve",
        summary="Government payments balance and its latest movements",
        description="Any key of the establishment. Amounts in halalas (SAR 1 = 100).",
        tags=["balance"],
        parameters=[
            ACCEPT_LANGUAGE,
            OpenApiParameter("limit", int, description=f"1–{MAX_LINES}, default {DEFAULT_LINES}."),
        ],
        responses={200: OutputSerializer, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "balance",
                value={
                    "balance_halalas": 98965000,
                    "lines": [
                        {
                            "occurred_at": "2026-03-01T10:00:00+03:00",
                            "kind": "charge",
                            "reference": EXAMPLE_REQUEST,
                            "fee_code": "expat_levy",
                            "label": "Expat levy",
                            "amount_halalas": -960000,
                            "request_number": EXAMPLE_REQUEST,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        establishment = api_key_of(request).establishment
        lines = ledger_lines_recent(actor=self.actor, limit=filters.validated_data["limit"])
        body = {
            "balance_halalas": establishment.balance_halalas,
            "lines": [
                {
                    "occurred_at": line.journal.occurred_at,
                    "kind": line.journal.kind,
                    "reference": line.journal.reference,
                    "fee_code": line.fee_code,
                    "label": str(FeeCode(line.fee_code).label)
                    if line.fee_code in FeeCode.values
                    else str(JournalKind(line.journal.kind).label),
                    "amount_halalas": line.amount_halalas,
                    "request_number": request_number_of(line.journal.service_request_id),
                }
                for line in lines
            ],
        }
        return Response(self.OutputSerializer(body).data)


class RequestEventSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=RequestAction.choices)
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.ChoiceField(choices=RequestStatus.choices)
    occurred_at = serializers.DateTimeField()


class RequestDetailApi(ApiView):
    # Checked per request: the permission of the request's own service.
    required_permission = None

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField()
        service_type = serializers.ChoiceField(choices=ServiceType.choices)
        service_label = serializers.CharField(help_text="In the request's language.")
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        status_label = serializers.CharField(help_text="In the request's language.")
        iqama_number = serializers.CharField(allow_null=True)
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()
        fees = FeesSerializer()
        events = RequestEventSerializer(many=True)

    @extend_schema(
        operation_id="requests_retrieve",
        summary="A request's status and history",
        description="Any request of your establishment (from the portal or the API); needs the "
        "permission of the request's service (`iqama_renewal` for a renewal, …). Anything "
        "else is a 404 `NOT_FOUND`.",
        tags=["requests"],
        parameters=[ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "renewal",
                value={
                    "request_number": EXAMPLE_REQUEST,
                    "service_type": "iqama_renewal",
                    "service_label": "Renew Iqama",
                    "status": "completed",
                    "status_label": "Completed",
                    "iqama_number": EXAMPLE_IQAMA,
                    "created_at": "2026-03-01T10:00:00+03:00",
                    "updated_at": "2026-03-01T10:00:00+03:00",
                    "fees": {"lines": [], "total_halalas": 0},
                    "events": [
                        {
                            "action": "submit",
                            "from_status": "",
                            "to_status": "submitted",
                            "occurred_at": "2026-03-01T10:00:00+03:00",
                        },
                        {
                            "action": "complete",
                            "from_status": "submitted",
                            "to_status": "completed",
                            "occurred_at": "2026-03-01T10:00:00+03:00",
                        },
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, number: str) -> Response:
        service_request = access_service_request_by_number(actor=self.actor, number=number)
        permission = SERVICE_PERMISSION.get(service_request.service_type)
        if permission is None or not key_holds(api_key_of(request), permission):
            raise DomainError(ErrorCode.PERMISSION_DENIED)
        body = {
            "request_number": service_request.number,
            "service_type": service_request.service_type,
            "service_label": str(ServiceType(service_request.service_type).label),
            "status": service_request.status,
            "status_label": str(RequestStatus(service_request.status).label),
            "iqama_number": service_request.resident.iqama_number
            if service_request.resident
            else None,
            "created_at": service_request.created_at,
            "updated_at": service_request.updated_at,
            "fees": fees_data(service_request.fee_lines, service_request.fee_total_halalas),
            "events": [
                {
                    "action": e.action,
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "occurred_at": e.occurred_at,
                }
                for e in service_request.events.all()
            ],
        }
        return Response(self.OutputSerializer(body).data)


@extend_schema(exclude=True)
class NoSuchOperationApi(APIView):
    """Any path under `/api/v1/` that is no operation: a 404 in the error envelope, for anyone."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []

    def get_exception_handler(self) -> Any:
        return api_v1_exception_handler

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()
