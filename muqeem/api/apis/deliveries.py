"""Wasel card deliveries: the establishment's orders (cursor-paged) and one order with its events."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.choices import inline_choice_field
from muqeem.api.apis.common import request_number_of
from muqeem.api.base import ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, READ_ERRORS
from muqeem.delivery.models import DeliveryOrder, DeliveryReason, DeliverySource, DeliveryStatus
from muqeem.delivery.selectors import access_delivery_by_tracking, delivery_list_for_establishment

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_CURSOR_RE = re.compile(r"^d:(\d{1,18}):(\d{1,18})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

TRACKING_PATH = OpenApiParameter(
    "tracking",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The Wasel tracking number (`WSL…`).",
)


def encode_cursor(order: DeliveryOrder) -> str:
    micros = (order.status_changed_at - _EPOCH) // _MICROSECOND
    raw = f"d:{micros}:{order.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        match = _CURSOR_RE.match(raw)
        if match is None:
            return None
        moment = _EPOCH + int(match.group(1)) * _MICROSECOND
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError, OSError):
        return None
    return moment, int(match.group(2))


class AddressSerializer(serializers.Serializer):
    building_number = serializers.CharField()
    street = serializers.CharField()
    district = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    additional_number = serializers.CharField()


class DeliverySerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = inline_choice_field(DeliveryStatus)
    status_label = serializers.CharField(help_text="In the request's language.")
    reason = serializers.ChoiceField(choices=DeliveryReason.choices)
    iqama_number = serializers.CharField(allow_null=True)
    card_version = serializers.IntegerField()
    request_number = serializers.CharField(allow_null=True)
    ordered_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField()


class DeliveryEventSerializer(serializers.Serializer):
    status = inline_choice_field(DeliveryStatus)
    status_label = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=DeliverySource.choices)  # type: ignore[assignment]
    note = serializers.CharField(allow_blank=True)


def delivery_data(order: DeliveryOrder) -> dict[str, Any]:
    return {
        "tracking_number": order.tracking_number,
        "status": order.status,
        "status_label": str(DeliveryStatus(order.status).label),
        "reason": order.reason,
        "iqama_number": order.resident.iqama_number,
        "card_version": order.card_version,
        "request_number": request_number_of(order.service_request_id),
        "ordered_at": order.created_at,
        "status_changed_at": order.status_changed_at,
    }


class DeliveryListApi(ApiView):
    required_permission = Permission.WASEL

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
        cursor = serializers.CharField(required=False, max_length=80)
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT
        )

        def validate_cursor(self, value: str) -> tuple[datetime, int]:
            position = decode_cursor(value)
            if position is None:
                raise serializers.ValidationError(_("This cursor is not valid."))
            return position

    class OutputSerializer(serializers.Serializer):
        results = DeliverySerializer(many=True)
        next_cursor = serializers.CharField(
            allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
        )

    @extend_schema(
        operation_id="deliveries_list",
        summary="The establishment's card deliveries",
        description="The most recently changed first; page with `cursor` and `limit`. "
        "Needs `wasel`.",
        tags=["deliveries"],
        parameters=[
            ACCEPT_LANGUAGE,
            OpenApiParameter("status", str, enum=list(DeliveryStatus.values)),
            OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
            OpenApiParameter("limit", int, description=f"1–{MAX_LIMIT}, default {DEFAULT_LIMIT}."),
        ],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        qs = delivery_list_for_establishment(actor=self.actor, status=f.get("status"))
        if "cursor" in f:
            moment, pk = f["cursor"]
            qs = qs.filter(Q(status_changed_at__lt=moment) | Q(status_changed_at=moment, id__lt=pk))
        orders = list(qs[: f["limit"] + 1])
        more = len(orders) > f["limit"]
        orders = orders[: f["limit"]]
        body = {
            "results": [delivery_data(o) for o in orders],
            "next_cursor": encode_cursor(orders[-1]) if more else None,
        }
        return Response(self.OutputSerializer(body).data)


class DeliveryDetailApi(ApiView):
    required_permission = Permission.WASEL

    class OutputSerializer(DeliverySerializer):
        address = AddressSerializer()
        events = DeliveryEventSerializer(many=True)

    @extend_schema(
        operation_id="deliveries_retrieve",
        summary="A card delivery and its events",
        description="Anything not your establishment's is a 404 `DELIVERY_NOT_FOUND`. "
        "Needs `wasel`.",
        tags=["deliveries"],
        parameters=[TRACKING_PATH, ACCEPT_LANGUAGE],
        responses={200: OutputSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, tracking: str) -> Response:
        order = access_delivery_by_tracking(actor=self.actor, tracking=tracking)
        body = {
            **delivery_data(order),
            "address": {
                "building_number": order.building_number,
                "street": order.street,
                "district": order.district,
                "city": order.city,
                "postal_code": order.postal_code,
                "additional_number": order.additional_number,
            },
            "events": [
                {
                    "status": e.status,
                    "status_label": str(DeliveryStatus(e.status).label),
                    "occurred_at": e.occurred_at,
                    "source": e.source,
                    "note": e.note,
                }
                for e in order.events.all()
            ],
        }
        return Response(self.OutputSerializer(body).data)
