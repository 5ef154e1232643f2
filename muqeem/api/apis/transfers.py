"""Transfer of services: the new sponsor's dry run and request, the current sponsor's inbox and
answer (approve or reject), the new sponsor's withdrawal. Only the two parties see a transfer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.common import EXAMPLE_IQAMA, EXAMPLE_REQUEST
from muqeem.api.base import REPLAYED_HEADER, ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, READ_ERRORS, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, ViolationSerializer, fees_data, violations_data
from muqeem.eservices.service_transfer.models import TransferRequest
from muqeem.eservices.service_transfer.services import (
    TransferResult,
    access_transfer,
    transfer_approve,
    transfer_reject,
    transfer_request_check,
    transfer_request_create,
    transfer_withdraw,
    transfers_inbox,
)
from muqeem.workflow.machine import RequestStatus

TRANSFER_PATH = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The transfer's request number.",
)


class TransferSerializer(serializers.Serializer):
    transfer_number = serializers.CharField(help_text="The transfer's request number.")
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    status_label = serializers.CharField(help_text="In the request's language.")
    iqama_number = serializers.CharField(allow_null=True)
    from_establishment = serializers.CharField(help_text="The current sponsor's MOI number.")
    to_establishment = serializers.CharField(help_text="The new sponsor's MOI number.")
    direction = serializers.ChoiceField(
        choices=[("incoming", "incoming"), ("outgoing", "outgoing")],
        help_text="`incoming`: your resident, asked for by another establishment.",
    )
    expires_on = serializers.DateField(help_text="Unanswered by this day, the request lapses.")
    consent_required = serializers.BooleanField()
    decided_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(allow_blank=True)
    fees = FeesSerializer(help_text="Paid by the new sponsor at approval.")


def transfer_data(transfer: TransferRequest, *, establishment_id: int | None) -> dict[str, Any]:
    req = transfer.request
    return {
        "transfer_number": req.number,
        "status": req.status,
        "status_label": str(RequestStatus(req.status).label),
        "iqama_number": transfer.resident.iqama_number,
        "from_establishment": transfer.from_establishment.moi_number,
        "to_establishment": transfer.to_establishment.moi_number,
        "direction": (
            "incoming" if transfer.from_establishment_id == establishment_id else "outgoing"
        ),
        "expires_on": transfer.expires_on,
        "consent_required": transfer.consent_required,
        "decided_at": transfer.decided_at,
        "rejection_reason": transfer.rejection_reason,
        "fees": fees_data(req.fee_lines or [], req.fee_total_halalas or 0),
    }


class TransferTermsSerializer(serializers.Serializer):
    iqama_number = serializers.CharField(max_length=40)
    sponsor_moi = serializers.CharField(
        max_length=20, help_text="The current sponsor's MOI number, as on the iqama."
    )


class _TransferApi(ApiView):
    required_permission = Permission.SERVICE_TRANSFER

    def respond(self, result: TransferResult, *, code: int = status.HTTP_200_OK) -> Response:
        # The service moves the request it locked, not the copy the transfer carries: read it back.
        transfer = access_transfer(actor=self.actor, number=result.transfer.request.number)
        body = transfer_data(transfer, establishment_id=self.actor.establishment_id)
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(TransferSerializer(body).data, status=code, headers=headers)


class TransferEligibilityApi(_TransferApi):
    class InputSerializer(TransferTermsSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        iqama_number = serializers.CharField()
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer()

    @extend_schema(
        operation_id="transfers_eligibility",
        summary="Check a transfer request (dry run)",
        description="For the new sponsor. Changes nothing; every violation and the fee. A wrong "
        "sponsor number and an unknown iqama look the same. Needs `service_transfer`.",
        tags=["transfers"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={"iqama_number": EXAMPLE_IQAMA, "sponsor_moi": "7001234567"},
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        check = transfer_request_check(
            actor=self.actor, iqama_number=v["iqama_number"], sponsor_moi=v["sponsor_moi"]
        )
        body = {
            "eligible": not check.violations,
            "iqama_number": check.resident.iqama_number,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
        }
        return Response(self.OutputSerializer(body).data)


class TransferCreateApi(_TransferApi):
    class InputSerializer(TransferTermsSerializer):
        expected_total_halalas = serializers.IntegerField(required=False, min_value=0)

    @extend_schema(
        operation_id="transfers_create",
        summary="Ask for a resident's transfer",
        description="For the new sponsor: the current sponsor answers it before `expires_on`; the "
        "fee is charged at approval. A refusal is a 422 `ELIGIBILITY_FAILED` with every "
        "violation. Needs `service_transfer`.",
        tags=["transfers"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: TransferSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "requested",
                value={
                    "transfer_number": EXAMPLE_REQUEST,
                    "status": "submitted",
                    "status_label": "Submitted",
                    "iqama_number": EXAMPLE_IQAMA,
                    "from_establishment": "7001234567",
                    "to_establishment": "7007654321",
                    "direction": "outgoing",
                    "expires_on": "2026-03-15",
                    "consent_required": False,
                    "decided_at": None,
                    "rejection_reason": "",
                    "fees": {"lines": [], "total_halalas": 200000},
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
        result = transfer_request_create(
            actor=self.actor,
            iqama_number=v["iqama_number"],
            sponsor_moi=v["sponsor_moi"],
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=v.get("expected_total_halalas"),
        )
        return self.respond(result, code=status.HTTP_201_CREATED)


class TransferInboxApi(_TransferApi):
    class OutputSerializer(serializers.Serializer):
        results = TransferSerializer(many=True)

    @extend_schema(
        operation_id="transfers_inbox",
        summary="Transfer requests waiting for your answer",
        description="Requests for your residents from other establishments, still pending, the "
        "soonest to lapse first. Needs `service_transfer`.",
        tags=["transfers"],
        parameters=[ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        est = self.actor.establishment_id
        body = {
            "results": [
                transfer_data(t, establishment_id=est) for t in transfers_inbox(actor=self.actor)
            ]
        }
        return Response(self.OutputSerializer(body).data)


class TransferDetailApi(_TransferApi):
    @extend_schema(
        operation_id="transfers_retrieve",
        summary="A transfer",
        description="Either party sees it; anyone else gets a 404 `TRANSFER_NOT_FOUND`. "
        "Needs `service_transfer`.",
        tags=["transfers"],
        parameters=[TRANSFER_PATH, ACCEPT_LANGUAGE],
        responses={200: TransferSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        transfer = access_transfer(actor=self.actor, number=number)
        body = transfer_data(transfer, establishment_id=self.actor.establishment_id)
        return Response(TransferSerializer(body).data)


class TransferApproveApi(_TransferApi):
    class InputSerializer(serializers.Serializer):
        pass

    @extend_schema(
        operation_id="transfers_approve",
        summary="Approve a transfer",
        description="For the current sponsor: the new sponsor is charged and the resident moves, "
        "at once. Blockers found now are a 422 `ELIGIBILITY_FAILED`. Needs `service_transfer`.",
        tags=["transfers"],
        parameters=[TRANSFER_PATH, ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: TransferSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        return self.respond(transfer_approve(actor=self.actor, number=number))


class TransferRejectApi(_TransferApi):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=300)

    @extend_schema(
        operation_id="transfers_reject",
        summary="Reject a transfer",
        description="For the current sponsor, with a reason. Needs `service_transfer`.",
        tags=["transfers"],
        parameters=[TRANSFER_PATH, ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: TransferSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.respond(
            transfer_reject(actor=self.actor, number=number, reason=data.validated_data["reason"])
        )


class TransferWithdrawApi(_TransferApi):
    class InputSerializer(serializers.Serializer):
        pass

    @extend_schema(
        operation_id="transfers_withdraw",
        summary="Withdraw a transfer request",
        description="For the new sponsor, while it is pending. Needs `service_transfer`.",
        tags=["transfers"],
        parameters=[TRANSFER_PATH, ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: TransferSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        return self.respond(transfer_withdraw(actor=self.actor, number=number))
