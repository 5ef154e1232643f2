"""The border-control system's endpoint: POST a departure or an arrival, with its own credential."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from muqeem.core.api.parsers import JSONParser
from muqeem.integrations.auth import IntegrationKeyAuthentication, integration_of
from muqeem.integrations.models import IntegrationCredential, IntegrationKind

from .models import Direction
from .services import border_crossing_record


class BorderCrossingCreateApi(APIView):
    authentication_classes = [IntegrationKeyAuthentication]
    parser_classes = [JSONParser]
    permission_classes = [integration_of(IntegrationKind.BORDER)]

    class InputSerializer(serializers.Serializer):
        event_id = serializers.CharField(max_length=60)
        iqama_number = serializers.CharField(max_length=40)
        direction = serializers.ChoiceField(choices=Direction.choices)
        date = serializers.DateField()
        port = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")

    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = request.auth
        assert isinstance(credential, IntegrationCredential)  # noqa: S101 - guaranteed by the permission
        v = data.validated_data
        result = border_crossing_record(
            iqama_number=v["iqama_number"],
            direction=v["direction"],
            on=v["date"],
            port=v["port"],
            external_id=f"border:{credential.pk}:{v['event_id']}",
            credential=credential,
        )
        crossing = result.crossing
        body = {
            "event_id": v["event_id"],
            "iqama_number": crossing.resident.iqama_number,
            "direction": crossing.direction,
            "date": crossing.crossed_on.isoformat(),
            "visa_number": crossing.visa.number if crossing.visa else None,
            "final_exit_number": crossing.final_exit.number if crossing.final_exit else None,
            "resident_status": crossing.resident.status,
            "replayed": result.replayed,
        }
        return Response(
            body, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED
        )
