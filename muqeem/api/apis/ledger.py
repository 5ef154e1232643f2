"""The establishment's ledger over a period: the statement's opening and closing balances and its
lines with the running balance, paged with a cursor."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.auth import api_key_of
from muqeem.api.base import ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, READ_ERRORS
from muqeem.core.dates import today
from muqeem.reports.forms import MAX_RANGE_DAYS
from muqeem.reports.selectors import fee_statement_lines, fee_statement_summary

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
DEFAULT_DAYS = 30
# Days outside any ledger; also keeps the period's bounds far from the calendar's ends.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
_CURSOR_RE = re.compile(r"^l:(\d{1,18}):(\d{1,4})$")


def encode_cursor(journal_id: int, index: int) -> str:
    raw = f"l:{journal_id}:{index}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    match = _CURSOR_RE.match(raw)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


class StatementLineSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    reference = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(help_text="In the request's language.")
    fee_code = serializers.CharField(help_text="Empty for a payment.")
    fee_label = serializers.CharField()
    amount_halalas = serializers.IntegerField(help_text="Negative: a debit.")
    balance_halalas = serializers.IntegerField(help_text="The balance after this line.")


class LedgerApi(ApiView):
    required_permission = Permission.REPORTS

    class FilterSerializer(serializers.Serializer):
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)
        cursor = serializers.CharField(required=False, max_length=64)
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT
        )

        def validate_cursor(self, value: str) -> tuple[int, int]:
            position = decode_cursor(value)
            if position is None:
                raise serializers.ValidationError(_("This cursor is not valid."))
            return position

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            end = attrs.get("date_to") or today()
            start = attrs.get("date_from") or end - timedelta(days=DEFAULT_DAYS)
            for field, value in (("date_from", start), ("date_to", end)):
                if not EARLIEST <= value <= LATEST:
                    raise serializers.ValidationError(
                        {field: [_("Choose a day between 2000 and 2100.")]}
                    )
            if start > end:
                raise serializers.ValidationError(
                    {"date_from": [_("The end of the range is before its start.")]}
                )
            if (end - start).days > MAX_RANGE_DAYS:
                raise serializers.ValidationError(
                    {"date_from": [_("Choose a period of at most three years.")]}
                )
            attrs["date_from"], attrs["date_to"] = start, end
            return attrs

    class OutputSerializer(serializers.Serializer):
        date_from = serializers.DateField()
        date_to = serializers.DateField()
        opening_halalas = serializers.IntegerField(help_text="The balance before the period.")
        debits_halalas = serializers.IntegerField()
        credits_halalas = serializers.IntegerField()
        closing_halalas = serializers.IntegerField(help_text="The balance at the period's end.")
        results = StatementLineSerializer(many=True)
        next_cursor = serializers.CharField(
            allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
        )

    @extend_schema(
        operation_id="ledger_list",
        summary="The establishment's ledger",
        description=(
            "The fee statement of a period (default: the last 30 days): opening and closing "
            "balances, and every movement in time order with the running balance, a charge "
            "itemised by fee. Page with `cursor` (from `next_cursor`) and `limit`. "
            "Needs `reports`."
        ),
        tags=["account"],
        parameters=[
            ACCEPT_LANGUAGE,
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day, inclusive."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day, inclusive."),
            OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
            OpenApiParameter("limit", int, description=f"1–{MAX_LIMIT}, default {DEFAULT_LIMIT}."),
        ],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        establishment = api_key_of(request).establishment
        start, end, limit = f["date_from"], f["date_to"], f["limit"]
        summary = fee_statement_summary(establishment=establishment, start=start, end=end)
        after = f.get("cursor")
        page: list[dict[str, Any]] = []
        next_cursor: str | None = None
        skipping = after is not None
        index, previous_journal = 0, None
        for line in fee_statement_lines(
            establishment=establishment,
            start=start,
            end=end,
            opening_halalas=summary.opening_halalas,
        ):
            index = index + 1 if line.journal_id == previous_journal else 0
            previous_journal = line.journal_id
            position = (line.journal_id, index)
            if skipping:
                if position == after:
                    skipping = False
                continue
            if len(page) == limit:
                last = page[-1]
                next_cursor = encode_cursor(last["_journal"], last["_index"])
                break
            page.append(
                {
                    "_journal": line.journal_id,
                    "_index": index,
                    "occurred_at": line.occurred_at,
                    "reference": line.reference,
                    "kind": line.kind,
                    "kind_label": line.kind_label,
                    "fee_code": line.fee_code,
                    "fee_label": line.fee_label,
                    "amount_halalas": line.amount_halalas,
                    "balance_halalas": line.balance_halalas,
                }
            )
        body = {
            "date_from": start,
            "date_to": end,
            "opening_halalas": summary.opening_halalas,
            "debits_halalas": summary.debits_halalas,
            "credits_halalas": summary.credits_halalas,
            "closing_halalas": summary.closing_halalas,
            "results": page,
            "next_cursor": next_cursor,
        }
        return Response(self.OutputSerializer(body).data)
