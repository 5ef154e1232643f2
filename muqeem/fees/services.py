"""Posting to the append-only, double-entry ledger. Call inside the use case's transaction with the
establishment row already locked (`select_for_update`), so the stored balance and the ledger move
together or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, Violation
from muqeem.core.money import Money
from muqeem.establishments.models import Establishment
from muqeem.fees.models import (
    FeeCode,
    JournalKind,
    LedgerAccount,
    LedgerJournal,
    LedgerLine,
    Penalty,
    PenaltyStatus,
)
from muqeem.fees.quotes import FeeLine

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.residents.models import Resident
    from muqeem.workflow.models import ServiceRequest


def _move_balance(establishment: Establishment, delta: int) -> None:
    Establishment.objects.filter(pk=establishment.pk).update(
        balance_halalas=F("balance_halalas") + delta
    )
    establishment.balance_halalas += delta


def ledger_post_charge(
    *,
    actor: User | None,
    establishment: Establishment,
    service_request: ServiceRequest,
    lines: Sequence[FeeLine],
    idempotency_key: str,
) -> LedgerJournal | None:
    """Debit the establishment's balance by the quote and credit revenue per fee line.
    A zero total posts nothing (free services leave no empty journal)."""
    total = sum(line.amount_halalas for line in lines)
    if total == 0:
        return None
    if establishment.balance_halalas < total:
        raise DomainError(
            ErrorCode.INSUFFICIENT_BALANCE,
            {"balance": Money(establishment.balance_halalas), "total": Money(total)},
        )
    journal = LedgerJournal.objects.create(
        kind=JournalKind.CHARGE,
        establishment=establishment,
        service_request=service_request,
        idempotency_key=idempotency_key,
        reference=service_request.number,
        occurred_at=timezone.now(),
        actor=actor,
    )
    entries = [
        LedgerLine(
            journal=journal,
            account=LedgerAccount.ESTABLISHMENT,
            establishment=establishment,
            amount_halalas=-total,
        )
    ]
    entries += [
        LedgerLine(
            journal=journal,
            account=LedgerAccount.REVENUE,
            fee_code=line.code,
            amount_halalas=line.amount_halalas,
        )
        for line in lines
        if line.amount_halalas
    ]
    LedgerLine.objects.bulk_create(entries)
    _move_balance(establishment, -total)
    audit_record(
        event_type=AuditEventType.LEDGER_POSTED,
        actor=actor,
        establishment=establishment,
        service_request=service_request,
        extra={"journal": journal.pk, "kind": JournalKind.CHARGE, "amount_halalas": -total},
    )
    return journal


def ledger_post_payment(
    *,
    actor: User | None,
    establishment: Establishment,
    amount_halalas: int,
    reference: str,
    idempotency_key: str,
    memo: str = "",
) -> LedgerJournal:
    """Credit the establishment's balance from the bank clearing account (a paid SADAD bill).
    The same idempotency key twice credits once."""
    if amount_halalas <= 0:
        raise DomainError(ErrorCode.VALIDATION_FAILED, fields={"amount": ["must be positive"]})
    existing = LedgerJournal.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    journal = LedgerJournal.objects.create(
        kind=JournalKind.PAYMENT,
        establishment=establishment,
        idempotency_key=idempotency_key,
        reference=reference,
        occurred_at=timezone.now(),
        actor=actor,
        memo=memo,
    )
    LedgerLine.objects.bulk_create(
        [
            LedgerLine(journal=journal, account=LedgerAccount.BANK, amount_halalas=-amount_halalas),
            LedgerLine(
                journal=journal,
                account=LedgerAccount.ESTABLISHMENT,
                establishment=establishment,
                amount_halalas=amount_halalas,
            ),
        ]
    )
    _move_balance(establishment, amount_halalas)
    audit_record(
        event_type=AuditEventType.LEDGER_POSTED,
        actor=actor,
        establishment=establishment,
        extra={
            "journal": journal.pk,
            "kind": JournalKind.PAYMENT,
            "amount_halalas": amount_halalas,
        },
    )
    return journal


def penalty_record(
    *,
    establishment_id: int,
    resident: Resident,
    fee_code: str,
    amount_halalas: int,
    source_key: str,
    recorded_on: date,
) -> tuple[Penalty, bool]:
    """Record a fine once per cause (`source_key`); a second call returns the first."""
    penalty, created = Penalty.objects.get_or_create(
        source_key=source_key,
        defaults={
            "establishment_id": establishment_id,
            "resident": resident,
            "fee_code": fee_code,
            "amount_halalas": amount_halalas,
            "recorded_on": recorded_on,
        },
    )
    if created:
        audit_record(
            event_type=AuditEventType.PENALTY_RECORDED,
            actor=None,
            establishment=penalty.establishment,
            resident=resident,
            extra={"penalty": penalty.pk, "fee_code": fee_code, "amount_halalas": amount_halalas},
        )
    return penalty, created


def access_penalty(*, actor: User, penalty_id: int, for_update: bool = False) -> Penalty:
    if actor.establishment_id is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    qs = Penalty.objects.select_related("resident")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    penalty = qs.filter(pk=penalty_id, resident__establishment_id=actor.establishment_id).first()
    if penalty is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return penalty


def penalty_pay(*, actor: User, penalty_id: int, idempotency_key: str) -> ServiceRequest:
    """Pay a fine from the establishment's balance: a FINE_PAYMENT request, a ledger charge, and the
    fine marked paid, all in one transaction."""
    from muqeem.workflow.machine import RequestAction, ServiceType
    from muqeem.workflow.services import (
        establishment_lock_for,
        payload_fingerprint,
        service_request_create,
        service_request_find_replay,
        service_request_transition,
    )

    payload_hash = payload_fingerprint({"service": ServiceType.FINE_PAYMENT, "penalty": penalty_id})
    with transaction.atomic(durable=True):
        establishment = establishment_lock_for(actor=actor)
        replay = service_request_find_replay(
            establishment=establishment, idempotency_key=idempotency_key, payload_hash=payload_hash
        )
        if replay is not None:
            return replay
        penalty = access_penalty(actor=actor, penalty_id=penalty_id, for_update=True)
        if penalty.status != PenaltyStatus.UNPAID:
            raise DomainError(ErrorCode.FINE_NOT_PAYABLE)
        line = FeeLine(FeeCode(penalty.fee_code), penalty.amount_halalas)
        if establishment.balance_halalas < penalty.amount_halalas:
            raise EligibilityError(
                [
                    Violation(
                        ErrorCode.INSUFFICIENT_BALANCE,
                        {
                            "balance": Money(establishment.balance_halalas),
                            "total": Money(penalty.amount_halalas),
                        },
                    )
                ]
            )
        request = service_request_create(
            actor=actor,
            service_type=ServiceType.FINE_PAYMENT,
            establishment=establishment,
            resident=penalty.resident,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            fee_total_halalas=penalty.amount_halalas,
            fee_lines=[line.as_dict()],
        )
        ledger_post_charge(
            actor=actor,
            establishment=establishment,
            service_request=request,
            lines=[line],
            idempotency_key=f"charge:{request.pk}",
        )
        penalty.status = PenaltyStatus.PAID
        penalty.paid_at = timezone.now()
        penalty.paid_by_request = request
        penalty.save(update_fields=["status", "paid_at", "paid_by_request"])
        service_request_transition(request=request, action=RequestAction.COMPLETE, actor=actor)
        audit_record(
            event_type=AuditEventType.PENALTY_PAID,
            actor=actor,
            establishment=establishment,
            resident=penalty.resident,
            service_request=request,
            extra={"penalty": penalty.pk},
        )
    return request
