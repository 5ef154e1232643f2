"""Transfer of services: the new sponsor requests, the current sponsor approves or rejects, the worker
consents when the schedule says so, unanswered requests expire. On approval the new sponsor pays and
the resident moves; the old sponsor keeps its history but loses access to the resident."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.codes import digest_matches, keyed_digest, random_digits
from muqeem.core.dates import format_gregorian, today
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, Violation
from muqeem.core.i18n import in_both_languages
from muqeem.core.ids import normalize_digits
from muqeem.establishments.models import Establishment
from muqeem.fees.quotes import Quote
from muqeem.fees.schedule import Schedule
from muqeem.fees.selectors import schedule_at
from muqeem.fees.services import establishment_balance_debit, ledger_post_charge
from muqeem.notifications.services import sms_send
from muqeem.residents.models import Resident, ResidentHistoryEntry, ResidentHistoryKind
from muqeem.residents.selectors import parse_iqama_number
from muqeem.webhooks.services import webhook_event_emit
from muqeem.workflow.evaluation import resident_facts
from muqeem.workflow.machine import RequestAction, RequestStatus, ServiceType
from muqeem.workflow.models import ServiceRequest
from muqeem.workflow.rules import evaluate
from muqeem.workflow.services import (
    establishment_refuse_if_suspended,
    payload_fingerprint,
    service_request_open,
    service_request_start,
    service_request_transition,
)

from .fees import transfer_quote
from .models import TransferRequest
from .rules import TransferSnapshot, approval_rules, request_rules

if TYPE_CHECKING:
    from muqeem.accounts.models import User

CONSENT_CODE_LENGTH = 6
CONSENT_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class TransferCheck:
    resident: Resident
    quote: Quote
    violations: list[Violation]

    @property
    def eligible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class TransferResult:
    transfer: TransferRequest
    replayed: bool


def pending_transfer_exists(*, resident: Resident) -> bool:
    return TransferRequest.objects.filter(
        resident=resident, request__status=RequestStatus.SUBMITTED
    ).exists()


def _find_resident(*, iqama_number: str, sponsor_moi: str, for_update: bool = False) -> Resident:
    """The resident, if and only if the iqama number and the current sponsor's number match: a
    prospective sponsor learns nothing about residents whose sponsor it cannot name."""
    number = parse_iqama_number(iqama_number)
    moi = normalize_digits(sponsor_moi or "")
    qs = Resident.objects.select_related("establishment", "nationality", "profession")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    resident = qs.filter(iqama_number=number, establishment__moi_number=moi).first()
    if resident is None:
        raise DomainError(ErrorCode.SPONSOR_MISMATCH)
    return resident


def _assess(
    *,
    resident: Resident,
    new_sponsor: Establishment,
    on: date,
    schedule: Schedule,
    approving: TransferRequest | None = None,
) -> TransferCheck:
    quote = transfer_quote(schedule, prior_transfers=resident.transfer_count)
    snapshot = TransferSnapshot(
        facts=resident_facts(resident=resident, establishment=new_sponsor, today=on),
        same_establishment=resident.establishment_id == new_sponsor.pk,
        pending_transfer=approving is None and pending_transfer_exists(resident=resident),
        total_halalas=quote.total_halalas,
        consent_required=approving.consent_required if approving else False,
        consented=bool(approving and approving.worker_consented_at),
    )
    rules = approval_rules() if approving is not None else request_rules()
    return TransferCheck(resident=resident, quote=quote, violations=evaluate(rules, snapshot))


def transfer_request_check(*, actor: User, iqama_number: str, sponsor_moi: str) -> TransferCheck:
    resident = _find_resident(iqama_number=iqama_number, sponsor_moi=sponsor_moi)
    new_sponsor = actor.establishment
    if new_sponsor is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    on = today()
    check = _assess(resident=resident, new_sponsor=new_sponsor, on=on, schedule=schedule_at(on))
    audit_record(
        event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED,
        actor=actor,
        resident=resident,
        extra={
            "service": ServiceType.SERVICE_TRANSFER,
            "violations": [str(v.code) for v in check.violations],
        },
    )
    return check


def _notify(establishment: Establishment, render: Callable[[], str]) -> None:
    if establishment.registered_mobile:
        sms_send(to=establishment.registered_mobile, body=in_both_languages(render))


def transfer_request_create(
    *,
    actor: User,
    iqama_number: str,
    sponsor_moi: str,
    idempotency_key: str,
    expected_total_halalas: int | None = None,
) -> TransferResult:
    number = parse_iqama_number(iqama_number)
    moi = normalize_digits(sponsor_moi or "")
    payload_hash = payload_fingerprint(
        {"service": ServiceType.SERVICE_TRANSFER, "iqama": number, "moi": moi}
    )
    with transaction.atomic(durable=True):
        new_sponsor, replay = service_request_open(
            actor=actor, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return TransferResult(transfer=replay.transfer, replayed=True)
        resident = _find_resident(iqama_number=number, sponsor_moi=moi, for_update=True)
        on = today()
        schedule = schedule_at(on)
        check = _assess(resident=resident, new_sponsor=new_sponsor, on=on, schedule=schedule)
        request = service_request_start(
            actor=actor,
            service_type=ServiceType.SERVICE_TRANSFER,
            establishment=new_sponsor,
            resident=resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            violations=check.violations,
            quote=check.quote,
            expected_total_halalas=expected_total_halalas,
        )
        consent_required = bool(schedule["transfer.worker_consent_required"])
        transfer = TransferRequest.objects.create(
            request=request,
            resident=resident,
            from_establishment=resident.establishment,
            to_establishment=new_sponsor,
            expires_on=on + timedelta(days=schedule.int("transfer.expiry_days")),
            consent_required=consent_required,
        )
        if consent_required:
            _send_consent_code(transfer)
        audit_record(
            event_type=AuditEventType.TRANSFER_REQUESTED,
            actor=actor,
            establishment=new_sponsor,
            resident=resident,
            service_request=request,
            extra={"transfer": transfer.pk, "from": resident.establishment_id},
        )
        for est_id in (transfer.from_establishment_id, transfer.to_establishment_id):
            webhook_event_emit(
                establishment_id=est_id,
                event_type="transfer.requested",
                data={
                    "request_number": request.number,
                    "iqama_number": resident.iqama_number,
                    "from_establishment": transfer.from_establishment.moi_number,
                    "to_establishment": transfer.to_establishment.moi_number,
                    "expires_on": transfer.expires_on,
                },
            )
        _notify(
            resident.establishment,
            lambda: _(
                "Transfer of services request {number} for iqama {iqama}: answer it in Muqeem before {date}."
            ).format(
                number=request.number,
                iqama=resident.iqama_number,
                date=format_gregorian(transfer.expires_on),
            ),
        )
    return TransferResult(transfer=transfer, replayed=False)


def _send_consent_code(transfer: TransferRequest) -> None:
    code = random_digits(CONSENT_CODE_LENGTH)
    transfer.consent_code_hash = keyed_digest(f"consent:{transfer.pk}:{code}")
    transfer.consent_attempts = 0
    transfer.save(update_fields=["consent_code_hash", "consent_attempts"])
    if transfer.resident.mobile:
        body = in_both_languages(
            lambda: _("Your consent code for the transfer of your services: {code}").format(
                code=code
            )
        )
        sms_send(to=transfer.resident.mobile, body=body, secret=code)


# --- Reads --------------------------------------------------------------------------------------


def _transfers() -> QuerySet[TransferRequest]:
    return TransferRequest.objects.select_related(
        "request", "resident", "resident__nationality", "from_establishment", "to_establishment"
    )


def access_transfer(*, actor: User, number: str, for_update: bool = False) -> TransferRequest:
    """A transfer the actor's establishment is a party to (either side); anything else is not found."""
    pk = ServiceRequest.pk_from_number(number)
    est = actor.establishment_id
    qs = _transfers()
    if for_update:
        qs = qs.select_for_update(of=("self",))
    transfer = (
        qs.filter(Q(from_establishment_id=est) | Q(to_establishment_id=est), request_id=pk).first()
        if pk is not None and est is not None
        else None
    )
    if transfer is None:
        raise DomainError(ErrorCode.TRANSFER_NOT_FOUND)
    return transfer


def transfers_inbox(*, actor: User) -> list[TransferRequest]:
    """Requests for the actor's residents waiting for its answer (الطلبات الواردة)."""
    return list(
        _transfers()
        .filter(
            from_establishment_id=actor.establishment_id, request__status=RequestStatus.SUBMITTED
        )
        .order_by("expires_on", "pk")
    )


def transfers_for_establishment(*, actor: User, incoming: bool) -> list[TransferRequest]:
    field = "from_establishment_id" if incoming else "to_establishment_id"
    return list(_transfers().filter(**{field: actor.establishment_id}).order_by("-pk")[:200])


# --- Answers ------------------------------------------------------------------------------------


def _parties(transfer: TransferRequest) -> tuple[Establishment, Establishment]:
    """Both establishments, refused when either is suspended. Not locked: the new sponsor's row is
    locked by the fee's debit, the last statement (ADR 0004), which also refuses a suspension
    committed meanwhile."""
    found = {
        e.pk: e
        for e in Establishment.objects.filter(
            pk__in=[transfer.from_establishment_id, transfer.to_establishment_id]
        )
    }
    for establishment in found.values():
        establishment_refuse_if_suspended(establishment)
    return found[transfer.from_establishment_id], found[transfer.to_establishment_id]


def transfer_approve(*, actor: User, number: str) -> TransferResult:
    """The current sponsor approves: the new sponsor is charged and the resident moves, at once."""
    with transaction.atomic(durable=True):
        transfer = access_transfer(actor=actor, number=number)
        if transfer.from_establishment_id != actor.establishment_id:
            raise DomainError(ErrorCode.TRANSFER_NOT_FOUND)
        request = ServiceRequest.objects.select_for_update().get(pk=transfer.request_id)
        transfer = _transfers().select_for_update(of=("self",)).get(pk=transfer.pk)
        if request.status == RequestStatus.COMPLETED:
            return TransferResult(transfer=transfer, replayed=True)
        on = today()
        if request.status != RequestStatus.SUBMITTED or on > transfer.expires_on:
            raise DomainError(ErrorCode.TRANSFER_NOT_PENDING)
        resident = Resident.objects.select_for_update().get(pk=transfer.resident_id)
        old_sponsor, new_sponsor = _parties(transfer)
        check = _assess(
            resident=resident,
            new_sponsor=new_sponsor,
            on=on,
            schedule=schedule_at(on),
            approving=transfer,
        )
        if check.violations:
            raise EligibilityError(check.violations)
        ledger_post_charge(
            actor=actor,
            establishment=new_sponsor,
            service_request=request,
            lines=check.quote.lines,
            idempotency_key=f"charge:{request.pk}",
            debit=False,
        )
        # The fee in force at approval is what is paid; keep the request's record of it exact.
        request.fee_total_halalas = check.quote.total_halalas
        request.fee_lines = check.quote.as_list()
        request.save(update_fields=["fee_total_halalas", "fee_lines"])
        service_request_transition(request=request, action=RequestAction.APPROVE, actor=actor)
        service_request_transition(request=request, action=RequestAction.COMPLETE, actor=actor)
        now = timezone.now()
        transfer.decided_by = actor
        transfer.decided_at = now
        transfer.save(update_fields=["decided_by", "decided_at"])
        resident.establishment = new_sponsor
        resident.transfer_count += 1
        resident.version += 1
        resident.save(update_fields=["establishment", "transfer_count", "version", "updated_at"])
        for kind, est in (
            (ResidentHistoryKind.TRANSFERRED_OUT, old_sponsor),
            (ResidentHistoryKind.TRANSFERRED_IN, new_sponsor),
        ):
            ResidentHistoryEntry.objects.create(
                resident=resident,
                occurred_at=now,
                kind=kind,
                establishment=est,
                service_request=request,
                old={"establishment": old_sponsor.moi_number},
                new={"establishment": new_sponsor.moi_number},
            )
        audit_record(
            event_type=AuditEventType.TRANSFER_COMPLETED,
            actor=actor,
            establishment=old_sponsor,
            resident=resident,
            service_request=request,
            extra={"transfer": transfer.pk, "from": old_sponsor.pk, "to": new_sponsor.pk},
        )
        for est_id in (old_sponsor.pk, new_sponsor.pk):
            webhook_event_emit(
                establishment_id=est_id,
                event_type="transfer.approved",
                data={
                    "request_number": request.number,
                    "iqama_number": resident.iqama_number,
                    "from_establishment": old_sponsor.moi_number,
                    "to_establishment": new_sponsor.moi_number,
                },
            )
        for est in (old_sponsor, new_sponsor):
            _notify(
                est,
                lambda: _(
                    "Transfer of services {number} approved: iqama {iqama} moved to the new sponsor."
                ).format(number=request.number, iqama=resident.iqama_number),
            )
        # Last: the new sponsor's balance, locked for this statement and the commit (ADR 0004).
        establishment_balance_debit(
            establishment=new_sponsor, amount_halalas=check.quote.total_halalas
        )
    return TransferResult(transfer=transfer, replayed=False)


def transfer_reject(*, actor: User, number: str, reason: str) -> TransferResult:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            ErrorCode.REASON_REQUIRED, fields={"reason": [str(ErrorCode.REASON_REQUIRED)]}
        )
    return _close(
        actor=actor, number=number, side="from", action=RequestAction.REJECT, reason=reason
    )


def transfer_withdraw(*, actor: User, number: str) -> TransferResult:
    return _close(actor=actor, number=number, side="to", action=RequestAction.CANCEL, reason="")


def _close(*, actor: User, number: str, side: str, action: str, reason: str) -> TransferResult:
    targets: dict[str, str] = {
        RequestAction.REJECT: RequestStatus.REJECTED,
        RequestAction.CANCEL: RequestStatus.CANCELLED,
    }
    target = targets[action]
    with transaction.atomic(durable=True):
        transfer = access_transfer(actor=actor, number=number)
        if getattr(transfer, f"{side}_establishment_id") != actor.establishment_id:
            raise DomainError(ErrorCode.TRANSFER_NOT_FOUND)
        request = ServiceRequest.objects.select_for_update().get(pk=transfer.request_id)
        if request.status == target:
            return TransferResult(transfer=transfer, replayed=True)
        if request.status != RequestStatus.SUBMITTED:
            raise DomainError(ErrorCode.TRANSFER_NOT_PENDING)
        service_request_transition(
            request=request, action=action, actor=actor, payload={"reason": reason}
        )
        transfer.decided_by = actor
        transfer.decided_at = timezone.now()
        transfer.rejection_reason = reason
        transfer.save(update_fields=["decided_by", "decided_at", "rejection_reason"])
        audit_record(
            event_type=AuditEventType.TRANSFER_REJECTED,
            actor=actor,
            resident=transfer.resident,
            service_request=request,
            extra={"transfer": transfer.pk, "action": action},
        )
        other = transfer.to_establishment if side == "from" else transfer.from_establishment
        _notify(
            other,
            lambda: _("Transfer of services {number} for iqama {iqama} is {status}.").format(
                number=request.number,
                iqama=transfer.resident.iqama_number,
                status=RequestStatus(target).label,
            ),
        )
    return TransferResult(transfer=transfer, replayed=False)


def transfer_consent(*, actor: User, number: str, code: str) -> TransferResult:
    """The new sponsor enters the code the worker received, recording the worker's consent."""
    failure: DomainError | None = None
    with transaction.atomic():
        transfer = access_transfer(actor=actor, number=number, for_update=True)
        if transfer.to_establishment_id != actor.establishment_id:
            raise DomainError(ErrorCode.TRANSFER_NOT_FOUND)
        if transfer.worker_consented_at is not None:
            return TransferResult(transfer=transfer, replayed=True)
        if transfer.request.status != RequestStatus.SUBMITTED:
            raise DomainError(ErrorCode.TRANSFER_NOT_PENDING)
        submitted = "".join(ch for ch in normalize_digits(code) if ch.isdigit())
        if transfer.consent_attempts >= CONSENT_MAX_ATTEMPTS:
            failure = DomainError(ErrorCode.SECURITY_CODE_ATTEMPTS_EXCEEDED)
        elif transfer.consent_code_hash and digest_matches(
            transfer.consent_code_hash, f"consent:{transfer.pk}:{submitted}"
        ):
            transfer.worker_consented_at = timezone.now()
            transfer.save(update_fields=["worker_consented_at"])
            audit_record(
                event_type=AuditEventType.TRANSFER_CONSENTED,
                actor=actor,
                resident=transfer.resident,
                service_request=transfer.request,
                extra={"transfer": transfer.pk},
            )
        else:
            transfer.consent_attempts += 1
            transfer.save(update_fields=["consent_attempts"])
            failure = DomainError(
                ErrorCode.SECURITY_CODE_INVALID,
                {"remaining": CONSENT_MAX_ATTEMPTS - transfer.consent_attempts},
            )
    if failure is not None:
        raise failure
    return TransferResult(transfer=transfer, replayed=False)


def transfers_expire_run(*, on: date) -> int:
    """Expire requests left unanswered past their date (idempotent: guarded by status)."""
    expired = 0
    due = TransferRequest.objects.filter(request__status=RequestStatus.SUBMITTED, expires_on__lt=on)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            transfer = _transfers().get(pk=pk)
            request = ServiceRequest.objects.select_for_update().get(pk=transfer.request_id)
            if request.status != RequestStatus.SUBMITTED or on <= transfer.expires_on:
                continue
            service_request_transition(request=request, action=RequestAction.EXPIRE, actor=None)
            audit_record(
                event_type=AuditEventType.TRANSFER_EXPIRED,
                actor=None,
                establishment=transfer.to_establishment,
                resident=transfer.resident,
                service_request=request,
                extra={"transfer": transfer.pk},
            )
            message = _expired_message(request.number)
            for est in (transfer.from_establishment, transfer.to_establishment):
                _notify(est, message)
            expired += 1
    return expired


def _expired_message(number: str) -> Callable[[], str]:
    return lambda: _("Transfer of services {number} expired unanswered.").format(number=number)
