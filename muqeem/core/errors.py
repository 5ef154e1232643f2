"""Error codes, their bilingual messages, and the exceptions services raise.

Clients branch on `code`, never on text. Each code has one message (and, for blockers, a hint saying
where to fix it) written in English with named placeholders and translated to Arabic in `locale/`.
`docs/error-codes.md` is generated from this module and a test keeps the two in sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from muqeem.core.dates import format_dual
from muqeem.core.money import Money

ParamValue = str | int | date | Money | Promise


class ErrorCode(StrEnum):
    # Generic
    VALIDATION_FAILED = "VALIDATION_FAILED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    ELIGIBILITY_FAILED = "ELIGIBILITY_FAILED"
    TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE"
    RATE_LIMITED = "RATE_LIMITED"
    QUOTE_CHANGED = "QUOTE_CHANGED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # Identifiers
    IQAMA_NUMBER_INVALID = "IQAMA_NUMBER_INVALID"
    RESIDENT_NOT_FOUND = "RESIDENT_NOT_FOUND"
    # For the authority and partner agencies, who are not anyone's sponsor.
    RESIDENT_UNKNOWN = "RESIDENT_UNKNOWN"
    # Security code
    SECURITY_CODE_REQUIRED = "SECURITY_CODE_REQUIRED"
    SECURITY_CODE_INVALID = "SECURITY_CODE_INVALID"
    SECURITY_CODE_EXPIRED = "SECURITY_CODE_EXPIRED"
    SECURITY_CODE_ATTEMPTS_EXCEEDED = "SECURITY_CODE_ATTEMPTS_EXCEEDED"
    SECURITY_CODE_RESEND_LIMIT = "SECURITY_CODE_RESEND_LIMIT"
    NO_REGISTERED_MOBILE = "NO_REGISTERED_MOBILE"
    STAFF_NO_MOBILE = "STAFF_NO_MOBILE"
    # Eligibility blockers shared by services
    RESIDENT_STATUS_BLOCKS_SERVICE = "RESIDENT_STATUS_BLOCKS_SERVICE"
    PASSPORT_EXPIRED = "PASSPORT_EXPIRED"
    INSURANCE_INACTIVE = "INSURANCE_INACTIVE"
    UNPAID_TRAFFIC_FINES = "UNPAID_TRAFFIC_FINES"
    ABSENT_FROM_WORK_REPORTED = "ABSENT_FROM_WORK_REPORTED"
    FINGERPRINT_NOT_REGISTERED = "FINGERPRINT_NOT_REGISTERED"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    # Iqama renewal
    RENEWAL_PERIOD_NOT_ALLOWED = "RENEWAL_PERIOD_NOT_ALLOWED"
    IQAMA_BEYOND_RENEWAL_HORIZON = "IQAMA_BEYOND_RENEWAL_HORIZON"
    LATE_RENEWAL_LIMIT_REACHED = "LATE_RENEWAL_LIMIT_REACHED"
    # Travel: exit/re-entry visas, final exit, border crossings
    RESIDENT_OUTSIDE_KINGDOM = "RESIDENT_OUTSIDE_KINGDOM"
    PASSPORT_VALIDITY_TOO_SHORT = "PASSPORT_VALIDITY_TOO_SHORT"
    IQAMA_EXPIRED = "IQAMA_EXPIRED"
    IQAMA_DOES_NOT_COVER_VISA = "IQAMA_DOES_NOT_COVER_VISA"
    VISA_DURATION_INVALID = "VISA_DURATION_INVALID"
    VISA_ALREADY_VALID = "VISA_ALREADY_VALID"
    UNPAID_VISA_FINE = "UNPAID_VISA_FINE"
    VISA_NOT_FOUND = "VISA_NOT_FOUND"
    VISA_NOT_OUTSIDE = "VISA_NOT_OUTSIDE"
    VISA_EXTENSION_WINDOW_PASSED = "VISA_EXTENSION_WINDOW_PASSED"
    VISA_NOT_CANCELLABLE = "VISA_NOT_CANCELLABLE"
    VISA_CANCEL_WINDOW_PASSED = "VISA_CANCEL_WINDOW_PASSED"
    FINE_NOT_PAYABLE = "FINE_NOT_PAYABLE"
    VEHICLE_REGISTERED = "VEHICLE_REGISTERED"
    FINAL_EXIT_NOT_FOUND = "FINAL_EXIT_NOT_FOUND"
    FINAL_EXIT_NOT_CANCELLABLE = "FINAL_EXIT_NOT_CANCELLABLE"
    FINAL_EXIT_CANCEL_WINDOW_PASSED = "FINAL_EXIT_CANCEL_WINDOW_PASSED"
    NOT_ON_BORDER_NUMBER = "NOT_ON_BORDER_NUMBER"
    PROBATION_PERIOD_OVER = "PROBATION_PERIOD_OVER"
    BORDER_NUMBER_INVALID = "BORDER_NUMBER_INVALID"
    NO_VALID_EXIT_DOCUMENT = "NO_VALID_EXIT_DOCUMENT"
    NO_VALID_REENTRY_VISA = "NO_VALID_REENTRY_VISA"
    RESIDENT_ALREADY_INSIDE = "RESIDENT_ALREADY_INSIDE"
    CREDENTIAL_INVALID = "CREDENTIAL_INVALID"
    # Iqama issuance
    IQAMA_ALREADY_ISSUED = "IQAMA_ALREADY_ISSUED"
    MEDICAL_EXAM_NOT_PASSED = "MEDICAL_EXAM_NOT_PASSED"
    # Profession change
    PROFESSION_NOT_FOUND = "PROFESSION_NOT_FOUND"
    PROFESSION_UNCHANGED = "PROFESSION_UNCHANGED"
    TRANSFER_PENDING = "TRANSFER_PENDING"
    # Transfer of services
    SPONSOR_MISMATCH = "SPONSOR_MISMATCH"
    TRANSFER_TO_SAME_ESTABLISHMENT = "TRANSFER_TO_SAME_ESTABLISHMENT"
    TRANSFER_NOT_FOUND = "TRANSFER_NOT_FOUND"
    TRANSFER_NOT_PENDING = "TRANSFER_NOT_PENDING"
    WORKER_CONSENT_REQUIRED = "WORKER_CONSENT_REQUIRED"
    REASON_REQUIRED = "REASON_REQUIRED"
    # Passport update
    PASSPORT_NUMBER_UNCHANGED = "PASSPORT_NUMBER_UNCHANGED"
    PASSPORT_DATES_INVALID = "PASSPORT_DATES_INVALID"
    PASSPORT_NUMBER_INVALID = "PASSPORT_NUMBER_INVALID"
    # Wasel delivery
    NATIONAL_ADDRESS_INVALID = "NATIONAL_ADDRESS_INVALID"
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND"
    DELIVERY_STATUS_NOT_ALLOWED = "DELIVERY_STATUS_NOT_ALLOWED"
    DELIVERY_ALREADY_OPEN = "DELIVERY_ALREADY_OPEN"
    # Bulk transactions (files and rows, before any service is asked)
    BULK_FILE_TOO_LARGE = "BULK_FILE_TOO_LARGE"
    BULK_FILE_TYPE_NOT_ALLOWED = "BULK_FILE_TYPE_NOT_ALLOWED"
    BULK_FILE_UNREADABLE = "BULK_FILE_UNREADABLE"
    BULK_FILE_ENCODING = "BULK_FILE_ENCODING"
    BULK_FILE_EMPTY = "BULK_FILE_EMPTY"
    BULK_TOO_MANY_ROWS = "BULK_TOO_MANY_ROWS"
    BULK_COLUMNS_INVALID = "BULK_COLUMNS_INVALID"
    BULK_OPERATION_UNKNOWN = "BULK_OPERATION_UNKNOWN"
    BULK_DUPLICATE_ROW = "BULK_DUPLICATE_ROW"
    BULK_NOT_CONFIRMABLE = "BULK_NOT_CONFIRMABLE"
    # Staff console and establishment suspension
    STAFF_ROLE_NOT_ALLOWED = "STAFF_ROLE_NOT_ALLOWED"
    ESTABLISHMENT_SUSPENDED = "ESTABLISHMENT_SUSPENDED"
    ESTABLISHMENT_NOT_SUSPENDED = "ESTABLISHMENT_NOT_SUSPENDED"
    SCHEDULE_KEY_UNKNOWN = "SCHEDULE_KEY_UNKNOWN"
    SCHEDULE_VALUE_INVALID = "SCHEDULE_VALUE_INVALID"
    SCHEDULE_DATE_NOT_FUTURE = "SCHEDULE_DATE_NOT_FUTURE"
    SCHEDULE_DATE_TAKEN = "SCHEDULE_DATE_TAKEN"
    CORRECTION_NOTHING_CHANGED = "CORRECTION_NOTHING_CHANGED"
    # Agency data (codes: AGENCY_…)
    AGENCY_IMPORT_INVALID = "AGENCY_IMPORT_INVALID"
    TRAFFIC_FINE_NOT_FOUND = "TRAFFIC_FINE_NOT_FOUND"
    TRAFFIC_FINE_ALREADY_PAID = "TRAFFIC_FINE_ALREADY_PAID"
    # Exception requests (codes: EXCEPTION_…)
    EXCEPTION_NOT_WAIVABLE = "EXCEPTION_NOT_WAIVABLE"
    EXCEPTION_REQUEST_NOT_FOUND = "EXCEPTION_REQUEST_NOT_FOUND"
    EXCEPTION_REQUEST_NOT_PENDING = "EXCEPTION_REQUEST_NOT_PENDING"
    EXCEPTION_REQUEST_ALREADY_OPEN = "EXCEPTION_REQUEST_ALREADY_OPEN"
    ATTACHMENT_INVALID = "ATTACHMENT_INVALID"
    # SADAD bills and bank confirmations (codes: BILL_…)
    BILL_AMOUNT_INVALID = "BILL_AMOUNT_INVALID"
    BILL_NOT_FOUND = "BILL_NOT_FOUND"
    BILL_AMOUNT_MISMATCH = "BILL_AMOUNT_MISMATCH"
    BILL_NOT_PAYABLE = "BILL_NOT_PAYABLE"
    BILL_PAYMENT_CONFLICT = "BILL_PAYMENT_CONFLICT"
    REVERSAL_NOT_ALLOWED = "REVERSAL_NOT_ALLOWED"
    BILL_NOT_CANCELLABLE = "BILL_NOT_CANCELLABLE"


@dataclass(frozen=True)
class Message:
    text: Promise
    hint: Promise | None = None
    http_status: int = 400


# Translators: every message may show to an officer in the portal or to an HR system via the API.
CATALOGUE: Mapping[ErrorCode, Message] = {
    ErrorCode.VALIDATION_FAILED: Message(_("Some fields are not valid.")),
    ErrorCode.NOT_FOUND: Message(_("Not found."), http_status=404),
    ErrorCode.PERMISSION_DENIED: Message(
        _("You do not have permission for this action."), http_status=403
    ),
    ErrorCode.ELIGIBILITY_FAILED: Message(
        _("The transaction cannot be completed; see the reasons below."), http_status=422
    ),
    ErrorCode.TRANSITION_NOT_ALLOWED: Message(
        _("This request cannot be {action} while it is {status}."), http_status=409
    ),
    ErrorCode.IDEMPOTENCY_CONFLICT: Message(
        _("This idempotency key was already used with different data."), http_status=409
    ),
    ErrorCode.IDEMPOTENCY_KEY_IN_USE: Message(
        _("A request with this idempotency key is still being processed. Try again shortly."),
        http_status=409,
    ),
    ErrorCode.RATE_LIMITED: Message(
        _("Too many requests with this API key. Try again in {seconds} seconds."), http_status=429
    ),
    ErrorCode.QUOTE_CHANGED: Message(
        _("The data or the fees changed since you verified them. Verify the data again."),
        http_status=409,
    ),
    ErrorCode.INTERNAL_ERROR: Message(
        _("Something went wrong on our side. Nothing was changed; try again."), http_status=500
    ),
    ErrorCode.IQAMA_NUMBER_INVALID: Message(
        _("The iqama number must be 10 digits, start with 2 and end with a valid check digit.")
    ),
    ErrorCode.RESIDENT_NOT_FOUND: Message(
        _("No resident with this iqama number is sponsored by your establishment."),
        hint=_("Check the number on the iqama card."),
        http_status=404,
    ),
    ErrorCode.RESIDENT_UNKNOWN: Message(
        _("No resident has this iqama number."),
        hint=_("Check the number on the iqama card."),
        http_status=404,
    ),
    ErrorCode.SECURITY_CODE_REQUIRED: Message(
        _("Enter the security code sent to the establishment's registered mobile."), http_status=403
    ),
    ErrorCode.SECURITY_CODE_INVALID: Message(
        _("The security code is not correct. {remaining} attempts left.")
    ),
    ErrorCode.SECURITY_CODE_EXPIRED: Message(
        _("The security code has expired or was already used. Request a new code.")
    ),
    ErrorCode.SECURITY_CODE_ATTEMPTS_EXCEEDED: Message(
        _("Too many wrong attempts. Request a new code."), http_status=429
    ),
    ErrorCode.SECURITY_CODE_RESEND_LIMIT: Message(
        _("The code was resent too many times. Try again after {minutes} minutes."),
        http_status=429,
    ),
    ErrorCode.NO_REGISTERED_MOBILE: Message(
        _("The establishment has no registered mobile number to receive the security code."),
        hint=_("Ask the passports directorate to register the establishment's mobile number."),
    ),
    ErrorCode.STAFF_NO_MOBILE: Message(
        _("Your account has no mobile number to receive the security code."),
        hint=_("Ask an administrator of the authority to record your mobile number."),
    ),
    ErrorCode.RESIDENT_STATUS_BLOCKS_SERVICE: Message(
        _("The resident's status ({status}) does not allow this service."),
        hint=_("Only residents in an active status can be served."),
    ),
    ErrorCode.PASSPORT_EXPIRED: Message(
        _("The passport expired on {expiry}."),
        hint=_(
            "Renew the passport at the resident's embassy, then update the passport information."
        ),
    ),
    ErrorCode.INSURANCE_INACTIVE: Message(
        _("The resident has no active medical insurance."),
        hint=_(
            "Buy or renew medical insurance with a licensed insurer; it is linked automatically."
        ),
    ),
    ErrorCode.UNPAID_TRAFFIC_FINES: Message(
        _("The resident has unpaid traffic violations of {amount}."),
        hint=_(
            "Pay the traffic violations through SADAD; the block lifts once payment is recorded."
        ),
    ),
    ErrorCode.ABSENT_FROM_WORK_REPORTED: Message(
        _("An absent-from-work report is registered for the resident."),
        hint=_("Cancel the report, if it was filed in error, at the labour office."),
    ),
    ErrorCode.FINGERPRINT_NOT_REGISTERED: Message(
        _("The resident's fingerprint is not registered."),
        hint=_("The resident must register fingerprints at a passports office."),
    ),
    ErrorCode.INSUFFICIENT_BALANCE: Message(
        _("The balance ({balance}) does not cover the fees ({total})."),
        hint=_("Top up the government payments balance with a SADAD bill, then try again."),
    ),
    ErrorCode.RENEWAL_PERIOD_NOT_ALLOWED: Message(
        _("The iqama duration must be one of: {allowed} months.")
    ),
    ErrorCode.IQAMA_BEYOND_RENEWAL_HORIZON: Message(
        _("The new expiry ({new_expiry}) would be more than {months} months from today."),
        hint=_("Choose a shorter duration or renew closer to the expiry date."),
    ),
    ErrorCode.LATE_RENEWAL_LIMIT_REACHED: Message(
        _("The iqama was renewed late {count} times before; it cannot be renewed late online."),
        hint=_("File an exception request with the passports directorate."),
    ),
    ErrorCode.RESIDENT_OUTSIDE_KINGDOM: Message(
        _("The resident is outside the kingdom."),
        hint=_("This service needs the resident inside the kingdom."),
    ),
    ErrorCode.PASSPORT_VALIDITY_TOO_SHORT: Message(
        _("The passport must be valid for at least {days} more days; it expires on {expiry}."),
        hint=_("Renew the passport, then update the passport information."),
    ),
    ErrorCode.IQAMA_EXPIRED: Message(
        _("The iqama expired on {expiry}."),
        hint=_("Renew the iqama (3 months are enough) and try again."),
    ),
    ErrorCode.IQAMA_DOES_NOT_COVER_VISA: Message(
        _("The iqama expires on {iqama_expiry}, before the return date {return_date}."),
        hint=_("Renew the iqama first, or choose a shorter duration."),
    ),
    ErrorCode.VISA_DURATION_INVALID: Message(
        _(
            "The visa duration must be from 1 day up to {months} months, and a return date must be in the future."
        )
    ),
    ErrorCode.VISA_ALREADY_VALID: Message(
        _("The resident already holds a valid exit and re-entry visa ({number})."),
        hint=_("Cancel the unused visa, or wait until it is used and returned or has expired."),
    ),
    ErrorCode.UNPAID_VISA_FINE: Message(
        _("An earlier visa expired unused and its fine of {amount} is unpaid."),
        hint=_("Pay the fine from the visa's page, then issue the new visa."),
    ),
    ErrorCode.VISA_NOT_FOUND: Message(
        _("No exit and re-entry visa with this number belongs to your establishment."),
        http_status=404,
    ),
    ErrorCode.VISA_NOT_OUTSIDE: Message(
        _("A visa can be extended only while the resident is outside the kingdom on it."),
    ),
    ErrorCode.VISA_EXTENSION_WINDOW_PASSED: Message(
        _("The visa could be extended until {deadline}; that time has passed."),
        hint=_("File an exception request with the passports directorate."),
    ),
    ErrorCode.VISA_NOT_CANCELLABLE: Message(
        _("Only an unused visa can be cancelled; this visa is {status}."),
    ),
    ErrorCode.VISA_CANCEL_WINDOW_PASSED: Message(
        _("The visa could be cancelled until {deadline}; that time has passed."),
    ),
    ErrorCode.FINE_NOT_PAYABLE: Message(_("This fine is already paid or waived."), http_status=409),
    ErrorCode.VEHICLE_REGISTERED: Message(
        _("{count} vehicle(s) are registered in the resident's name."),
        hint=_(
            "Transfer the vehicles' ownership or cancel their registration at the traffic department."
        ),
    ),
    ErrorCode.FINAL_EXIT_NOT_FOUND: Message(
        _("No final exit visa with this number belongs to your establishment."), http_status=404
    ),
    ErrorCode.FINAL_EXIT_NOT_CANCELLABLE: Message(
        _("This final exit visa is {status} and cannot be cancelled.")
    ),
    ErrorCode.FINAL_EXIT_CANCEL_WINDOW_PASSED: Message(
        _(
            "The final exit could be cancelled free until {deadline}; it can be cancelled for a fee once it expires."
        )
    ),
    ErrorCode.NOT_ON_BORDER_NUMBER: Message(
        _(
            "A final exit during probation is only for a worker who has no iqama yet (still on a border number)."
        )
    ),
    ErrorCode.PROBATION_PERIOD_OVER: Message(
        _("The probation period ended on {deadline} ({days} days after arrival)."),
        hint=_("Issue the iqama, then a regular final exit."),
    ),
    ErrorCode.BORDER_NUMBER_INVALID: Message(
        _("The border number must be 10 digits starting with 3 or 4.")
    ),
    ErrorCode.NO_VALID_EXIT_DOCUMENT: Message(
        _("The resident holds no valid exit and re-entry visa or final exit visa for departure."),
        http_status=409,
    ),
    ErrorCode.NO_VALID_REENTRY_VISA: Message(
        _("The resident holds no valid visa to re-enter the kingdom."), http_status=409
    ),
    ErrorCode.RESIDENT_ALREADY_INSIDE: Message(
        _("The resident is already inside the kingdom."), http_status=409
    ),
    ErrorCode.CREDENTIAL_INVALID: Message(
        _("The credential is missing, invalid or revoked."), http_status=401
    ),
    ErrorCode.IQAMA_ALREADY_ISSUED: Message(
        _("An iqama was already issued for this border number."),
        hint=_("Use the iqama number for the resident's services."),
    ),
    ErrorCode.MEDICAL_EXAM_NOT_PASSED: Message(
        _("The resident has not passed the medical examination."),
        hint=_("The resident must pass the medical examination at an approved medical centre."),
    ),
    ErrorCode.PROFESSION_NOT_FOUND: Message(_("The profession is not in the profession list.")),
    ErrorCode.PROFESSION_UNCHANGED: Message(
        _("The new profession is the same as the current one.")
    ),
    ErrorCode.TRANSFER_PENDING: Message(
        _("A transfer of services request for the resident is pending."),
        hint=_("Wait for the answer to the transfer request, or withdraw it."),
    ),
    ErrorCode.SPONSOR_MISMATCH: Message(
        _("The resident is not sponsored by the establishment number given."),
        hint=_("Check the current sponsor's establishment number with the worker."),
    ),
    ErrorCode.TRANSFER_TO_SAME_ESTABLISHMENT: Message(
        _("The resident is already sponsored by your establishment.")
    ),
    ErrorCode.TRANSFER_NOT_FOUND: Message(
        _("No such transfer of services request."), http_status=404
    ),
    ErrorCode.TRANSFER_NOT_PENDING: Message(
        _("The transfer request was already answered or has expired."), http_status=409
    ),
    ErrorCode.WORKER_CONSENT_REQUIRED: Message(
        _("The worker has not yet consented to the transfer."),
        hint=_("The worker must enter the code sent to the worker's mobile."),
    ),
    ErrorCode.REASON_REQUIRED: Message(_("Enter the reason.")),
    ErrorCode.PASSPORT_NUMBER_UNCHANGED: Message(
        _("The new passport number is the same as the current one.")
    ),
    ErrorCode.PASSPORT_DATES_INVALID: Message(
        _(
            "The passport's issue date must be before its expiry date, and the expiry date in the future."
        )
    ),
    ErrorCode.PASSPORT_NUMBER_INVALID: Message(
        _("The passport number must be 5 to 20 Latin letters and digits.")
    ),
    ErrorCode.NATIONAL_ADDRESS_INVALID: Message(
        _(
            "The national address is incomplete: a 4-digit building number, street, district, city, "
            "a 5-digit postal code and a 4-digit additional number are needed."
        ),
        hint=_("Update the establishment's national address."),
    ),
    ErrorCode.DELIVERY_NOT_FOUND: Message(_("No such delivery order."), http_status=404),
    ErrorCode.DELIVERY_STATUS_NOT_ALLOWED: Message(
        _("A delivery cannot move from {current} to {requested}."), http_status=409
    ),
    ErrorCode.DELIVERY_ALREADY_OPEN: Message(
        _("A delivery order for this resident's card is already in progress ({tracking})."),
        http_status=409,
    ),
    ErrorCode.BULK_FILE_TOO_LARGE: Message(
        _("The file is larger than {max_mb} MB."),
        hint=_("Split the rows into several files."),
        http_status=413,
    ),
    ErrorCode.BULK_FILE_TYPE_NOT_ALLOWED: Message(
        _("Only Excel (.xlsx) and CSV (.csv) files are accepted."),
        hint=_("Download the template, fill it in and upload it as .xlsx or .csv."),
    ),
    ErrorCode.BULK_FILE_UNREADABLE: Message(
        _("The file could not be read as a {file_format} spreadsheet."),
        hint=_("Download the template, fill it in and upload it as .xlsx or .csv."),
    ),
    ErrorCode.BULK_FILE_ENCODING: Message(
        _("The CSV file is not encoded in UTF-8."),
        hint=_('In Excel, use "Save as" and choose "CSV UTF-8 (Comma delimited)".'),
    ),
    ErrorCode.BULK_FILE_EMPTY: Message(
        _("The file has no rows to process."),
        hint=_("Write one transaction per row under the header row of the template."),
    ),
    ErrorCode.BULK_TOO_MANY_ROWS: Message(
        _("The file has more than {max_rows} rows."),
        hint=_("Split the rows into several files."),
    ),
    ErrorCode.BULK_COLUMNS_INVALID: Message(
        _("The columns of the file do not match the template: {problems}."),
        hint=_("Keep the header row of the template as it is."),
    ),
    ErrorCode.BULK_OPERATION_UNKNOWN: Message(
        _("Unknown operation “{value}”; use one of: {allowed}.")
    ),
    ErrorCode.BULK_DUPLICATE_ROW: Message(
        _("The same operation for {subject} is already in row {row}."),
        hint=_("Delete the repeated row."),
    ),
    ErrorCode.BULK_NOT_CONFIRMABLE: Message(
        _("This batch cannot be run now: it is {status}."), http_status=409
    ),
    # --- Staff console and establishment suspension ---
    ErrorCode.STAFF_ROLE_NOT_ALLOWED: Message(
        _("Your staff role does not allow this change."),
        hint=_("Ask a supervisor to make it."),
        http_status=403,
    ),
    ErrorCode.ESTABLISHMENT_SUSPENDED: Message(
        _("The establishment's e-services are suspended by the passports directorate: {reason}"),
        hint=_(
            "You can still view residents and reports. Contact the passports directorate to lift "
            "the suspension."
        ),
        http_status=403,
    ),
    ErrorCode.ESTABLISHMENT_NOT_SUSPENDED: Message(
        _("The establishment is not suspended."), http_status=409
    ),
    ErrorCode.SCHEDULE_KEY_UNKNOWN: Message(_("There is no schedule item {key}."), http_status=404),
    ErrorCode.SCHEDULE_VALUE_INVALID: Message(_("The value is not valid for {label}: {problem}")),
    ErrorCode.SCHEDULE_DATE_NOT_FUTURE: Message(
        _("A change can only be scheduled from tomorrow ({earliest}) on; past values are history.")
    ),
    ErrorCode.SCHEDULE_DATE_TAKEN: Message(
        _("A change of {label} is already scheduled for {date}."), http_status=409
    ),
    ErrorCode.CORRECTION_NOTHING_CHANGED: Message(
        _("The corrected data is the same as the current data; nothing was changed.")
    ),
    # --- Agency data ---
    ErrorCode.AGENCY_IMPORT_INVALID: Message(
        _("The file has {count} row(s) with errors; nothing was imported."),
        hint=_("Fix the rows listed below and upload the file again."),
    ),
    ErrorCode.TRAFFIC_FINE_NOT_FOUND: Message(
        _("No traffic fine with this number exists."), http_status=404
    ),
    ErrorCode.TRAFFIC_FINE_ALREADY_PAID: Message(
        _("This traffic fine is already paid."), http_status=409
    ),
    # --- Exception requests ---
    ErrorCode.EXCEPTION_NOT_WAIVABLE: Message(
        _("Only the passports directorate's own rules can be waived by an exception request.")
    ),
    ErrorCode.EXCEPTION_REQUEST_NOT_FOUND: Message(
        _("No exception request with this number exists."), http_status=404
    ),
    ErrorCode.EXCEPTION_REQUEST_NOT_PENDING: Message(
        _("This exception request is {status}; it can no longer be changed."), http_status=409
    ),
    ErrorCode.EXCEPTION_REQUEST_ALREADY_OPEN: Message(
        _("An exception request for this resident and service is already open (no. {number})."),
        hint=_("Follow that request under Exception requests."),
        http_status=409,
    ),
    ErrorCode.ATTACHMENT_INVALID: Message(
        _("Attachments must be PDF, JPEG or PNG files of at most {size_mb} MB each.")
    ),
    # --- SADAD bills and bank confirmations ---
    ErrorCode.BILL_AMOUNT_INVALID: Message(
        _("The amount must be between {minimum} and {maximum}.")
    ),
    ErrorCode.BILL_NOT_FOUND: Message(_("No bill with this number exists."), http_status=404),
    ErrorCode.BILL_AMOUNT_MISMATCH: Message(
        _("The amount paid ({paid}) does not match the bill's amount ({amount})."),
        http_status=409,
    ),
    ErrorCode.BILL_NOT_PAYABLE: Message(
        _("This bill is {status} and cannot be paid."), http_status=409
    ),
    ErrorCode.BILL_PAYMENT_CONFLICT: Message(
        _("This bill was already paid under another payment reference."), http_status=409
    ),
    ErrorCode.REVERSAL_NOT_ALLOWED: Message(
        _("This entry cannot be reversed: {reason}"), http_status=409
    ),
    ErrorCode.BILL_NOT_CANCELLABLE: Message(
        _("This bill is {status}; only an unpaid bill can be cancelled."), http_status=409
    ),
}


def _format_param(value: ParamValue) -> str:
    if isinstance(value, date):
        return format_dual(value)
    return str(value)


def render(code: ErrorCode, params: Mapping[str, ParamValue] | None = None) -> str:
    """The message for `code` in the active language."""
    template = str(CATALOGUE[code].text)
    return template.format(**{k: _format_param(v) for k, v in (params or {}).items()})


def render_hint(code: ErrorCode) -> str | None:
    hint = CATALOGUE[code].hint
    return str(hint) if hint is not None else None


def render_bilingual(
    code: ErrorCode, params: Mapping[str, ParamValue] | None = None
) -> dict[str, str]:
    """The message in Arabic and English, whatever the active language."""
    out = {}
    for lang in ("ar", "en"):
        with translation.override(lang):
            out[lang] = render(code, params)
    return out


def http_status_for(code: ErrorCode) -> int:
    return CATALOGUE[code].http_status


@dataclass(frozen=True)
class Violation:
    """One failing condition: a stable code plus the values its message needs."""

    code: ErrorCode
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return render(self.code, self.params)

    @property
    def messages(self) -> dict[str, str]:
        return render_bilingual(self.code, self.params)

    @property
    def hint(self) -> str | None:
        return render_hint(self.code)

    @property
    def hints(self) -> dict[str, str] | None:
        return _bilingual_hint(self.code)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "message": self.message,
            "messages": self.messages,
            "hint": self.hints,
            "params": {k: _json_param(v) for k, v in self.params.items()},
        }


def _bilingual_hint(code: ErrorCode) -> dict[str, str] | None:
    if CATALOGUE[code].hint is None:
        return None
    out = {}
    for lang in ("ar", "en"):
        with translation.override(lang):
            out[lang] = render_hint(code) or ""
    return out


def _json_param(value: ParamValue) -> str | int:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Money):
        return value.halalas
    if isinstance(value, Promise):
        return str(value)
    return value


class DomainError(Exception):
    """A refusal a user can act on. Raised by services; rendered by views and the API alike."""

    default_code: ErrorCode = ErrorCode.VALIDATION_FAILED

    def __init__(
        self,
        code: ErrorCode | None = None,
        params: Mapping[str, ParamValue] | None = None,
        *,
        violations: Sequence[Violation] = (),
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.params = dict(params or {})
        self.violations = tuple(violations)
        self.fields = dict(fields or {})
        super().__init__(str(self.code))

    @property
    def http_status(self) -> int:
        return http_status_for(self.code)

    @property
    def message(self) -> str:
        return render(self.code, self.params)

    @property
    def messages(self) -> dict[str, str]:
        return render_bilingual(self.code, self.params)

    @property
    def hints(self) -> dict[str, str] | None:
        return _bilingual_hint(self.code)

    def as_dict(self, *, request_id: str = "") -> dict[str, Any]:
        return {
            "code": str(self.code),
            "message": self.message,
            "messages": self.messages,
            "violations": [v.as_dict() for v in self.violations],
            "fields": {k: list(v) for k, v in self.fields.items()},
            "request_id": request_id,
        }


class NotFoundError(DomainError):
    default_code = ErrorCode.NOT_FOUND


class EligibilityError(DomainError):
    default_code = ErrorCode.ELIGIBILITY_FAILED

    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__(ErrorCode.ELIGIBILITY_FAILED, violations=violations)


class TransitionNotAllowed(DomainError):
    default_code = ErrorCode.TRANSITION_NOT_ALLOWED


class QuoteChanged(DomainError):
    default_code = ErrorCode.QUOTE_CHANGED
