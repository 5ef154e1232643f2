from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()

BADGES = {
    "requested": "secondary",
    "printed": "info",
    "shipped": "primary",
    "delivered": "success",
    "returned_to_sender": "danger",
}


@register.filter
def local_day(value: datetime | None) -> date | None:
    """The calendar day of a moment in the kingdom's time zone (for `dual_date`)."""
    if value is None:
        return None
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


@register.filter
def status_badge(status: str) -> str:
    """The Bootstrap colour of a delivery status."""
    return BADGES.get(status, "secondary")
