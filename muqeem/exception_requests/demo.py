"""Demo data of this app for `manage.py demo_data` (idempotent): one exception request under review
from the first demo establishment, so the staff console's queue is not empty."""

from __future__ import annotations

import io

from muqeem.accounts.models import User
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.residents.models import Resident

from .models import ExceptionRequest
from .services import Upload, exception_request_file

DEMO_OFFICER = "modern.officer"
DEMO_PDF = b"%PDF-1.4\n% Muqeem demo: hospital admission report\n%%EOF\n"


def seed_demo() -> list[str]:
    """Create this app's demo rows; returns the lines to print with the demo logins."""
    officer = User.objects.filter(username=DEMO_OFFICER).first()
    if officer is None or officer.establishment_id is None:
        return []
    if ExceptionRequest.objects.filter(establishment_id=officer.establishment_id).exists():
        return []
    # A resident already renewed late twice whose iqama has expired again.
    resident = (
        Resident.objects.filter(establishment_id=officer.establishment_id, late_renewal_count=2)
        .order_by("pk")
        .first()
    )
    if resident is None or not resident.iqama_number:
        return []
    try:
        exception = exception_request_file(
            actor=officer,
            iqama_number=resident.iqama_number,
            codes=[ErrorCode.LATE_RENEWAL_LIMIT_REACHED],
            reason=(
                "تعذر تجديد الإقامة في موعدها لتنويم المقيم في المستشفى. "
                "The resident was in hospital when the iqama expired; the report is attached."
            ),
            uploads=[
                Upload(name="hospital-report.pdf", size=len(DEMO_PDF), stream=io.BytesIO(DEMO_PDF))
            ],
        )
    except DomainError:
        return []
    return [f"  exception request {exception.number} is waiting in the staff console's queue"]
