"""The residents list (and its exports): filters, sort orders and keyset pagination over the actor's
establishment. Every read starts from `resident_qs_for`, so another establishment's resident can
never appear, whatever the filters or the cursor say.

Keyset ("seek") pagination instead of OFFSET: an establishment with 100,000 residents pays the same
for page 2,000 as for page 1, and a resident renewed between two clicks is neither repeated nor
skipped. The cursor is the (sort key, id) of the last (or first) row shown; ties on the sort key are
broken by the id, so the order is total even when many iqamas expire on the same day."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, F, OrderBy, OuterRef, Q, QuerySet
from django.utils.translation import get_language

from muqeem.core.ids import normalize_digits
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.residents.models import Resident, ResidentStatus
from muqeem.residents.selectors import resident_qs_for

if TYPE_CHECKING:
    from muqeem.accounts.models import User

PAGE_SIZE = 50
# WeasyPrint shapes every cell (about 10-20 ms a row): 1,000 rows is a 34-page PDF built in seconds;
# more is slow to build and useless on paper, and the spreadsheet has every row.
PDF_MAX_ROWS = 1_000

# The residents the establishment still sponsors and must keep documents valid for.
CURRENT_STATUSES = (
    ResidentStatus.ACTIVE,
    ResidentStatus.OUTSIDE_KINGDOM,
    ResidentStatus.ABSENT_FROM_WORK,
)
STATUS_CURRENT = "current"
# An exit/re-entry visa still in play: issued and not yet used, or used and the resident abroad.
OUTSTANDING_VISA_STATUSES = (VisaStatus.ISSUED, VisaStatus.USED)
# An issued visa must be used or cancelled before its travel-by day, or the unused-visa fine falls.
VISA_AT_RISK_DAYS = 14

VISA_OUTSTANDING = "outstanding"
VISA_AT_RISK = "at_risk"
LOCATION_INSIDE = "inside"
LOCATION_OUTSIDE = "outside"

SORT_EXPIRY = "expiry"
SORT_EXPIRY_DESC = "-expiry"
SORT_NAME = "name"
SORTS = (SORT_EXPIRY, SORT_EXPIRY_DESC, SORT_NAME)


@dataclass(frozen=True)
class ResidentFilters:
    """What the officer searched for; every field optional. Built by `ResidentFilterForm`."""

    name: str = ""
    iqama: str = ""
    passport: str = ""
    nationality: str = ""
    profession: str = ""
    status: str = ""
    location: str = ""
    expiry_from: date | None = None
    expiry_to: date | None = None
    passport_before: date | None = None
    visa: str = ""
    sort: str = SORT_EXPIRY

    def used(self) -> list[str]:
        """Names of the filters in use (for the audit trail: which filters, never their values)."""
        return sorted(
            name for name, value in vars(self).items() if name != "sort" and value not in ("", None)
        )


def visa_outstanding_q(*, establishment_id: int) -> Q:
    return Q(establishment_id=establishment_id, status__in=OUTSTANDING_VISA_STATUSES)


def visa_at_risk_q(*, establishment_id: int, on: date) -> Q:
    return Q(
        establishment_id=establishment_id,
        status=VisaStatus.ISSUED,
        travel_by__gte=on,
        travel_by__lte=on + timedelta(days=VISA_AT_RISK_DAYS),
    )


def resident_search(*, actor: User, filters: ResidentFilters, on: date) -> QuerySet[Resident]:
    """The actor's establishment's residents matching every filter given (not yet ordered)."""
    qs = resident_qs_for(actor=actor)
    f = filters
    if f.name:
        qs = qs.filter(Q(name_ar__icontains=f.name) | Q(name_en__icontains=f.name))
    if f.iqama:
        number = normalize_digits(f.iqama)
        qs = qs.filter(Q(iqama_number__startswith=number) | Q(border_number__startswith=number))
    if f.passport:
        qs = qs.filter(passport_number__istartswith=f.passport.strip())
    if f.nationality:
        qs = qs.filter(nationality_id=f.nationality)
    if f.profession:
        qs = qs.filter(profession_id=f.profession)
    if f.status == STATUS_CURRENT:
        qs = qs.filter(status__in=CURRENT_STATUSES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.location == LOCATION_INSIDE:
        qs = qs.filter(inside_kingdom=True)
    elif f.location == LOCATION_OUTSIDE:
        qs = qs.filter(inside_kingdom=False)
    if f.expiry_from is not None:
        qs = qs.filter(iqama_expiry_date__gte=f.expiry_from)
    if f.expiry_to is not None:
        qs = qs.filter(iqama_expiry_date__lte=f.expiry_to)
    if f.passport_before is not None:
        qs = qs.filter(passport_expiry_date__lte=f.passport_before)
    if f.visa and actor.establishment_id is not None:
        if f.visa == VISA_OUTSTANDING:
            visas = visa_outstanding_q(establishment_id=actor.establishment_id)
        else:
            visas = visa_at_risk_q(establishment_id=actor.establishment_id, on=on)
        qs = qs.filter(Exists(Visa.objects.filter(visas, resident_id=OuterRef("pk"))))
    return qs


# --- Sort orders and keyset pagination --------------------------------------------------------


@dataclass(frozen=True)
class SortOrder:
    """An order over (field, id). `descending` applies to both, so reversing the order (for the
    previous page) is flipping `descending` and where the NULLs go."""

    field: str
    descending: bool = False
    nullable: bool = False
    nulls_last: bool = True

    def reversed(self) -> SortOrder:
        return SortOrder(self.field, not self.descending, self.nullable, not self.nulls_last)

    def order_by(self) -> list[OrderBy]:
        # Django takes True or None here (False is refused).
        nulls: dict[str, bool] = {"nulls_last" if self.nulls_last else "nulls_first": True}
        if self.descending:
            return [F(self.field).desc(**nulls), F("pk").desc()]
        return [F(self.field).asc(**nulls), F("pk").asc()]

    def after(self, key: Any, pk: int) -> Q:
        """Rows strictly after (key, pk) in this order."""
        cmp = "lt" if self.descending else "gt"
        pk_after = Q(**{f"pk__{cmp}": pk})
        if self.nullable and key is None:
            in_null_block = Q(**{f"{self.field}__isnull": True}) & pk_after
            if self.nulls_last:
                return in_null_block
            return in_null_block | Q(**{f"{self.field}__isnull": False})
        condition = Q(**{f"{self.field}__{cmp}": key}) | (Q(**{self.field: key}) & pk_after)
        if self.nullable and self.nulls_last:
            condition |= Q(**{f"{self.field}__isnull": True})
        return condition


def sort_order(sort: str) -> SortOrder:
    if sort == SORT_NAME:
        arabic = (get_language() or "ar").startswith("ar")
        return SortOrder("name_ar" if arabic else "name_en")
    if sort == SORT_EXPIRY_DESC:
        return SortOrder("iqama_expiry_date", descending=True, nullable=True)
    # Unknown expiry (a border number awaiting its iqama) last, whatever the direction.
    return SortOrder("iqama_expiry_date", nullable=True)


def encode_cursor(sort: str, key: Any, pk: int) -> str:
    value = key.isoformat() if isinstance(key, date) else key
    raw = json.dumps([sort, value, pk], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, *, sort: str) -> tuple[Any, int] | None:
    """(key, id) from a cursor made for `sort`, or None for anything else (a stale or edited
    link starts again from the first page rather than failing)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        made_for, key, pk = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        return None
    if made_for != sort or not isinstance(pk, int) or isinstance(pk, bool):
        return None
    order = sort_order(sort)
    if key is None:
        return (None, pk) if order.nullable else None
    if not isinstance(key, str):
        return None
    if order.field == "iqama_expiry_date":
        try:
            return date.fromisoformat(key), pk
        except ValueError:
            return None
    return key, pk


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Resident]
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def keyset_page(
    qs: QuerySet[Resident],
    *,
    sort: str,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """One page in one query: `size + 1` rows tell whether there is a page beyond."""
    order = sort_order(sort)
    cursor_after = decode_cursor(after, sort=sort) if after else None
    cursor_before = decode_cursor(before, sort=sort) if before and cursor_after is None else None

    def token(row: Resident) -> str:
        return encode_cursor(sort, getattr(row, order.field), row.pk)

    if cursor_before is not None:
        backwards = order.reversed()
        fetched = list(
            qs.filter(backwards.after(*cursor_before)).order_by(*backwards.order_by())[: size + 1]
        )
        more_before = len(fetched) > size
        rows = list(reversed(fetched[:size]))
        if not rows:
            # Nothing before the cursor any more (rows removed): show the first page instead.
            return keyset_page(qs, sort=sort, size=size)
        return KeysetPage(
            rows=rows,
            next_cursor=token(rows[-1]),
            previous_cursor=token(rows[0]) if more_before else None,
        )
    if cursor_after is not None:
        qs = qs.filter(order.after(*cursor_after))
    fetched = list(qs.order_by(*order.order_by())[: size + 1])
    rows = fetched[:size]
    return KeysetPage(
        rows=rows,
        next_cursor=token(rows[-1]) if len(fetched) > size else None,
        previous_cursor=token(rows[0]) if cursor_after is not None and rows else None,
    )


def ordered(qs: QuerySet[Resident], *, sort: str) -> QuerySet[Resident]:
    return qs.order_by(*sort_order(sort).order_by())
