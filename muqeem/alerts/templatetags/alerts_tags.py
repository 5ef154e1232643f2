from __future__ import annotations

from typing import Any

from django import template

from muqeem.accounts.permissions import Permission
from muqeem.alerts.selectors import unread_count_for

register = template.Library()


@register.inclusion_tag("alerts/_bell.html", takes_context=True)
def alerts_bell(context: template.Context) -> dict[str, Any]:
    """The navigation bar's bell with the number of unread notifications, for officers who may open
    the alerts (one COUNT query)."""
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or getattr(user, "establishment_id", None) is None
        or not user.has_service_permission(Permission.VIEW_RESIDENTS)
    ):
        return {"show_bell": False}
    return {"show_bell": True, "unread_alerts": unread_count_for(user.establishment_id)}
