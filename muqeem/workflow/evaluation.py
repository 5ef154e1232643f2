"""Building rule snapshots from the database (the only impure part of eligibility)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from muqeem.workflow.rules import ResidentFacts

if TYPE_CHECKING:
    from muqeem.establishments.models import Establishment
    from muqeem.residents.models import Resident


def resident_facts(
    *, resident: Resident, establishment: Establishment, today: date
) -> ResidentFacts:
    return ResidentFacts(
        today=today,
        status=resident.status,
        inside_kingdom=resident.inside_kingdom,
        iqama_expiry=resident.iqama_expiry_date,
        passport_expiry=resident.passport_expiry_date,
        insurance_active=resident.insurance_active,
        insurance_expiry=resident.insurance_expiry_date,
        unpaid_fines_halalas=resident.unpaid_traffic_fines_halalas,
        absent_reported=resident.absent_from_work_reported,
        fingerprint_registered=resident.fingerprint_registered,
        balance_halalas=establishment.balance_halalas,
    )
