"""Replacement iqama cards by Wasel (lost or damaged): dry run and order."""

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
from muqeem.delivery.fees import REPRINT_REASONS
from muqeem.delivery.models import DeliveryStatus
from muqeem.delivery.services import card_reprint_check, card_reprint_order
from muqeem.workflow.machine import RequestStatus


class ReplacementSerializer(serializers.Serializer):
    iqama_number = serializers.CharField(max_length=40)
    reason = serializers.ChoiceField(choices=[str(r) for r in REPRINT_REASONS])


REPLACEMENT_EXAMPLE = {"iqama_number": EXAMPLE_IQAMA, "reason": "lost"}
REPLACEMENT_FEES_EXAMPLE = {
    "lines": [
        {
            "code": "card_replacement_fee",
            "label": "Iqama card replacement fee",
            "amount_halalas": 100000,
            "basis": {},
        },
        {
            "code": "wasel_delivery_fee",
            "label": "Wasel delivery fee",
            "amount_halalas": 3000,
            "basis": {},
        },
    ],
    "total_halalas": 103000,
}


class CardReplacementEligibilityApi(ApiView):
    required_permission = Permission.WASEL

    class InputSerializer(ReplacementSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        iqama_number = serializers.CharField()
        reason = serializers.CharField()
        earlier_lost = serializers.IntegerField(
            help_text="Cards of this resident reported lost before; a lost card costs more each time."
        )
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer()

    @extend_schema(
        operation_id="cards_replacements_eligibility",
        summary="Check a replacement iqama card (dry run)",
        description="Changes nothing; every violation and the fees (replacement and postage). "
        "Needs `wasel`.",
        tags=["iqama cards"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[OpenApiExample("request", value=REPLACEMENT_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        check = card_reprint_check(
            actor=self.actor, iqama_number=v["iqama_number"], reason=v["reason"]
        )
        body = {
            "eligible": check.eligible,
            "iqama_number": check.resident.iqama_number,
            "reason": check.reason,
            "earlier_lost": check.earlier_lost,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
        }
        return Response(self.OutputSerializer(body).data)


class CardReplacementCreateApi(ApiView):
    required_permission = Permission.WASEL

    class InputSerializer(ReplacementSerializer):
        expected_total_halalas = serializers.IntegerField(
            required=False,
            min_value=0,
            help_text="The quoted total you accepted; a different total now is a 409 "
            "`QUOTE_CHANGED` and nothing is charged.",
        )

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField()
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        iqama_number = serializers.CharField()
        reason = serializers.CharField()
        tracking_number = serializers.CharField(help_text="Wasel's tracking number.")
        card_version = serializers.IntegerField(help_text="The version printed on the new card.")
        delivery_status = serializers.ChoiceField(choices=DeliveryStatus.choices)
        fees = FeesSerializer()

    @extend_schema(
        operation_id="cards_replacements_create",
        summary="Order a replacement iqama card by Wasel",
        description="Re-checks eligibility, debits the fees, issues the next card version and "
        "orders its delivery to the establishment's national address, at once. A refusal is a "
        "422 `ELIGIBILITY_FAILED` with every violation. Needs `wasel`.",
        tags=["iqama cards"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={**REPLACEMENT_EXAMPLE, "expected_total_halalas": 103000},
                request_only=True,
            ),
            OpenApiExample(
                "ordered",
                value={
                    "request_number": EXAMPLE_REQUEST,
                    "status": "completed",
                    "iqama_number": EXAMPLE_IQAMA,
                    "reason": "lost",
                    "tracking_number": "WSL0000000001",
                    "card_version": 2,
                    "delivery_status": "requested",
                    "fees": REPLACEMENT_FEES_EXAMPLE,
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
        result = card_reprint_order(
            actor=self.actor,
            iqama_number=v["iqama_number"],
            reason=v["reason"],
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=v.get("expected_total_halalas"),
        )
        req, order = result.request, result.order
        body = {
            "request_number": req.number,
            "status": req.status,
            "iqama_number": order.resident.iqama_number,
            "reason": order.reason,
            "tracking_number": order.tracking_number,
            "card_version": order.card_version,
            "delivery_status": order.status,
            "fees": fees_data(req.fee_lines, req.fee_total_halalas),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(
            self.OutputSerializer(body).data, status=status.HTTP_201_CREATED, headers=headers
        )
