"""Per-service permissions (الصلاحيات). The main user holds every permission; a sub-user holds the
ones granted. Each URL namespace of the portal needs one permission — a namespace missing from the
table is refused to everyone but the main user, so a new page is closed until someone opens it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Permission(models.TextChoices):
    VIEW_RESIDENTS = "view_residents", _("View residents")
    IQAMA_RENEWAL = "iqama_renewal", _("Renew Iqama")
    IQAMA_ISSUANCE = "iqama_issuance", _("Issue iqama")
    EXIT_REENTRY = "exit_reentry", _("Exit and re-entry visa")
    FINAL_EXIT = "final_exit", _("Final exit")
    PROFESSION_CHANGE = "profession_change", _("Profession change")
    SERVICE_TRANSFER = "service_transfer", _("Transfer of services")
    PASSPORT_UPDATE = "passport_update", _("Passport information update")
    WASEL = "wasel", _("Wasel delivery")
    BULK = "bulk", _("Bulk transactions")
    REPORTS = "reports", _("Reports")
    USER_MANAGEMENT = "user_management", _("Users management")
    PAYMENTS = "payments", _("Balance top-up (SADAD bills)")


READ_ONLY = (Permission.VIEW_RESIDENTS, Permission.REPORTS)

NAMESPACE_PERMISSIONS: dict[str, Permission] = {
    "residents": Permission.VIEW_RESIDENTS,
    "iqama_renewal": Permission.IQAMA_RENEWAL,
    "iqama_issuance": Permission.IQAMA_ISSUANCE,
    "exit_reentry": Permission.EXIT_REENTRY,
    "final_exit": Permission.FINAL_EXIT,
    "profession_change": Permission.PROFESSION_CHANGE,
    "service_transfer": Permission.SERVICE_TRANSFER,
    "passport_update": Permission.PASSPORT_UPDATE,
    "delivery": Permission.WASEL,
    "users": Permission.USER_MANAGEMENT,
    "api_keys": Permission.USER_MANAGEMENT,
    "reports": Permission.REPORTS,
    "alerts": Permission.VIEW_RESIDENTS,
    "bulk": Permission.BULK,
    "webhooks": Permission.USER_MANAGEMENT,
    "payments": Permission.PAYMENTS,
    # Filing an exception request is part of using the services: anyone who sees residents may.
    "exception_requests": Permission.VIEW_RESIDENTS,
}


def permission_for_namespace(namespace: str) -> Permission | None:
    return NAMESPACE_PERMISSIONS.get(namespace.split(":", maxsplit=1)[0]) if namespace else None
