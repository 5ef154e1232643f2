"""Cancelling an exit and re-entry visa: the dry run (the cancellation itself is in `visas`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.base import ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, ViolationSerializer, fees_data, violations_data
from muqeem.eservices.exit_reentry.services import visa_cancel_check


class VisaCancelEligibilityApi(ApiView):
    required_permission = Permission.EXIT_REENTRY

    class InputSerializer(serializers.Serializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        visa_number = serializers.CharField()
        deadline = serializers.DateField(
            allow_null=True, help_text="Last day the visa can be cancelled."
        )
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer(help_text="Always zero: cancelling is free and nothing is refunded.")

    @extend_schema(
        operation_id="visas_cancel_eligibility",
        summary="Check cancelling a visa (dry run)",
        description="Only an unused visa within the cancellation window. Changes nothing; every "
        "violation. Any other establishment's visa is a 404 `VISA_NOT_FOUND`. "
        "Needs `exit_reentry`.",
        tags=["exit and re-entry visas"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        check = visa_cancel_check(actor=self.actor, visa_number=number)
        body = {
            "eligible": check.eligible,
            "visa_number": check.visa.number,
            "deadline": check.deadline,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
        }
        return Response(self.OutputSerializer(body).data)
