"""The iCalendar (.ics) feed of an establishment's upcoming expiries, for calendar apps to subscribe to.

It carries the least that makes an entry useful: what expires, the resident's name and iqama (or
border) number, and the day, as an all-day event."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration
from icalendar.enums import TRANSP

from muqeem.alerts.models import AlertKind
from muqeem.alerts.selectors import FeedEntry

PRODID = "-//Muqeem//Expiry alerts//EN"
UID_DOMAIN = "alerts.muqeem"
REFRESH = timedelta(hours=12)


def _summary(entry: FeedEntry) -> str:
    arabic = (get_language() or "ar").startswith("ar")
    name = entry.name_ar if arabic else entry.name_en
    number = entry.iqama_number or entry.border_number
    if entry.kind == AlertKind.IQAMA_EXPIRY:
        what = _("Iqama expires")
    elif entry.kind == AlertKind.PASSPORT_EXPIRY:
        what = _("Passport expires")
    else:
        what = _("Last day to travel on exit and re-entry visa {number}").format(
            number=entry.visa_number
        )
    return f"{what}: {name} ({number})"


def build_calendar(
    *, establishment_id: int, entries: Iterable[FeedEntry], calendar_name: str
) -> bytes:
    cal = Calendar.new(
        prodid=PRODID,
        # The same calendar from one fetch to the next.
        uid=uuid.uuid5(uuid.NAMESPACE_URL, f"https://{UID_DOMAIN}/feed/{establishment_id}"),
        name=calendar_name,
        refresh_interval=REFRESH,
        calscale="GREGORIAN",
    )
    # RFC 7986 requires the VALUE parameter on REFRESH-INTERVAL.
    cal["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    # Outlook's spelling of REFRESH-INTERVAL.
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    for entry in entries:
        on: date = entry.on
        cal.add_component(
            Event.new(
                # Stable across fetches and across a renewal (the date moves, the event stays one).
                uid=f"{entry.uid_key}@{UID_DOMAIN}",
                summary=_summary(entry),
                start=on,
                end=on + timedelta(days=1),
                stamp=entry.changed_at,
                last_modified=entry.changed_at,
                sequence=entry.version,
                transparency=TRANSP.TRANSPARENT,
                categories=[str(AlertKind(entry.kind).label)],
            )
        )
    return cal.to_ical()
