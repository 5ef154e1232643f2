"""Exception requests: filed by an establishment's officer, decided by a supervisor, and used once by
the service they waive (inside that service's own transaction, see `exception_waiver_claim`).

Lock order, as everywhere: the establishment row first, then the exception request, then fines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, TYPE_CHECKING

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.accounts.staff import StaffCapability, staff_check
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import format_gregorian, today
from muqeem.core.errors import DomainError, ErrorCode, Violation
from muqeem.core.i18n import in_both_languages
from muqeem.establishments.models import Establishment
from muqeem.fees.models import FeeCode, Penalty, PenaltyStatus
from muqeem.fees.selectors import schedule_at
from muqeem.notifications.services import sms_send
from muqeem.residents.selectors import access_resident_by_iqama_number, parse_iqama_number

from .attachments import MAX_ATTACHMENTS, CheckedFile, attachment_check
from .models import (
    OPEN_STATUSES,
    ExceptionAttachment,
    ExceptionRequest,
    ExceptionStatus,
)
from .waivers import covers, waivable_codes, waiver_for

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.residents.models import Resident
    from muqeem.workflow.models import ServiceRequest

MAX_REASON_LENGTH = 2000


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the service needs it (a view passes Django's UploadedFile parts)."""

    name: str
    size: int
    stream: IO[bytes]


def _reason(text: str | None) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise DomainError(ErrorCode.REASON_REQUIRED)
    return cleaned[:MAX_REASON_LENGTH]


def _lock_establishment(pk: int) -> Establishment:
    """The establishment, read without a lock: its row is locked only by a balance debit, the last
    statement of a use case (ADR 0004); the rows these services change are locked instead."""
    return Establishment.objects.get(pk=pk)


def _expire_stale(*, establishment: Establishment, resident: Resident, service_type: str) -> None:
    """Record as expired the approvals of this resident and service whose validity has passed."""
    ExceptionRequest.objects.filter(
        establishment=establishment,
        resident=resident,
        service_type=service_type,
        status=ExceptionStatus.APPROVED,
        valid_until__lt=today(),
    ).update(status=ExceptionStatus.EXPIRED)


def exception_requests_expire_run(*, on: date) -> int:
    """The daily job: approvals whose validity ended before `on` are recorded as expired (they
    already count as expired everywhere; this makes lists and filters say so too). Idempotent."""
    with transaction.atomic():
        return ExceptionRequest.objects.filter(
            status=ExceptionStatus.APPROVED, valid_until__lt=on
        ).update(status=ExceptionStatus.EXPIRED)


# --- Officer: file and withdraw ---------------------------------------------------------------


def exception_request_file(
    *,
    actor: User,
    iqama_number: str,
    codes: Sequence[str],
    reason: str,
    uploads: Sequence[Upload] = (),
) -> ExceptionRequest:
    """File a request to waive `codes` (refusals of one service) for one resident, e.g. a third
    late renewal whose traffic fines are under objection. Only the refusals in `waivers.WAIVERS`
    can be waived; one open request per resident and service; up to three PDF/JPEG/PNG files."""
    unique = list(dict.fromkeys(str(c) for c in codes))
    waivers = [w for c in unique if (w := waiver_for(c)) is not None]
    if not unique or len(waivers) != len(unique):
        raise DomainError(ErrorCode.EXCEPTION_NOT_WAIVABLE)
    waiver = waivers[0]
    if any(w.service_type != waiver.service_type for w in waivers):
        raise DomainError(
            ErrorCode.VALIDATION_FAILED,
            fields={"code": [str(_("Choose refusals of one service only."))]},
        )
    text = _reason(reason)
    if len(uploads) > MAX_ATTACHMENTS:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED,
            fields={"attachments": [str(ErrorCode.ATTACHMENT_INVALID)]},
        )
    checked: list[tuple[CheckedFile, Upload]] = [
        (attachment_check(name=u.name, size=u.size, stream=u.stream), u) for u in uploads
    ]
    number = parse_iqama_number(iqama_number)
    if actor.establishment_id is None:
        raise DomainError(ErrorCode.RESIDENT_NOT_FOUND)
    with transaction.atomic(durable=True):
        establishment = _lock_establishment(actor.establishment_id)
        # The resident's row serialises "one open request per resident and service".
        resident = access_resident_by_iqama_number(
            actor=actor, iqama_number=number, for_update=True
        )
        _expire_stale(
            establishment=establishment, resident=resident, service_type=waiver.service_type
        )
        open_request = ExceptionRequest.objects.filter(
            establishment=establishment,
            resident=resident,
            service_type=waiver.service_type,
            status__in=OPEN_STATUSES,
        ).first()
        if open_request is not None:
            raise DomainError(
                ErrorCode.EXCEPTION_REQUEST_ALREADY_OPEN, {"number": open_request.number}
            )
        now = timezone.now()
        try:
            with transaction.atomic():
                exception = ExceptionRequest.objects.create(
                    establishment=establishment,
                    resident=resident,
                    service_type=waiver.service_type,
                    codes=[str(w.code) for w in waivers],
                    reason=text,
                    filed_by=actor,
                    filed_at=now,
                )
        except IntegrityError:
            raise DomainError(ErrorCode.EXCEPTION_REQUEST_ALREADY_OPEN, {"number": "—"}) from None
        for info, upload in checked:
            attachment = ExceptionAttachment(
                exception_request=exception,
                original_name=info.name,
                content_type=info.content_type,
                size=info.size,
                uploaded_at=now,
            )
            upload.stream.seek(0)
            attachment.file.save(info.name, File(upload.stream), save=False)
            attachment.save()
        audit_record(
            event_type=AuditEventType.EXCEPTION_REQUEST_FILED,
            actor=actor,
            establishment=establishment,
            resident=resident,
            extra={
                "exception_request": exception.number,
                "service": waiver.service_type,
                "codes": exception.codes,
                "attachments": len(checked),
            },
        )
    return exception


def exception_request_withdraw(*, actor: User, number: str) -> ExceptionRequest:
    """The filing establishment takes back a request still under review."""
    from .selectors import access_exception_request_by_number

    if actor.establishment_id is None:
        raise DomainError(ErrorCode.EXCEPTION_REQUEST_NOT_FOUND)
    with transaction.atomic(durable=True):
        establishment = _lock_establishment(actor.establishment_id)
        exception = access_exception_request_by_number(actor=actor, number=number, for_update=True)
        _require_pending(exception)
        exception.status = ExceptionStatus.WITHDRAWN
        exception.withdrawn_at = timezone.now()
        exception.save(update_fields=["status", "withdrawn_at"])
        audit_record(
            event_type=AuditEventType.EXCEPTION_REQUEST_WITHDRAWN,
            actor=actor,
            establishment=establishment,
            resident=exception.resident,
            extra={"exception_request": exception.number},
        )
    return exception


def _require_pending(exception: ExceptionRequest) -> None:
    if exception.status != ExceptionStatus.PENDING:
        raise DomainError(
            ErrorCode.EXCEPTION_REQUEST_NOT_PENDING,
            {"status": ExceptionStatus(exception.status).label},
        )


# --- Staff: approve and reject ----------------------------------------------------------------


def _staff_lock(number: str) -> tuple[Establishment, ExceptionRequest]:
    pk = ExceptionRequest.pk_from_number(number)
    if pk is None:
        raise DomainError(ErrorCode.EXCEPTION_REQUEST_NOT_FOUND)
    establishment_id = (
        ExceptionRequest.objects.filter(pk=pk).values_list("establishment_id", flat=True).first()
    )
    if establishment_id is None:
        raise DomainError(ErrorCode.EXCEPTION_REQUEST_NOT_FOUND)
    establishment = _lock_establishment(establishment_id)
    exception = (
        ExceptionRequest.objects.select_for_update(of=("self",))
        .select_related("resident")
        .get(pk=pk)
    )
    return establishment, exception


def exception_request_approve(*, actor: User, number: str, reason: str = "") -> ExceptionRequest:
    """A supervisor approves: valid for `exceptions.approval_valid_days`. A fine waiver is applied
    now (the resident's unpaid visa fines are waived, with no ledger charge) and is then used up."""
    staff_check(actor, StaffCapability.SUPERVISE)
    with transaction.atomic(durable=True):
        establishment, exception = _staff_lock(number)
        _require_pending(exception)
        now = timezone.now()
        on = today()
        exception.status = ExceptionStatus.APPROVED
        exception.decided_by = actor
        exception.decided_at = now
        exception.decision_reason = (reason or "").strip()[:MAX_REASON_LENGTH]
        exception.valid_until = on + timedelta(
            days=schedule_at(on).int("exceptions.approval_valid_days")
        )
        fields = ["status", "decided_by", "decided_at", "decision_reason", "valid_until"]
        fine_waiver = any(
            (w := waiver_for(c)) is not None and w.on_approval for c in exception.codes
        )
        if fine_waiver:
            exception.waived_penalties = _waive_visa_fines(
                actor=actor, exception=exception, resident=exception.resident
            )
            exception.status = ExceptionStatus.USED
            exception.used_at = now
            fields += ["waived_penalties", "used_at"]
        exception.save(update_fields=fields)
        audit_record(
            event_type=AuditEventType.EXCEPTION_REQUEST_APPROVED,
            actor=actor,
            establishment=establishment,
            resident=exception.resident,
            extra={
                "exception_request": exception.number,
                "codes": exception.codes,
                "valid_until": exception.valid_until.isoformat(),
                "waived_penalties": [p["penalty"] for p in exception.waived_penalties],
            },
        )
        _notify(establishment=establishment, exception=exception)
    return exception


def _waive_visa_fines(
    *, actor: User, exception: ExceptionRequest, resident: Resident
) -> list[dict[str, int]]:
    from muqeem.fees.services import penalty_waive

    waived = []
    unpaid = (
        Penalty.objects.select_for_update()
        .filter(resident=resident, status=PenaltyStatus.UNPAID, fee_code=FeeCode.UNUSED_VISA_FINE)
        .order_by("pk")
    )
    for penalty in unpaid:
        penalty_waive(
            actor=actor, penalty=penalty, reference=f"exception-request:{exception.number}"
        )
        waived.append({"penalty": penalty.pk, "amount_halalas": penalty.amount_halalas})
    return waived


def exception_request_reject(*, actor: User, number: str, reason: str) -> ExceptionRequest:
    staff_check(actor, StaffCapability.SUPERVISE)
    text = _reason(reason)
    with transaction.atomic(durable=True):
        establishment, exception = _staff_lock(number)
        _require_pending(exception)
        exception.status = ExceptionStatus.REJECTED
        exception.decided_by = actor
        exception.decided_at = timezone.now()
        exception.decision_reason = text
        exception.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            event_type=AuditEventType.EXCEPTION_REQUEST_REJECTED,
            actor=actor,
            establishment=establishment,
            resident=exception.resident,
            extra={"exception_request": exception.number, "codes": exception.codes},
        )
        _notify(establishment=establishment, exception=exception)
    return exception


def _notify(*, establishment: Establishment, exception: ExceptionRequest) -> None:
    if not establishment.registered_mobile:
        return
    sms_send(to=establishment.registered_mobile, body=_decision_sms(exception))


def _decision_sms(exception: ExceptionRequest) -> str:
    def render() -> str:
        if exception.status == ExceptionStatus.REJECTED:
            return _("Exception request {number} for iqama {iqama} was rejected: {reason}").format(
                number=exception.number,
                iqama=exception.resident.iqama_number,
                reason=exception.decision_reason,
            )
        if exception.waived_penalties or exception.status == ExceptionStatus.USED:
            return _(
                "Exception request {number} for iqama {iqama} was approved; the fines are waived."
            ).format(number=exception.number, iqama=exception.resident.iqama_number)
        return _(
            "Exception request {number} for iqama {iqama} was approved; use it by {date}."
        ).format(
            number=exception.number,
            iqama=exception.resident.iqama_number,
            date=format_gregorian(exception.valid_until) if exception.valid_until else "",
        )

    return in_both_languages(render)


# --- Using an approval (inside the waived service's transaction) -----------------------------


def _usable(
    *, establishment_id: int, resident_id: int, service_type: str, for_update: bool
) -> list[ExceptionRequest]:
    qs = ExceptionRequest.objects.filter(
        establishment_id=establishment_id,
        resident_id=resident_id,
        service_type=service_type,
        status=ExceptionStatus.APPROVED,
        valid_until__gte=today(),
    ).order_by("pk")
    if for_update:
        qs = qs.select_for_update()
    return list(qs)


def _refused_codes(service_type: str, violations: Sequence[Violation]) -> set[str] | None:
    """The refusals' codes when every one could be waived for this service, else None."""
    codes = {str(v.code) for v in violations}
    if not codes or not codes <= waivable_codes(service_type):
        return None
    return codes


def exception_waiver_claim(
    *,
    establishment: Establishment,
    resident: Resident | None,
    service_type: str,
    violations: Sequence[Violation],
) -> ExceptionRequest | None:
    """The approved, unexpired, unused exception that covers every one of `violations`, locked so
    no concurrent transaction can use it too; None when there is none (the service refuses)."""
    if resident is None:
        return None
    codes = _refused_codes(service_type, violations)
    if codes is None:
        return None
    for exception in _usable(
        establishment_id=establishment.pk,
        resident_id=resident.pk,
        service_type=service_type,
        for_update=True,
    ):
        if covers(exception.codes, codes):
            return exception
    return None


def exception_request_use(
    *, actor: User | None, exception: ExceptionRequest, request: ServiceRequest
) -> None:
    """Mark a claimed exception used by `request` (the caller holds its lock)."""
    exception.status = ExceptionStatus.USED
    exception.used_at = timezone.now()
    exception.used_by_request = request
    exception.save(update_fields=["status", "used_at", "used_by_request"])
    audit_record(
        event_type=AuditEventType.EXCEPTION_REQUEST_USED,
        actor=actor,
        establishment=request.establishment,
        resident=request.resident,
        service_request=request,
        extra={"exception_request": exception.number, "codes": exception.codes},
    )


def exception_waivers_filter(
    *,
    establishment_id: int | None,
    resident: Resident | None,
    service_type: str,
    violations: list[Violation],
) -> list[Violation]:
    """For a dry run: no refusals left when an approved exception covers them all (the transaction
    itself claims it under a lock); otherwise the refusals unchanged."""
    if resident is None or establishment_id is None:
        return violations
    codes = _refused_codes(service_type, violations)
    if codes is None:
        return violations
    for exception in _usable(
        establishment_id=establishment_id,
        resident_id=resident.pk,
        service_type=service_type,
        for_update=False,
    ):
        if covers(exception.codes, codes):
            return []
    return violations
