"""Printing an issued document: its verification token, the audited print, the PDF response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from muqeem.documents.pdf import render_pdf
from muqeem.documents.services import (
    document_print_recorded,
    verification_token_for,
    verification_url,
)

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment
    from muqeem.residents.models import Resident
    from muqeem.workflow.models import ServiceRequest


def printed_document_response(
    *,
    request: HttpRequest,
    actor: User,
    kind: str,
    object_id: int,
    establishment: Establishment,
    resident: Resident | None,
    service_request: ServiceRequest | None,
    template: str,
    context: Mapping[str, Any],
    filename: str,
) -> HttpResponse:
    """The PDF of a document the caller has already access-checked (portal page and API alike)."""
    with transaction.atomic():
        token = verification_token_for(kind=kind, object_id=object_id)
        document_print_recorded(
            actor=actor,
            kind=kind,
            object_id=object_id,
            establishment=establishment,
            resident=resident,
            service_request=service_request,
        )
    pdf = render_pdf(
        template,
        {**context, "verification_url": verification_url(request, token)},
        language=get_language() or "ar",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
