"""The printable final exit visa (PDF)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from muqeem.accounts.permissions import Permission
from muqeem.api.apis.visas import JsonErrorsNegotiation
from muqeem.api.base import ApiView
from muqeem.api.schema import ACCEPT_LANGUAGE, READ_ERRORS
from muqeem.documents.responses import printed_document_response
from muqeem.eservices.final_exit.providers import FINAL_EXIT_DOCUMENT_KIND
from muqeem.eservices.final_exit.services import access_final_exit_by_number


class FinalExitDocumentApi(ApiView):
    required_permission = Permission.FINAL_EXIT
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsNegotiation

    @extend_schema(
        operation_id="final_exits_document",
        summary="The printable final exit visa (PDF)",
        description="The same document as the portal prints, with its QR verification code; "
        "each download is audited. Anything not your establishment's is a 404 "
        "`FINAL_EXIT_NOT_FOUND`. Language from `Accept-Language` (default Arabic). "
        "Needs `final_exit`.",
        tags=["final exit"],
        parameters=[ACCEPT_LANGUAGE],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, number: str) -> HttpResponse:
        final_exit = access_final_exit_by_number(actor=self.actor, number=number)
        # The same arguments as the portal's print (final_exit/views.py `pdf_view`).
        return printed_document_response(
            request=request._request,
            actor=self.actor,
            kind=FINAL_EXIT_DOCUMENT_KIND,
            object_id=final_exit.pk,
            establishment=final_exit.establishment,
            resident=final_exit.resident,
            service_request=final_exit.request,
            template="final_exit/document.html",
            context={
                "final_exit": final_exit,
                "resident": final_exit.resident,
                "dependents": list(final_exit.dependents.all()),
                "issued_on": final_exit.issued_on,
            },
            filename=f"final-exit-{final_exit.number}.pdf",
        )
