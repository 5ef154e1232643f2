"""The banks' SADAD endpoints, with a bank's own integration credential: inquire a bill by its
number, and confirm that it was paid (201 the first time, 200 for the same confirmation again)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from muqeem.core.api.parsers import JSONParser
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.money import HALALAS_PER_RIYAL, riyals
from muqeem.integrations.auth import IntegrationKeyAuthentication, integration_of
from muqeem.integrations.models import IntegrationCredential, IntegrationKind

from .models import SADAD_BILLER_CODE, Bill, BillStatus
from .numbers import bill_number_is_valid
from .selectors import bill_get_by_number
from .services import bill_payment_confirm


def _sar(halalas: int) -> str:
    return f"{Decimal(halalas) / HALALAS_PER_RIYAL:.2f}"


def _checked_number(number: str) -> str:
    number = number.strip()
    if not bill_number_is_valid(number):
        raise DomainError(
            ErrorCode.VALIDATION_FAILED,
            fields={"bill_number": [_("12 digits with a valid check digit expected.")]},
        )
    return number


def bill_body(bill: Bill) -> dict[str, Any]:
    est = bill.establishment
    current = bill.current_status()
    return {
        "biller_code": SADAD_BILLER_CODE,
        "bill_number": bill.number,
        "status": current,
        "payable": current == BillStatus.UNPAID,
        "amount": _sar(bill.amount_halalas),
        "amount_due": _sar(bill.amount_halalas if current == BillStatus.UNPAID else 0),
        "amount_halalas": bill.amount_halalas,
        "currency": "SAR",
        "due_until": bill.expires_on.isoformat(),
        "establishment": {
            "number": est.moi_number,
            "name_ar": est.name_ar,
            "name_en": est.name_en,
        },
        "payment_reference": bill.payment_reference,
        "paid_at": bill.paid_at.isoformat() if bill.paid_at else None,
    }


class BankApi(APIView):
    authentication_classes = [IntegrationKeyAuthentication]
    parser_classes = [JSONParser]
    permission_classes = [integration_of(IntegrationKind.BANK)]


class BillInquiryApi(BankApi):
    def get(self, request: Request, number: str) -> Response:
        bill = bill_get_by_number(number=_checked_number(number))
        if bill is None:
            raise DomainError(ErrorCode.BILL_NOT_FOUND)
        return Response(bill_body(bill))


class PaymentConfirmApi(BankApi):
    class InputSerializer(serializers.Serializer):
        bill_number = serializers.CharField(max_length=20)
        amount = serializers.DecimalField(
            max_digits=14, decimal_places=2, min_value=Decimal("0.01")
        )
        payment_reference = serializers.CharField(max_length=60)
        paid_at = serializers.DateTimeField()

    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        credential = request.auth
        assert isinstance(credential, IntegrationCredential)  # noqa: S101 - guaranteed by the permission
        result = bill_payment_confirm(
            number=_checked_number(v["bill_number"]),
            amount_halalas=riyals(v["amount"]),
            payment_reference=v["payment_reference"],
            paid_at=v["paid_at"],
            credential=credential,
        )
        body = bill_body(result.bill) | {"replayed": result.replayed}
        return Response(
            body, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED
        )
