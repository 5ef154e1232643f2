"""Template helpers: the "request an exception" link next to a waivable refusal, status badges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from muqeem.core.dates import today
from muqeem.exception_requests.models import ExceptionRequest, ExceptionStatus
from muqeem.exception_requests.waivers import waiver_for

register = template.Library()

BADGES = {
    ExceptionStatus.PENDING: "warning",
    ExceptionStatus.APPROVED: "success",
    ExceptionStatus.REJECTED: "danger",
    ExceptionStatus.WITHDRAWN: "secondary",
    ExceptionStatus.USED: "primary",
    ExceptionStatus.EXPIRED: "secondary",
}


def _resident_in(context: template.Context) -> Any:
    """The resident the refused transaction was for, from the page that shows the refusal."""
    paths = (
        ("check", "resident"),
        ("check", "visa", "resident"),
        ("check", "final_exit", "resident"),
        ("visa", "resident"),
        ("final_exit", "resident"),
        ("resident",),
    )
    for key, *attrs in paths:
        obj: Any = context.get(key)
        for attr in attrs:
            obj = getattr(obj, attr, None)
        if obj is not None and getattr(obj, "iqama_number", None):
            return obj
    return None


@register.simple_tag(takes_context=True)
def exception_request_url(context: template.Context, violation: Any) -> str:
    """The filing form prefilled for this refusal, or "" when it cannot be waived (or the reader is
    not an establishment's officer)."""
    user = context.get("user")
    if getattr(user, "establishment_id", None) is None:
        return ""
    code = getattr(violation, "code", None)
    waiver = waiver_for(str(code)) if code is not None else None
    if waiver is None:
        return ""
    # With the other refusals of the same transaction that the same service can waive.
    codes = [str(code)]
    for other in context.get("violations") or ():
        other_waiver = waiver_for(str(getattr(other, "code", "")))
        if other_waiver is not None and other_waiver.service_type == waiver.service_type:
            codes.append(str(other_waiver.code))
    params: list[tuple[str, str]] = [("code", c) for c in dict.fromkeys(codes)]
    resident = _resident_in(context)
    if resident is not None:
        params.append(("iqama", resident.iqama_number))
    return reverse("exception_requests:file") + "?" + urlencode(params)


@register.filter
def exception_status(exception: ExceptionRequest) -> str:
    return exception.effective_status(today())


@register.filter
def exception_status_label(exception: ExceptionRequest) -> str:
    return str(ExceptionStatus(exception.effective_status(today())).label)


@register.filter
def exception_badge(exception: ExceptionRequest) -> str:
    return BADGES.get(ExceptionStatus(exception.effective_status(today())), "secondary")


@register.filter
def kingdom_day(value: datetime | None) -> date | None:
    """The calendar day of a moment in the kingdom's time zone (for `dual_date`)."""
    if value is None:
        return None
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()
