"""Request statuses, actions and the per-service transition tables.

Each e-service registers the table it uses (a subset of the moves below); `service_request_transition`
is the only code that changes a request's status, and it consults the table of the request's service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceType(models.TextChoices):
    IQAMA_RENEWAL = "iqama_renewal", _("Renew Iqama")
    EXIT_REENTRY_ISSUE = "exit_reentry_issue", _("Issue exit and re-entry visa")
    EXIT_REENTRY_EXTEND = "exit_reentry_extend", _("Extend exit and re-entry visa")
    EXIT_REENTRY_CANCEL = "exit_reentry_cancel", _("Cancel exit and re-entry visa")
    FINAL_EXIT_ISSUE = "final_exit_issue", _("Issue final exit visa")
    FINAL_EXIT_CANCEL = "final_exit_cancel", _("Cancel final exit visa")
    FINE_PAYMENT = "fine_payment", _("Pay a fine")
    IQAMA_ISSUANCE = "iqama_issuance", _("Issue iqama")
    PROFESSION_CHANGE = "profession_change", _("Profession change")
    SERVICE_TRANSFER = "service_transfer", _("Transfer of services")
    PASSPORT_UPDATE = "passport_update", _("Passport information update")
    CARD_DELIVERY = "card_delivery", _("Wasel delivery")


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class RequestAction(models.TextChoices):
    SUBMIT = "submit", _("submitted")
    APPROVE = "approve", _("approved")
    REJECT = "reject", _("rejected")
    COMPLETE = "complete", _("completed")
    CANCEL = "cancel", _("cancelled")
    EXPIRE = "expire", _("expired")


Table = Mapping[tuple[str, str], str]

# The status a request is created in, per service.
INITIAL_STATUS: Final = RequestStatus.SUBMITTED

_TABLES: dict[str, Table] = {}


# Most e-services complete in the transaction that submits them.
INSTANT: Final[Table] = {(RequestStatus.SUBMITTED, RequestAction.COMPLETE): RequestStatus.COMPLETED}


def register_transitions(service_type: str, table: Table) -> None:
    _TABLES[service_type] = dict(table)


def transitions_for(service_type: str) -> Table:
    return _TABLES[service_type]


def next_status(service_type: str, status: str, action: str) -> str | None:
    return _TABLES.get(service_type, {}).get((status, action))


def available_actions(service_type: str, status: str) -> list[str]:
    return [action for (src, action) in _TABLES.get(service_type, {}) if src == status]
