"""Fines: a resident's fines, and paying one from the establishment's balance."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.choices import inline_choice_field
from muqeem.api.apis.common import request_number_of
from muqeem.api.apis.residents import IQAMA_PATH
from muqeem.api.base import ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, READ_ERRORS, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, fees_data
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.fees.models import FeeCode, Penalty, PenaltyStatus
from muqeem.fees.services import access_penalty, penalty_pay
from muqeem.residents.selectors import access_resident_by_iqama_number, parse_iqama_number
from muqeem.workflow.machine import RequestStatus

# The largest id a database integer column holds: anything above is nobody's fine.
_MAX_ID = 2**63 - 1

FINE_ID_PATH = OpenApiParameter(
    "fine_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="`id` from the resident's fines.",
)


def fine_id_of(value: str) -> int:
    """The fine's id from the path; anything that cannot be an id is a 404 like a missing fine."""
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= _MAX_ID:
        raise DomainError(ErrorCode.NOT_FOUND)
    return int(value)


class FineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    iqama_number = serializers.CharField(allow_null=True)
    fee_code = serializers.CharField()
    label = serializers.CharField(help_text="In the request's language.")  # type: ignore[assignment]
    amount_halalas = serializers.IntegerField()
    status = inline_choice_field(PenaltyStatus)
    recorded_on = serializers.DateField()
    paid_at = serializers.DateTimeField(allow_null=True)
    paid_by_request_number = serializers.CharField(allow_null=True)


def fine_data(penalty: Penalty) -> dict[str, Any]:
    return {
        "id": penalty.pk,
        "iqama_number": penalty.resident.iqama_number,
        "fee_code": penalty.fee_code,
        "label": (
            str(FeeCode(penalty.fee_code).label)
            if penalty.fee_code in FeeCode.values
            else penalty.fee_code
        ),
        "amount_halalas": penalty.amount_halalas,
        "status": penalty.status,
        "recorded_on": penalty.recorded_on,
        "paid_at": penalty.paid_at,
        "paid_by_request_number": request_number_of(penalty.paid_by_request_id),
    }


class ResidentFinesApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class OutputSerializer(serializers.Serializer):
        iqama_number = serializers.CharField()
        unpaid_total_halalas = serializers.IntegerField()
        fines = FineSerializer(many=True)

    @extend_schema(
        operation_id="residents_fines",
        summary="A resident's fines",
        description="Newest first, paid and unpaid. Any other establishment's resident is a 404 "
        "`RESIDENT_NOT_FOUND`. Needs `exit_reentry`.",
        tags=["fines"],
        parameters=[IQAMA_PATH, ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, iqama_number: str) -> Response:
        resident = access_resident_by_iqama_number(
            actor=self.actor, iqama_number=parse_iqama_number(iqama_number)
        )
        fines = list(resident.penalties.select_related("resident").order_by("-pk"))
        body = {
            "iqama_number": resident.iqama_number,
            "unpaid_total_halalas": sum(
                f.amount_halalas for f in fines if f.status == PenaltyStatus.UNPAID
            ),
            "fines": [fine_data(f) for f in fines],
        }
        return Response(self.OutputSerializer(body).data)


class FinePayApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class InputSerializer(serializers.Serializer):
        pass

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField()
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        fine = FineSerializer()
        fees = FeesSerializer()

    @extend_schema(
        operation_id="fines_pay",
        summary="Pay a fine",
        description="Debits the fine from the establishment's balance and marks it paid, at once. "
        "Not enough balance is a 422 `ELIGIBILITY_FAILED`; a fine already paid or waived is a "
        "409 `FINE_NOT_PAYABLE`; another establishment's fine is a 404 `NOT_FOUND`. "
        "Needs `exit_reentry`.",
        tags=["fines"],
        parameters=[FINE_ID_PATH, ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, fine_id: str) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        penalty_id = fine_id_of(fine_id)
        req = penalty_pay(
            actor=self.actor,
            penalty_id=penalty_id,
            idempotency_key=self.service_idempotency_key(),
        )
        penalty = access_penalty(actor=self.actor, penalty_id=penalty_id)
        body = {
            "request_number": req.number,
            "status": req.status,
            "fine": fine_data(penalty),
            "fees": fees_data(req.fee_lines, req.fee_total_halalas),
        }
        return Response(self.OutputSerializer(body).data)
