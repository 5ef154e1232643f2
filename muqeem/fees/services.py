"""Posting to the append-only, double-entry ledger. Call inside the use case's transaction with the
establishment row already locked (`select_for_update`), so the stored balance and the ledger move
together or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import F
from django.utils import timezone

from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.money import Money
from muqeem.establishments.models import Establishment
from muqeem.fees.models import JournalKind, LedgerAccount, LedgerJournal, LedgerLine
from muqeem.fees.quotes import FeeLine

if TYPE_CHECKING:
    from muqeem.accounts.models import User
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
