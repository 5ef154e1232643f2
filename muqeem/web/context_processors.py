from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from muqeem.accounts.permissions import Permission, permission_for_namespace
from muqeem.accounts.staff import StaffRole, staff_role
from muqeem.web.services_menu import ESERVICES_MENU


def portal(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    establishment = getattr(user, "establishment", None) if authenticated else None
    menu = [e for e in ESERVICES_MENU if establishment is not None and _allowed(user, e.url_name)]
    can_manage_users = establishment is not None and (
        user.is_main_user or user.has_service_permission(Permission.USER_MANAGEMENT)
    )
    can_view_residents = establishment is not None and user.has_service_permission(
        Permission.VIEW_RESIDENTS
    )
    can_view_reports = establishment is not None and user.has_service_permission(Permission.REPORTS)
    can_pay = establishment is not None and user.has_service_permission(Permission.PAYMENTS)
    role = staff_role(user) if authenticated else None
    return {
        "current_staff_role": role,
        "current_staff_role_label": StaffRole(role).label if role else "",
        "can_view_residents": can_view_residents,
        "can_view_reports": can_view_reports,
        "can_pay": can_pay,
        "eservices_menu": menu,
        "current_establishment": establishment,
        "can_manage_users": can_manage_users,
    }


def _allowed(user: Any, url_name: str) -> bool:
    """The menu shows only the services the user may open."""
    if user.is_main_user:
        return True
    permission = permission_for_namespace(url_name)
    return permission is not None and user.has_service_permission(permission)
