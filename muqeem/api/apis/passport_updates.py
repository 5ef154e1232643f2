"""Passport update: the dry run (every blocker, and the valid visas that would follow the new
passport), then the update."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.common import EXAMPLE_IQAMA, EXAMPLE_REQUEST, EXAMPLE_VISA
from muqeem.api.base import REPLAYED_HEADER, ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, IDEMPOTENCY_KEY, WRITE_ERRORS
from muqeem.api.serializers import FeesSerializer, ViolationSerializer, fees_data, violations_data
from muqeem.eservices.passport_update.rules import NewPassport
from muqeem.eservices.passport_update.services import passport_update, passport_update_check
from muqeem.workflow.machine import RequestStatus


class PassportUpdateTermsSerializer(serializers.Serializer):
    iqama_number = serializers.CharField(max_length=40)
    passport_number = serializers.CharField(max_length=40)
    issue_date = serializers.DateField()
    expiry_date = serializers.DateField()


def new_passport_of(validated: dict[str, object]) -> NewPassport:
    return NewPassport.of(
        number=str(validated["passport_number"]),
        issue_date=validated["issue_date"],  # type: ignore[arg-type]
        expiry_date=validated["expiry_date"],  # type: ignore[arg-type]
    )


class PassportUpdateEligibilityApi(ApiView):
    required_permission = Permission.PASSPORT_UPDATE

    class InputSerializer(PassportUpdateTermsSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        iqama_number = serializers.CharField()
        passport_number = serializers.CharField(help_text="The new number, normalised.")
        visa_numbers = serializers.ListField(
            child=serializers.CharField(),
            help_text="The valid visas that would move to the new passport.",
        )
        violations = ViolationSerializer(many=True)
        fees = FeesSerializer(help_text="The update is free.")
        resident_version = serializers.IntegerField()

    @extend_schema(
        operation_id="passport_updates_eligibility",
        summary="Check a passport update (dry run)",
        description="Changes nothing. Returns every violation. Needs `passport_update`.",
        tags=["passport update"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "request",
                value={
                    "iqama_number": EXAMPLE_IQAMA,
                    "passport_number": "Z9876543",
                    "issue_date": "2026-02-20",
                    "expiry_date": "2036-02-19",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        check = passport_update_check(
            actor=self.actor, iqama_number=v["iqama_number"], new=new_passport_of(v)
        )
        body = {
            "eligible": check.eligible,
            "iqama_number": check.resident.iqama_number,
            "passport_number": check.new.number,
            "visa_numbers": [visa.number for visa in check.visas],
            "violations": violations_data(check.violations),
            "fees": fees_data([], 0),
            "resident_version": check.resident.version,
        }
        return Response(self.OutputSerializer(body).data)


class PassportUpdateCreateApi(ApiView):
    required_permission = Permission.PASSPORT_UPDATE

    class InputSerializer(PassportUpdateTermsSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        request_number = serializers.CharField()
        status = serializers.ChoiceField(choices=RequestStatus.choices)
        iqama_number = serializers.CharField()
        previous_passport_number = serializers.CharField()
        passport_number = serializers.CharField()
        issue_date = serializers.DateField()
        expiry_date = serializers.DateField()
        visa_numbers = serializers.ListField(
            child=serializers.CharField(), help_text="The valid visas moved to the new passport."
        )
        fees = FeesSerializer()

    @extend_schema(
        operation_id="passport_updates_create",
        summary="Update a resident's passport",
        description="Keeps the old passport on record and moves the resident's valid visas to the "
        "new one, at once. A refusal is a 422 `ELIGIBILITY_FAILED` with every violation. "
        "Needs `passport_update`.",
        tags=["passport update"],
        parameters=[ACCEPT_LANGUAGE, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "updated",
                value={
                    "request_number": EXAMPLE_REQUEST,
                    "status": "completed",
                    "iqama_number": EXAMPLE_IQAMA,
                    "previous_passport_number": "P1000001",
                    "passport_number": "Z9876543",
                    "issue_date": "2026-02-20",
                    "expiry_date": "2036-02-19",
                    "visa_numbers": [EXAMPLE_VISA],
                    "fees": {"lines": [], "total_halalas": 0},
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
        result = passport_update(
            actor=self.actor,
            iqama_number=v["iqama_number"],
            new=new_passport_of(v),
            idempotency_key=self.service_idempotency_key(),
        )
        req, update = result.request, result.update
        body = {
            "request_number": req.number,
            "status": req.status,
            "iqama_number": req.resident.iqama_number if req.resident else "",
            "previous_passport_number": update.previous_passport.passport_number,
            "passport_number": update.new_passport_number,
            "issue_date": update.new_issue_date,
            "expiry_date": update.new_expiry_date,
            "visa_numbers": list(update.visa_numbers),
            "fees": fees_data(req.fee_lines or [], req.fee_total_halalas or 0),
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        return Response(
            self.OutputSerializer(body).data, status=status.HTTP_201_CREATED, headers=headers
        )
