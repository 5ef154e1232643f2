"""What the staff console reads. Lists are bounded; nothing here writes except the read audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.establishments.models import Establishment
from muqeem.fees.models import LedgerJournal, ScheduleEntry
from muqeem.fees.schedule import KEYS, Key
from muqeem.residents.models import Resident, ResidentHistoryEntry, ResidentStatus
from muqeem.workflow.models import ServiceRequest

from .values import display_value, input_value

if TYPE_CHECKING:
    from muqeem.accounts.models import User

SEARCH_LIMIT = 50
RECENT = 10


# --- Schedule --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    key: Key
    current: Any
    current_display: str
    current_from: date | None
    next_entry: ScheduleEntry | None
    next_display: str

    @property
    def group(self) -> str:
        return self.key.name.split(".", 1)[0]


def schedule_overview(*, on: date | None = None) -> list[ScheduleRow]:
    """Every key with the value in force on `on` and the next scheduled change (one query)."""
    on = on or today()
    entries: dict[str, list[ScheduleEntry]] = {}
    for entry in ScheduleEntry.objects.order_by("key", "effective_from"):
        entries.setdefault(entry.key, []).append(entry)
    rows = []
    for key in KEYS:
        past = [e for e in entries.get(key.name, []) if e.effective_from <= on]
        future = [e for e in entries.get(key.name, []) if e.effective_from > on]
        current = past[-1].value if past else key.default
        nxt = future[0] if future else None
        rows.append(
            ScheduleRow(
                key=key,
                current=current,
                current_display=display_value(key, current),
                current_from=past[-1].effective_from if past else None,
                next_entry=nxt,
                next_display=display_value(key, nxt.value) if nxt else "",
            )
        )
    return rows


@dataclass(frozen=True)
class HistoryRow:
    entry: ScheduleEntry
    display: str
    state: str  # "past", "in_force", "scheduled"


def schedule_history(*, key: Key, on: date | None = None) -> tuple[list[HistoryRow], str]:
    """Every entry of the key, newest first, each marked past / in force / scheduled; and the
    value in force as staff would type it (to pre-fill the change form)."""
    on = on or today()
    entries = list(
        ScheduleEntry.objects.filter(key=key.name)
        .select_related("created_by")
        .order_by("-effective_from")
    )
    in_force = next((e for e in entries if e.effective_from <= on), None)
    rows = [
        HistoryRow(
            entry=e,
            display=display_value(key, e.value),
            state="scheduled" if e.effective_from > on else "in_force" if e is in_force else "past",
        )
        for e in entries
    ]
    current = in_force.value if in_force is not None else key.default
    return rows, input_value(key, current)


def schedule_upcoming(*, on: date | None = None) -> QuerySet[ScheduleEntry]:
    return ScheduleEntry.objects.filter(effective_from__gt=on or today()).order_by(
        "effective_from", "key"
    )


# --- Establishments ---------------------------------------------------------------------------


def establishments_search(*, q: str = "", suspended_only: bool = False) -> list[Establishment]:
    qs = Establishment.objects.all()
    q = q.strip()
    if q:
        if q.isdigit():
            qs = qs.filter(Q(moi_number=q) | Q(cr_number=q))
        else:
            qs = qs.filter(Q(name_ar__icontains=q) | Q(name_en__icontains=q))
    if suspended_only:
        qs = qs.filter(suspended_at__isnull=False)
    return list(qs.order_by("moi_number")[:SEARCH_LIMIT])


@dataclass(frozen=True)
class EstablishmentFile:
    establishment: Establishment
    residents_by_status: list[dict[str, Any]]
    residents_total: int
    users: list[Any]
    requests: list[ServiceRequest]
    journals: list[LedgerJournal]


def establishment_file(*, moi_number: str) -> EstablishmentFile | None:
    establishment = Establishment.objects.filter(moi_number=moi_number).first()
    if establishment is None:
        return None
    by_status = [
        {**row, "label": ResidentStatus(row["status"]).label}
        for row in Resident.objects.filter(establishment=establishment)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    ]
    return EstablishmentFile(
        establishment=establishment,
        residents_by_status=by_status,
        residents_total=sum(r["n"] for r in by_status),
        users=list(establishment.users.order_by("-is_main_user", "username")[:50]),
        requests=list(
            ServiceRequest.objects.filter(establishment=establishment)
            .select_related("resident")
            .order_by("-pk")[:RECENT]
        ),
        journals=list(
            LedgerJournal.objects.filter(establishment=establishment).order_by("-pk")[:RECENT]
        ),
    )


# --- Residents -------------------------------------------------------------------------------


def residents_search(*, q: str) -> list[Resident]:
    """By iqama, border or passport number (exact), or by name (contains)."""
    q = q.strip()
    if not q:
        return []
    qs = Resident.objects.select_related("establishment", "nationality")
    if q.isdigit():
        qs = qs.filter(Q(iqama_number=q) | Q(border_number=q) | Q(passport_number=q))
    else:
        qs = qs.filter(
            Q(passport_number=q.upper()) | Q(name_en__icontains=q) | Q(name_ar__icontains=q)
        )
    return list(qs.order_by("pk")[:SEARCH_LIMIT])


@dataclass(frozen=True)
class ResidentFile:
    resident: Resident
    history: list[ResidentHistoryEntry]
    requests: list[ServiceRequest]


def resident_file_for_staff(*, actor: User, resident_id: int) -> ResidentFile | None:
    """A resident's file as staff see it; opening it is a read of a personal record, audited."""
    resident = (
        Resident.objects.select_related("establishment", "nationality", "profession")
        .filter(pk=resident_id)
        .first()
    )
    if resident is None:
        return None
    audit_record(
        event_type=AuditEventType.RESIDENT_VIEWED,
        actor=actor,
        establishment=resident.establishment,
        resident=resident,
        extra={"console": True},
    )
    return ResidentFile(
        resident=resident,
        history=list(resident.history.order_by("-occurred_at", "-pk")[:20]),
        requests=list(ServiceRequest.objects.filter(resident=resident).order_by("-pk")[:RECENT]),
    )


@dataclass(frozen=True)
class ConsoleCounts:
    establishments: int
    suspended: int
    residents: int
    upcoming_changes: int


def console_counts() -> ConsoleCounts:
    est = Establishment.objects.aggregate(
        total=Count("pk"), suspended=Count("pk", filter=Q(suspended_at__isnull=False))
    )
    return ConsoleCounts(
        establishments=est["total"],
        suspended=est["suspended"],
        residents=Resident.objects.count(),
        upcoming_changes=schedule_upcoming().count(),
    )
