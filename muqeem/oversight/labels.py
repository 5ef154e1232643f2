"""Readable, bilingual names for the audit log's event types and for the eligibility rules a check
can report, for the staff console (the stored values stay the stable numbers and codes)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from muqeem.audit.models import AuditEventType
from muqeem.core.errors import CATALOGUE, ErrorCode

E = AuditEventType

EVENT_LABELS: dict[AuditEventType, Promise] = {
    E.LOGIN: _("Logged in"),
    E.LOGIN_FAILED: _("Failed login"),
    E.LOGOUT: _("Logged out"),
    E.SECURITY_CODE_SENT: _("Security code sent"),
    E.SECURITY_CODE_VERIFIED: _("Security code verified"),
    E.SECURITY_CODE_FAILED: _("Wrong security code"),
    E.USER_CREATED: _("User created"),
    E.USER_UPDATED: _("User updated"),
    E.ALERT_SETTINGS_CHANGED: _("Alert settings changed"),
    E.ALERT_FEED_LINK_REPLACED: _("Calendar feed link replaced"),
    E.API_KEY_CREATED: _("API key created"),
    E.API_KEY_REVOKED: _("API key revoked"),
    E.ACCESS_DENIED: _("Access refused"),
    E.ESTABLISHMENT_SUSPENDED: _("Establishment suspended"),
    E.ESTABLISHMENT_REACTIVATED: _("Establishment reactivated"),
    E.ESTABLISHMENT_VIEWED: _("Establishment viewed"),
    E.RESIDENT_VIEWED: _("Resident file viewed"),
    E.RESIDENT_SEARCHED: _("Residents searched or exported"),
    E.RESIDENT_ELIGIBILITY_CHECKED: _("Eligibility checked"),
    E.IQAMA_RENEWED: _("Iqama renewed"),
    E.VISA_ISSUED: _("Exit and re-entry visa issued"),
    E.VISA_EXTENDED: _("Exit and re-entry visa extended"),
    E.VISA_CANCELLED: _("Exit and re-entry visa cancelled"),
    E.VISA_USED: _("Exit and re-entry visa used"),
    E.VISA_RETURNED: _("Returned on an exit and re-entry visa"),
    E.VISA_EXPIRED: _("Exit and re-entry visa expired"),
    E.RESIDENT_NOT_RETURNED: _("Exited and did not return"),
    E.FINAL_EXIT_ISSUED: _("Final exit visa issued"),
    E.FINAL_EXIT_CANCELLED: _("Final exit visa cancelled"),
    E.FINAL_EXIT_DEPARTED: _("Departed on final exit"),
    E.FINAL_EXIT_EXPIRED: _("Final exit visa expired"),
    E.BORDER_CROSSING_RECORDED: _("Border crossing recorded"),
    E.IQAMA_ISSUED: _("Iqama issued"),
    E.PROFESSION_CHANGED: _("Profession changed"),
    E.PASSPORT_UPDATED: _("Passport information updated"),
    E.TRANSFER_REQUESTED: _("Transfer of services requested"),
    E.TRANSFER_APPROVED: _("Transfer of services approved"),
    E.TRANSFER_REJECTED: _("Transfer of services rejected"),
    E.TRANSFER_EXPIRED: _("Transfer of services request expired"),
    E.TRANSFER_CONSENTED: _("Resident consented to the transfer"),
    E.TRANSFER_COMPLETED: _("Transfer of services completed"),
    E.DELIVERY_ORDERED: _("Wasel delivery ordered"),
    E.DELIVERY_STATUS_CHANGED: _("Wasel delivery status changed"),
    E.RESIDENT_DATA_CORRECTED: _("Resident data corrected"),
    E.AGENCY_RECORD_CHANGED: _("Agency record changed"),
    E.AGENCY_IMPORT_RUN: _("Agency data imported"),
    E.TRAFFIC_FINE_ISSUED: _("Traffic violation recorded"),
    E.TRAFFIC_FINE_PAID: _("Traffic violation paid"),
    E.REQUEST_CREATED: _("Request created"),
    E.REQUEST_TRANSITIONED: _("Request status changed"),
    E.EXCEPTION_REQUEST_FILED: _("Exception request filed"),
    E.EXCEPTION_REQUEST_APPROVED: _("Exception request approved"),
    E.EXCEPTION_REQUEST_REJECTED: _("Exception request rejected"),
    E.EXCEPTION_REQUEST_USED: _("Exception request used"),
    E.EXCEPTION_REQUEST_WITHDRAWN: _("Exception request withdrawn"),
    E.LEDGER_POSTED: _("Ledger entry posted"),
    E.PENALTY_RECORDED: _("Fine recorded"),
    E.PENALTY_PAID: _("Fine paid"),
    E.PENALTY_WAIVED: _("Fine waived"),
    E.SCHEDULE_CHANGE_SCHEDULED: _("Fee or rule change scheduled"),
    E.BILL_CREATED: _("SADAD bill created"),
    E.BILL_PAID: _("SADAD bill paid"),
    E.BILL_CONFIRMATION_REFUSED: _("Bank confirmation refused"),
    E.BILL_CANCELLED: _("SADAD bill cancelled"),
    E.LEDGER_REVERSED: _("Ledger entry reversed"),
    E.DOCUMENT_PRINTED: _("Document printed"),
    E.DOCUMENT_VERIFIED: _("Document verified"),
    E.REPORT_EXPORTED: _("Report exported"),
    E.AUDIT_EXPORTED: _("Audit log exported"),
    E.STATISTICS_VIEWED: _("Statistics viewed"),
}


def event_label(value: int) -> str:
    """The readable name of an event type number (its code name if it has no label yet)."""
    try:
        event_type = AuditEventType(value)
    except ValueError:
        return str(value)
    label = EVENT_LABELS.get(event_type)
    return str(label) if label is not None else event_type.name


def event_type_choices() -> list[tuple[int, str]]:
    """(number, label) in the active language, by label."""
    return sorted(((int(e), event_label(e)) for e in AuditEventType), key=lambda c: c[1])


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"


def rule_label(code: str) -> str:
    """The message of an eligibility rule's code with its values left out ("…"), or the code
    itself if the catalogue has no such code (a code retired since the check)."""
    try:
        message = CATALOGUE[ErrorCode(code)]
    except (ValueError, KeyError):
        return code
    return str(message.text).format_map(_Blank())
