"""Reads of alerts, scoped to the actor's establishment: another establishment's digest is a 404."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from muqeem.accounts.permissions import Permission
from muqeem.alerts.models import AlertDigest, AlertKind, AlertSettings, Notification
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.residents.models import Resident
from muqeem.web.selectors import CURRENT_STATUSES

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment

# The calendar feed looks this far ahead for iqamas and passports.
FEED_HORIZON_DAYS = 180


def can_manage_alerts(user: User) -> bool:
    """Who may change an establishment's alert settings and its feed link; the rest read them."""
    if user.establishment_id is None or not user.is_active:
        return False
    return user.is_main_user or user.has_service_permission(Permission.USER_MANAGEMENT)


def unread_count_for(establishment: Establishment | int) -> int:
    """The number on the navigation bar's bell: one indexed COUNT."""
    establishment_id = establishment if isinstance(establishment, int) else establishment.pk
    return Notification.objects.filter(
        establishment_id=establishment_id, read_at__isnull=True
    ).count()


def notifications_for(*, actor: User) -> QuerySet[Notification]:
    """Unread first, then newest first."""
    if actor.establishment_id is None:
        return Notification.objects.none()
    return (
        Notification.objects.filter(establishment_id=actor.establishment_id)
        .annotate(
            unread_first=Case(
                When(read_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("unread_first", "-created_at", "-pk")
    )


def access_digest(*, actor: User, digest_id: int) -> AlertDigest:
    digest = (
        AlertDigest.objects.filter(establishment_id=actor.establishment_id, pk=digest_id)
        .select_related("establishment")
        .first()
        if actor.establishment_id is not None
        else None
    )
    if digest is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return digest


def settings_by_feed_token(token: str) -> AlertSettings | None:
    """The settings a calendar feed link belongs to, if the link is current and the establishment
    active."""
    if not token:
        return None
    return (
        AlertSettings.objects.filter(feed_token=token, establishment__is_active=True)
        .select_related("establishment")
        .first()
    )


@dataclass(frozen=True)
class FeedEntry:
    """One all-day event of the calendar feed. `uid_key` stays the same when the date moves (a
    renewal), so a calendar app updates the event instead of adding a second one."""

    kind: str
    object_id: int
    on: date
    name_ar: str
    name_en: str
    iqama_number: str
    border_number: str
    visa_number: str
    version: int
    changed_at: datetime

    @property
    def uid_key(self) -> str:
        return f"{self.kind}-{self.object_id}"


def feed_entries_for(*, establishment_id: int, on: date) -> list[FeedEntry]:
    """Upcoming expiries of the establishment's current residents and the travel-before dates of
    its issued, unused visas, in two queries."""
    horizon = on + timedelta(days=FEED_HORIZON_DAYS)
    entries: list[FeedEntry] = []
    residents = residents_expiring_between(establishment_id=establishment_id, start=on, end=horizon)
    for row in residents:
        for kind, field in (
            (AlertKind.IQAMA_EXPIRY, "iqama_expiry_date"),
            (AlertKind.PASSPORT_EXPIRY, "passport_expiry_date"),
        ):
            due = row[field]
            if due is not None and on <= due <= horizon:
                entries.append(
                    FeedEntry(
                        kind=kind,
                        object_id=row["pk"],
                        on=due,
                        name_ar=row["name_ar"],
                        name_en=row["name_en"],
                        iqama_number=row["iqama_number"] or "",
                        border_number=row["border_number"] or "",
                        visa_number="",
                        version=row["version"],
                        changed_at=row["updated_at"],
                    )
                )
    visas = Visa.objects.filter(
        establishment_id=establishment_id, status=VisaStatus.ISSUED, travel_by__gte=on
    ).values(
        "pk",
        "travel_by",
        "version",
        "created_at",
        "resident__name_ar",
        "resident__name_en",
        "resident__iqama_number",
        "resident__border_number",
    )
    for visa in visas:
        entries.append(
            FeedEntry(
                kind=AlertKind.VISA_UNUSED,
                object_id=visa["pk"],
                on=visa["travel_by"],
                name_ar=visa["resident__name_ar"],
                name_en=visa["resident__name_en"],
                iqama_number=visa["resident__iqama_number"] or "",
                border_number=visa["resident__border_number"] or "",
                visa_number=Visa(pk=visa["pk"]).number,
                version=visa["version"],
                changed_at=visa["created_at"],
            )
        )
    entries.sort(key=lambda e: (e.on, e.kind, e.object_id))
    return entries


def residents_expiring_between(
    *, establishment_id: int, start: date, end: date
) -> Iterable[Mapping[str, Any]]:
    """The establishment's current residents whose iqama or passport expires in [start, end], as
    plain rows: one query, whatever the number of residents."""
    return (
        Resident.objects.filter(establishment_id=establishment_id, status__in=CURRENT_STATUSES)
        .filter(
            Q(iqama_expiry_date__range=(start, end)) | Q(passport_expiry_date__range=(start, end))
        )
        .values(
            "pk",
            "name_ar",
            "name_en",
            "iqama_number",
            "border_number",
            "iqama_expiry_date",
            "passport_expiry_date",
            "version",
            "updated_at",
        )
        .order_by("pk")
    )
