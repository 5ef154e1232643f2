"""The agencies' endpoints: each agency sends its own facts with its own credential kind.

A credential of one kind calling another kind's endpoint gets the 403 envelope (PERMISSION_DENIED).
Errors use the one envelope; `Accept-Language` picks the language of `message`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from muqeem.core.api.exception_handler import envelope
from muqeem.core.api.parsers import JSONParser
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.middleware import current_request_id
from muqeem.integrations.auth import IntegrationKeyAuthentication, integration_of
from muqeem.integrations.models import IntegrationCredential, IntegrationKind
from muqeem.residents.models import Resident

from . import imports
from .models import AgencyImport, ImportKind, TrafficFine
from .selectors import resident_by_iqama_number
from .services import (
    FactResult,
    ImportInvalid,
    absence_report,
    absence_withdraw,
    agency_import_apply,
    agency_import_check,
    fine_number_text,
    fingerprint_registered_set,
    insurance_status_set,
    traffic_fine_issue,
    traffic_fine_pay,
    vehicles_count_set,
)


def _credential(request: Request) -> IntegrationCredential:
    credential = request.auth
    assert isinstance(credential, IntegrationCredential)  # noqa: S101 - guaranteed by the permission
    return credential


# Each agency sees only the facts it sends, never another agency's.
INSURANCE_FACTS = ("insurance_active", "insurance_expiry_date")
FINGERPRINT_FACTS = ("fingerprint_registered",)
VEHICLES_FACTS = ("registered_vehicles",)
ABSENCE_FACTS = ("absent_from_work_reported", "status")


def facts_json(resident: Resident, keys: tuple[str, ...]) -> dict[str, Any]:
    body: dict[str, Any] = {"iqama_number": resident.iqama_number}
    for key in keys:
        value = getattr(resident, key)
        body[key] = value.isoformat() if isinstance(value, date) else value
    return body


def _fact_response(result: FactResult, keys: tuple[str, ...]) -> Response:
    body = {
        **facts_json(result.resident, keys),
        "changed": result.changed,
        "replayed": result.replayed,
        "record_id": result.record.pk if result.record is not None else None,
    }
    return Response(body, status=status.HTTP_200_OK)


def fine_json(fine: TrafficFine) -> dict[str, Any]:
    return {
        "fine_number": fine.number,
        "iqama_number": fine.resident.iqama_number,
        "amount_halalas": fine.amount_halalas,
        "violation": fine.violation,
        "issued_on": fine.issued_on.isoformat(),
        "status": fine.status,
        "paid_at": fine.paid_at.isoformat() if fine.paid_at else None,
        "payment_reference": fine.payment_reference,
        "unpaid_traffic_fines_halalas": fine.resident.unpaid_traffic_fines_halalas,
    }


class _AgencyApi(APIView):
    authentication_classes = [IntegrationKeyAuthentication]
    parser_classes = [JSONParser]


class ReferenceSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class InsuranceApi(_AgencyApi):
    permission_classes = [integration_of(IntegrationKind.INSURANCE)]

    class InputSerializer(ReferenceSerializer):
        active = serializers.BooleanField()
        expiry_date = serializers.DateField(required=False, allow_null=True, default=None)

    def get(self, request: Request, iqama_number: str) -> Response:
        return Response(facts_json(resident_by_iqama_number(iqama_number), INSURANCE_FACTS))

    def put(self, request: Request, iqama_number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return _fact_response(
            insurance_status_set(
                iqama_number=iqama_number,
                active=v["active"],
                expiry_date=v["expiry_date"],
                credential=_credential(request),
                reference=v["reference"],
            ),
            INSURANCE_FACTS,
        )


class FingerprintApi(_AgencyApi):
    permission_classes = [integration_of(IntegrationKind.BIOMETRIC)]

    class InputSerializer(ReferenceSerializer):
        registered = serializers.BooleanField()

    def get(self, request: Request, iqama_number: str) -> Response:
        return Response(facts_json(resident_by_iqama_number(iqama_number), FINGERPRINT_FACTS))

    def put(self, request: Request, iqama_number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return _fact_response(
            fingerprint_registered_set(
                iqama_number=iqama_number,
                registered=v["registered"],
                credential=_credential(request),
                reference=v["reference"],
            ),
            FINGERPRINT_FACTS,
        )


class VehiclesApi(_AgencyApi):
    permission_classes = [integration_of(IntegrationKind.VEHICLES)]

    class InputSerializer(ReferenceSerializer):
        count = serializers.IntegerField(min_value=0, max_value=999)

    def get(self, request: Request, iqama_number: str) -> Response:
        return Response(facts_json(resident_by_iqama_number(iqama_number), VEHICLES_FACTS))

    def put(self, request: Request, iqama_number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return _fact_response(
            vehicles_count_set(
                iqama_number=iqama_number,
                count=v["count"],
                credential=_credential(request),
                reference=v["reference"],
            ),
            VEHICLES_FACTS,
        )


class AbsenceReportApi(_AgencyApi):
    permission_classes = [integration_of(IntegrationKind.LABOUR)]

    def get(self, request: Request, iqama_number: str) -> Response:
        return Response(facts_json(resident_by_iqama_number(iqama_number), ABSENCE_FACTS))

    def post(self, request: Request, iqama_number: str) -> Response:
        data = ReferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = absence_report(
            iqama_number=iqama_number,
            credential=_credential(request),
            reference=data.validated_data["reference"],
        )
        return _fact_response(result, ABSENCE_FACTS)

    def delete(self, request: Request, iqama_number: str) -> Response:
        data = ReferenceSerializer(data=request.data or request.query_params)
        data.is_valid(raise_exception=True)
        result = absence_withdraw(
            iqama_number=iqama_number,
            credential=_credential(request),
            reference=data.validated_data["reference"],
        )
        return _fact_response(result, ABSENCE_FACTS)


class TrafficFineCreateApi(_AgencyApi):
    permission_classes = [integration_of(IntegrationKind.TRAFFIC)]

    class InputSerializer(serializers.Serializer):
        fine_number = serializers.CharField(max_length=30)
        iqama_number = serializers.CharField(max_length=40)
        amount_halalas = serializers.IntegerField(min_value=1, max_value=1_000_000_000)
        violation = serializers.CharField(max_length=200)
        issued_on = serializers.DateField()

    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = traffic_fine_issue(
            number=v["fine_number"],
            iqama_number=v["iqama_number"],
            amount_halalas=v["amount_halalas"],
            violation=v["violation"],
            issued_on=v["issued_on"],
            credential=_credential(request),
        )
        body = {**fine_json(result.fine), "replayed": result.replayed}
        return Response(
            body, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED
        )


class TrafficFineDetailApi(_AgencyApi):
    permission_classes = [integration_of(IntegrationKind.TRAFFIC)]

    def get(self, request: Request, number: str) -> Response:
        fine = (
            TrafficFine.objects.select_related("resident")
            .filter(number=fine_number_text(number))
            .first()
        )
        if fine is None:
            raise DomainError(ErrorCode.TRAFFIC_FINE_NOT_FOUND)
        return Response(fine_json(fine))


class TrafficFinePaymentApi(_AgencyApi):
    permission_classes = [integration_of(IntegrationKind.TRAFFIC)]

    class InputSerializer(serializers.Serializer):
        paid_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        payment_reference = serializers.CharField(
            max_length=60, required=False, allow_blank=True, default=""
        )

    def post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = traffic_fine_pay(
            number=number,
            paid_at=v["paid_at"],
            payment_reference=v["payment_reference"],
            credential=_credential(request),
        )
        body = {**fine_json(result.fine), "replayed": result.replayed}
        return Response(body, status=status.HTTP_200_OK)


# --- CSV imports ---------------------------------------------------------------------------------


class ImportKindAllowed(permissions.BasePermission):
    """The credential's kind is the agency that sends this kind of file."""

    def has_permission(self, request: Request, view: Any) -> bool:
        kind = view.kwargs.get("kind", "")
        credential = request.auth
        return (
            kind in imports.IMPORT_SOURCES
            and isinstance(credential, IntegrationCredential)
            and credential.kind == imports.IMPORT_SOURCES[kind]
        )


def import_json(agency_import: AgencyImport, *, replayed: bool = False) -> dict[str, Any]:
    return {
        "id": agency_import.pk,
        "kind": agency_import.kind,
        "status": agency_import.status,
        "sha256": agency_import.sha256,
        "rows": agency_import.row_count,
        "changes": agency_import.change_count,
        "rows_with_errors": agency_import.error_count,
        "errors": agency_import.errors,
        "would_change" if not agency_import.is_applied else "changed": agency_import.changes,
        "applied_at": agency_import.applied_at.isoformat() if agency_import.applied_at else None,
        "replayed": replayed,
    }


def _invalid_response(exc: ImportInvalid, agency_import_id: int) -> Response:
    body = exc.as_dict(request_id=current_request_id())
    body["import_id"] = agency_import_id
    body["errors"] = exc.errors
    return Response(body, status=exc.http_status)


def _kind(kwargs: dict[str, Any]) -> str:
    kind = kwargs.get("kind", "")
    if kind not in ImportKind.values:
        raise Http404
    return str(kind)


class ImportCreateApi(APIView):
    """POST a CSV file (multipart field `file`); `?dry_run=true` only checks it."""

    authentication_classes = [IntegrationKeyAuthentication]
    permission_classes = [ImportKindAllowed]
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request, kind: str) -> Response:
        kind = _kind({"kind": kind})
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                envelope(ErrorCode.VALIDATION_FAILED, fields={"file": ["required"]}),
                status=status.HTTP_400_BAD_REQUEST,
            )
        if upload.size is not None and upload.size > imports.MAX_FILE_BYTES:
            raise DomainError(
                ErrorCode.BULK_FILE_TOO_LARGE, {"max_mb": imports.MAX_FILE_BYTES // 1024 // 1024}
            )
        data = upload.read(imports.MAX_FILE_BYTES + 1)
        credential = _credential(request)
        agency_import = agency_import_check(
            kind=kind, data=data, filename=upload.name or "", credential=credential
        )
        dry_run = request.query_params.get("dry_run", "").lower() in ("1", "true", "yes")
        if dry_run:
            return Response(import_json(agency_import), status=status.HTTP_201_CREATED)
        try:
            result = agency_import_apply(agency_import_id=agency_import.pk, credential=credential)
        except ImportInvalid as exc:
            return _invalid_response(exc, agency_import.pk)
        return Response(import_json(result.agency_import), status=status.HTTP_201_CREATED)


class ImportConfirmApi(APIView):
    """Apply a file checked earlier with `?dry_run=true`; confirming it again changes nothing."""

    authentication_classes = [IntegrationKeyAuthentication]
    permission_classes = [ImportKindAllowed]
    parser_classes = [JSONParser]

    def post(self, request: Request, kind: str, pk: int) -> Response:
        kind = _kind({"kind": kind})
        if not AgencyImport.objects.filter(pk=pk, kind=kind).exists():
            raise DomainError(ErrorCode.NOT_FOUND)
        try:
            result = agency_import_apply(agency_import_id=pk, credential=_credential(request))
        except ImportInvalid as exc:
            return _invalid_response(exc, pk)
        return Response(import_json(result.agency_import, replayed=result.replayed))


class ImportDetailApi(APIView):
    authentication_classes = [IntegrationKeyAuthentication]
    permission_classes = [ImportKindAllowed]

    def get(self, request: Request, kind: str, pk: int) -> Response:
        kind = _kind({"kind": kind})
        agency_import = AgencyImport.objects.filter(
            pk=pk, kind=kind, credential=_credential(request)
        ).first()
        if agency_import is None:
            raise DomainError(ErrorCode.NOT_FOUND)
        return Response(import_json(agency_import))
