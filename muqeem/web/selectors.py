from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q

from muqeem.core.dates import today
from muqeem.establishments.models import Establishment
from muqeem.residents.models import Resident, ResidentStatus

EXPIRING_SOON_DAYS = 30
CURRENT_STATUSES = (
    ResidentStatus.ACTIVE,
    ResidentStatus.OUTSIDE_KINGDOM,
    ResidentStatus.ABSENT_FROM_WORK,
)


@dataclass(frozen=True)
class HomeFigures:
    residents: int
    expiring_soon: int
    expired: int
    abroad: int


def establishment_home_figures(*, establishment: Establishment) -> HomeFigures:
    """The home page's counts in one aggregate query over the establishment's current residents."""
    on = today()
    soon = on + timedelta(days=EXPIRING_SOON_DAYS)
    row = Resident.objects.filter(
        establishment=establishment, status__in=CURRENT_STATUSES
    ).aggregate(
        residents=Count("pk"),
        expiring_soon=Count("pk", filter=Q(iqama_expiry_date__gte=on, iqama_expiry_date__lte=soon)),
        expired=Count("pk", filter=Q(iqama_expiry_date__lt=on)),
        abroad=Count("pk", filter=Q(inside_kingdom=False)),
    )
    return HomeFigures(**row)
