from __future__ import annotations

from django.utils.translation import gettext as _

from muqeem.core.dates import today
from muqeem.documents.registry import PublicProjection, mask_name

from .models import FinalExit, FinalExitStatus

FINAL_EXIT_DOCUMENT_KIND = "final_exit"


def final_exit_projection(object_id: int) -> PublicProjection | None:
    final_exit = (
        FinalExit.objects.select_related("resident", "establishment").filter(pk=object_id).first()
    )
    if final_exit is None:
        return None
    status = final_exit.status
    if status == FinalExitStatus.CANCELLED:
        code, label = "cancelled", _("Cancelled")
    elif status == FinalExitStatus.DEPARTED:
        code, label = "used", _("Used")
    elif status == FinalExitStatus.EXPIRED or today() > final_exit.leave_by:
        code, label = "expired", _("Expired")
    else:
        code, label = "valid", _("Valid")
    return PublicProjection(
        document_type=str(final_exit.get_kind_display()),
        status=label,
        status_code=code,
        valid_from=final_exit.issued_on,
        valid_until=final_exit.leave_by,
        masked_name=mask_name(final_exit.resident.name),
        establishment_name=final_exit.establishment.name,
    )
