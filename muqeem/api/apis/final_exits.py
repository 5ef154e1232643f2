"""Final exit visas: dry run, issue, read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.common import (
    EXAMPLE_FINAL_EXIT,
    EXAMPLE_IQAMA,
    EXAMPLE_REQUEST,
    request_number_of,
)
from muqeem.api.base import REPLAYED_HEADER, ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, READ_ERRORS, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, ViolationSerializer, fees_data, violations_data
from muqeem.eservices.final_exit.models import FinalExit, FinalExitKind, FinalExitStatus
from muqeem.eservices.final_exit.services import (
    access_final_exit_by_number,
    final_exit_cancel,
    final_exit_cancel_check,
    final_exit_check,
    final_exit_issue,
)
from muqeem.workflow.machine import RequestStatus


class FinalExitTermsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=FinalExitKind.choices,
        default=FinalExitKind.REGULAR,
        help_text="`probation`: a worker still on a border number, within the probation period.",
    )
    iqama_number = serializers.CharField(max_length=40, required=False)
    border_number = serializers.CharField(
        max_length=40, required=False, help_text="Instead of `iqama_number` for `probation`."
    )
    dependent_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=50,
        help_text="Dependents leaving with the resident (`id` from the resident's file).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        needed = "border_number" if attrs["kind"] == FinalExitKind.PROBATION else "iqama_number"
        if not attrs.get(needed):
            raise serializers.ValidationError({needed: [_("This field is required.")]})
        attrs["identifier"] = attrs[needed]
        return attrs


class FinalExitSerializer(serializers.Serializer):
    final_exit_number = serializers.CharField()
    request_number = serializers.CharField()
    kind = serializers.ChoiceField(choices=FinalExitKind.choices)
    iqama_number = serializers.CharField(allow_null=True)
    border_number = serializers.CharField(allow_null=True)
    issued_on = serializers.DateField()
    leave_by = serializers.DateField(help_text="The resident must leave the kingdom by this day.")
    status = serializers.ChoiceField(choices=FinalExitStatus.choices)
    status_label = serializers.CharField(help_text="In the request's language.")
    departed_on = serializers.DateField(allow_null=True)
    dependent_ids = serializers.ListField(child=serializers.IntegerField())


def final_exit_data(final_exit: FinalExit) -> dict[str, Any]:
    return {
        "final_exit_number": final_exit.number,
        "request_number": request_number_of(final_exit.request_id),
        "kind": final_exit.kind,
        "iqama_number": final_exit.resident.iqama_number,
        "border_number": final_exit.resident.border_number,
        "issued_on": final_exit.issued_on,
        "leave_by": final_exit.leave_by,
        "status": final_exit.status,
        "status_label": str(FinalExitStatus(final_exit.status).label),
        "departed_on": final_exit.departed_on,
        "dependent_ids": sorted(d.pk for d in final_exit.dependents.all()),
    }


FINAL_EXIT_FEES_EXAMPLE = {
    "lines": [
        {
            "code": "final_exit_fee",
            "label": "Final exit visa fee",
            "amount_halalas": 7000,
            "basis": {},
        }
    ],
    "total_halalas": 7000,
}


class FinalExitEligibilityApi(ApiView):
    required_permission = Permission.FINAL_EXIT

    class InputSerializer(FinalExitTermsSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        kind = serializers.ChoiceField(choices=FinalExitKind.choices)
        leave_by = serializers.DateField()
        dependent_ids = serializers.ListField(child=serializers.IntegerField())
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer()

    @extend_schema(
        operation_id="final_exits_eligibility",
        summary="Check a final exit (dry run)",
        description="Changes nothing; every violation and the fees. Needs `final_exit`.",
        tags=["final exit"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={"kind": "regular", "iqama_number": EXAMPLE_IQAMA},
                request_only=True,
            ),
            OpenApiExample(
                "blocked",
                value={
                    "eligible": False,
                    "kind": "regular",
                    "leave_by": "2026-05-01",
                    "dependent_ids": [],
                    "violations": [
                        {
                            "code": "VEHICLE_REGISTERED",
                            "message": "1 vehicle(s) are registered in the resident's name.",
                            "messages": {
                                "ar": "توجد مركبات مسجلة باسم المقيم (عددها: 1).",
                                "en": "1 vehicle(s) are registered in the resident's name.",
                            },
                            "hint": {
                                "ar": "انقل ملكية المركبات أو ألغِ تسجيلها لدى الإدارة العامة للمرور.",
                                "en": "Transfer the vehicles' ownership or cancel their "
                                "registration at the traffic department.",
                            },
                            "params": {"count": 1},
                        }
                    ],
                    "fees": FINAL_EXIT_FEES_EXAMPLE,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        check = final_exit_check(
            actor=self.actor,
            identifier=v["identifier"],
            kind=v["kind"],
            dependent_ids=v["dependent_ids"],
        )
        body = {
            "eligible": check.eligible,
            "kind": check.kind,
            "leave_by": check.leave_by,
            "dependent_ids": sorted(d.pk for d in check.dependents),
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
        }
        return Response(self.OutputSerializer(body).data)


class FinalExitIssueApi(ApiView):
    required_permission = Permission.FINAL_EXIT

    class InputSerializer(FinalExitTermsSerializer):
        expected_total_halalas = serializers.IntegerField(required=False, min_value=0)

    class OutputSerializer(FinalExitSerializer):
        fees = FeesSerializer()

    @extend_schema(
        operation_id="final_exits_create",
        summary="Issue a final exit visa",
        description="Re-checks eligibility and debits the fee, at once. A refusal is a 422 "
        "`ELIGIBILITY_FAILED` with every violation. Needs `final_exit`.",
        tags=["final exit"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={"kind": "regular", "iqama_number": EXAMPLE_IQAMA, "dependent_ids": []},
                request_only=True,
            ),
            OpenApiExample(
                "issued",
                value={
                    "final_exit_number": EXAMPLE_FINAL_EXIT,
                    "request_number": EXAMPLE_REQUEST,
                    "kind": "regular",
                    "iqama_number": EXAMPLE_IQAMA,
                    "border_number": None,
                    "issued_on": "2026-03-01",
                    "leave_by": "2026-05-01",
                    "status": "issued",
                    "status_label": "Valid, not used",
                    "departed_on": None,
                    "dependent_ids": [],
                    "fees": FINAL_EXIT_FEES_EXAMPLE,
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
        result = final_exit_issue(
            actor=self.actor,
            identifier=v["identifier"],
            kind=v["kind"],
            dependent_ids=v["dependent_ids"],
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=v.get("expected_total_halalas"),
        )
        req = result.request
        body = {
            **final_exit_data(result.final_exit),
            "fees": fees_data(req.fee_lines, req.fee_total_halalas),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(
            self.OutputSerializer(body).data, status=status.HTTP_201_CREATED, headers=headers
        )


class FinalExitDetailApi(ApiView):
    required_permission = Permission.FINAL_EXIT

    class OutputSerializer(FinalExitSerializer):
        pass

    @extend_schema(
        operation_id="final_exits_retrieve",
        summary="A final exit visa",
        description="Anything not your establishment's is a 404 `FINAL_EXIT_NOT_FOUND`. "
        "Needs `final_exit`.",
        tags=["final exit"],
        parameters=[ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        final_exit = access_final_exit_by_number(actor=self.actor, number=number)
        return Response(self.OutputSerializer(final_exit_data(final_exit)).data)


class FinalExitCancelEligibilityApi(ApiView):
    required_permission = Permission.FINAL_EXIT

    class InputSerializer(serializers.Serializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        final_exit_number = serializers.CharField()
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer(help_text="Free within the window; a fee once the visa expired.")

    @extend_schema(
        operation_id="final_exits_cancel_eligibility",
        summary="Check cancelling a final exit (dry run)",
        description="Changes nothing. Needs `final_exit`.",
        tags=["final exit"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        check = final_exit_cancel_check(actor=self.actor, number=number)
        body = {
            "eligible": check.eligible,
            "final_exit_number": check.final_exit.number,
            "violations": violations_data(check.violations),
            "fees": fees_data(check.quote.as_list(), check.quote.total_halalas),
        }
        return Response(self.OutputSerializer(body).data)


class FinalExitCancelApi(ApiView):
    required_permission = Permission.FINAL_EXIT

    class InputSerializer(serializers.Serializer):
        expected_total_halalas = serializers.IntegerField(required=False, min_value=0)

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField(help_text="The cancellation request.")
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        final_exit = FinalExitSerializer()
        fees = FeesSerializer()

    @extend_schema(
        operation_id="final_exits_cancel",
        summary="Cancel a final exit visa",
        description="The resident's status returns to active. A refusal is a 422 "
        "`ELIGIBILITY_FAILED`. Needs `final_exit`.",
        tags=["final exit"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = final_exit_cancel(
            actor=self.actor,
            number=number,
            idempotency_key=self.service_idempotency_key(),
            expected_total_halalas=data.validated_data.get("expected_total_halalas"),
        )
        req = result.request
        body = {
            "request_number": req.number,
            "status": req.status,
            "final_exit": final_exit_data(result.final_exit),
            "fees": fees_data(req.fee_lines, req.fee_total_halalas),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(self.OutputSerializer(body).data, headers=headers)
