"""Authority staff roles (الأدوار) in the staff console.

Every staff member reads the whole console; what they may change depends on the role:

- auditor (مدقق): reads everything, changes nothing;
- operator (موظف تشغيل): day-to-day changes — agency data, border crossings, Wasel statuses,
  resident data corrections, bills and their confirmations;
- supervisor (مشرف): everything an operator does, plus the decisions — schedule changes,
  suspending and reactivating establishments, exception requests, refunds and corrections.

A superuser counts as a supervisor. Views check with `staff_required(capability)`, services check
again with `staff_check(actor, capability)` so a change can never bypass the role.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from muqeem.core.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from muqeem.accounts.models import User


class StaffRole(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AUDITOR = "auditor", _("Auditor")


class StaffCapability(StrEnum):
    READ = "read"
    OPERATE = "operate"
    SUPERVISE = "supervise"


ROLE_CAPABILITIES: dict[str, frozenset[StaffCapability]] = {
    StaffRole.AUDITOR: frozenset({StaffCapability.READ}),
    StaffRole.OPERATOR: frozenset({StaffCapability.READ, StaffCapability.OPERATE}),
    StaffRole.SUPERVISOR: frozenset(StaffCapability),
}


def is_staff_member(user: Any) -> bool:
    """Authority staff: a staff account with no establishment."""
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and getattr(user, "establishment_id", None) is None
    )


def staff_role(user: Any) -> str | None:
    if not is_staff_member(user):
        return None
    if getattr(user, "is_superuser", False):
        return StaffRole.SUPERVISOR
    return getattr(user, "staff_role", "") or None


def staff_can(user: Any, capability: StaffCapability) -> bool:
    role = staff_role(user)
    return role is not None and capability in ROLE_CAPABILITIES.get(role, frozenset())


def staff_check(actor: User | None, capability: StaffCapability) -> None:
    """Services' own check: refuse a change the actor's role does not allow."""
    if not staff_can(actor, capability):
        raise DomainError(ErrorCode.STAFF_ROLE_NOT_ALLOWED)
