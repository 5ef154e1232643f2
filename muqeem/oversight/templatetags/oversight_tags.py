from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from muqeem.reports.templatetags.report_tags import number
from muqeem.web.templatetags.portal import dual_date, money_html

register = template.Library()


@register.filter
def event_time(value: datetime | None) -> str:
    """The kingdom's local day (Gregorian and Hijri) and time of an audit event."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return format_html(
        '{} <bdi dir="ltr" class="text-muted">{}</bdi>',
        SafeString(dual_date(local.date())),
        local.strftime("%H:%M:%S"),
    )


@register.filter
def cell(value: Any, kind: str) -> Any:
    """A statistics table's cell by its column kind (see `oversight.tables.Column`)."""
    if kind == "date" and not isinstance(value, str):
        return dual_date(value)
    if kind == "count" and isinstance(value, int):
        return number(value)
    if kind == "money" and isinstance(value, int):
        return money_html(value)
    if kind == "code" and value:
        return format_html('<bdi dir="ltr"><code>{}</code></bdi>', value)
    return value


@register.filter
def json_text(value: Any) -> str:
    """A value of an event's details as compact JSON (text stays as typed)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@register.filter
def index(sequence: Any, position: int) -> Any:
    return sequence[position]


@register.filter
def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
