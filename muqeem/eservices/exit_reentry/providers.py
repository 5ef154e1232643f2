"""What the public verification page may say about a visa: a minimal projection, nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from muqeem.core.dates import today
from muqeem.documents.registry import PublicProjection, mask_name

from . import lifecycle
from .models import Visa, VisaStatus

if TYPE_CHECKING:
    from muqeem.accounts.models import User

VISA_DOCUMENT_KIND = "exit_reentry_visa"


def visa_projection(object_id: int) -> PublicProjection | None:
    visa = Visa.objects.select_related("resident", "establishment").filter(pk=object_id).first()
    if visa is None:
        return None
    on = today()
    if visa.status == VisaStatus.CANCELLED:
        code, label = "cancelled", _("Cancelled")
    elif visa.status in (VisaStatus.EXPIRED_UNUSED, VisaStatus.EXPIRED, VisaStatus.NOT_RETURNED):
        code, label = "expired", _("Expired")
    elif visa.status == VisaStatus.USED or (
        visa.status == VisaStatus.RETURNED and visa.visa_type == "single"
    ):
        code, label = "used", _("Used")
    elif lifecycle.is_current(
        status=visa.status,
        visa_type=visa.visa_type,
        travel_by=visa.travel_by,
        expires_on=visa.expires_on,
        on=on,
    ):
        code, label = "valid", _("Valid")
    else:
        code, label = "expired", _("Expired")
    return PublicProjection(
        document_type=_("Exit and re-entry visa") + " — " + str(visa.get_visa_type_display()),
        status=label,
        status_code=code,
        valid_from=visa.issued_on,
        valid_until=visa.expires_on or visa.travel_by,
        masked_name=mask_name(visa.resident.name),
        establishment_name=visa.establishment.name,
    )


def visa_document_response(*, request: HttpRequest, actor: User, visa: Visa) -> HttpResponse:
    """The printable visa, from the portal's page and from the API."""
    from muqeem.documents.responses import printed_document_response

    return printed_document_response(
        request=request,
        actor=actor,
        kind=VISA_DOCUMENT_KIND,
        object_id=visa.pk,
        establishment=visa.establishment,
        resident=visa.resident,
        service_request=visa.request,
        template="exit_reentry/visa_document.html",
        context={"visa": visa, "resident": visa.resident, "issued_on": visa.issued_on},
        filename=f"visa-{visa.number}.pdf",
    )
