"""Saudi Post's endpoint: report a delivery's progress by its tracking number, with a POSTAL credential."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from muqeem.core.api.parsers import JSONParser
from muqeem.integrations.auth import IntegrationKeyAuthentication, integration_of
from muqeem.integrations.models import IntegrationCredential, IntegrationKind

from .models import DeliverySource
from .services import delivery_status_update

# Clocks of two systems differ a little; a report further in the future than this is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


class DeliveryEventCreateApi(APIView):
    authentication_classes = [IntegrationKeyAuthentication]
    parser_classes = [JSONParser]
    permission_classes = [integration_of(IntegrationKind.POSTAL)]

    class InputSerializer(serializers.Serializer):
        event_id = serializers.CharField(max_length=60)
        # Free text on purpose: an unknown status is a refused move (409), like an out-of-order one.
        status = serializers.CharField(max_length=40)
        occurred_at = serializers.DateTimeField(required=False)
        note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

        def validate_occurred_at(self, value: datetime) -> datetime:
            if value > timezone.now() + CLOCK_SKEW:
                raise serializers.ValidationError(_("The time cannot be in the future."))
            return value

    def post(self, request: Request, tracking: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = request.auth
        assert isinstance(credential, IntegrationCredential)  # noqa: S101 - guaranteed by the permission
        v = data.validated_data
        result = delivery_status_update(
            order_or_tracking=tracking,
            status=v["status"].strip().lower(),
            source=DeliverySource.POSTAL,
            external_id=f"postal:{credential.pk}:{v['event_id']}",
            note=v["note"],
            credential=credential,
            occurred_at=v.get("occurred_at"),
        )
        order = result.order
        body = {
            "event_id": v["event_id"],
            "tracking_number": order.tracking_number,
            "status": result.event.status,
            "occurred_at": result.event.occurred_at.isoformat(),
            "order_status": order.status,
            "replayed": result.replayed,
        }
        return Response(
            body, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED
        )
