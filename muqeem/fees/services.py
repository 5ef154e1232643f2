"""Posting to the append-only, double-entry ledger, inside the use case's transaction, so the stored
balance and the ledger move together or not at all.

A charge debits the balance with one conditional UPDATE (`establishment_balance_debit`), the last
statement of the use case: it locks the establishment's row for that statement and the commit only,
and it is the check that counts (never below zero, never for a suspended establishment). Credits,
reversals and refunds lock the row first (`FOR NO KEY UPDATE`) and touch no resident row after it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_event_build, audit_record
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


def establishment_balance_debit(*, establishment: Establishment, amount_halalas: int) -> None:
    """Take `amount_halalas` off the balance: one UPDATE guarded by the balance and the suspension.
    No row changed means the balance no longer covers it (another charge committed first) or the
    establishment was suspended meanwhile; the error rolls the whole use case back."""
    if amount_halalas <= 0:
        return
    table = connection.ops.quote_name(Establishment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance_halalas = balance_halalas - %s "  # noqa: S608
            "WHERE id = %s AND balance_halalas >= %s AND suspended_at IS NULL",
            [amount_halalas, establishment.pk, amount_halalas],
        )
        changed = cursor.rowcount
    if changed == 1:
        establishment.balance_halalas -= amount_halalas
        return
    from muqeem.workflow.services import establishment_refuse_if_suspended

    current = Establishment.objects.get(pk=establishment.pk)
    establishment_refuse_if_suspended(current)
    raise DomainError(
        ErrorCode.INSUFFICIENT_BALANCE,
        {"balance": Money(current.balance_halalas), "total": Money(amount_halalas)},
    )


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
    debit: bool = True,
    audit_into: list[AuditEvent] | None = None,
) -> LedgerJournal | None:
    """Debit the establishment's balance by the quote and credit revenue per fee line.
    A zero total posts nothing (free services leave no empty journal). `debit=False` writes the
    journal and leaves the balance to the caller's `establishment_balance_debit` of the same total,
    its last statement (`workflow.services.service_request_finish`). The balance read before is
    only an early refusal; the debit decides. `audit_into` collects the audit event for the caller
    to insert with its others in one statement."""
    total = sum(line.amount_halalas for line in lines)
    if total == 0:
        return None
    if establishment.balance_halalas < total:
        raise DomainError(
            ErrorCode.INSUFFICIENT_BALANCE,
            {"balance": Money(establishment.balance_halalas), "total": Money(total)},
        )
    events: list[AuditEvent] = []
    (journal,) = ledger_post_charges(
        actor=actor,
        establishment=establishment,
        charges=[(service_request, lines, idempotency_key)],
        audit_into=events,
    )
    if audit_into is None:
        events[0].save()
    else:
        audit_into += events
    if debit:
        establishment_balance_debit(establishment=establishment, amount_halalas=total)
    return journal


def ledger_post_charges(
    *,
    actor: User | None,
    establishment: Establishment,
    charges: Sequence[tuple[ServiceRequest, Sequence[FeeLine], str]],
    audit_into: list[AuditEvent],
) -> list[LedgerJournal]:
    """The charge journals of several requests of one establishment, each (request, fee lines,
    journal idempotency key), in three statements whatever their number: the journals, all their lines, and the caller's insert of the audit events collected in
    `audit_into`. Requests whose quote is zero get no journal. The balance is left to the caller's
    `establishment_balance_debit` of the total, its last statement."""
    now = timezone.now()
    charged = [
        (request, lines, key, total)
        for request, lines, key in charges
        if (total := sum(line.amount_halalas for line in lines))
    ]
    journals = LedgerJournal.objects.bulk_create(
        [
            LedgerJournal(
                kind=JournalKind.CHARGE,
                establishment=establishment,
                service_request=request,
                idempotency_key=key,
                reference=request.number,
                occurred_at=now,
                actor=actor,
            )
            for request, _lines, key, _total in charged
        ]
    )
    entries: list[LedgerLine] = []
    for journal, (request, lines, _key, total) in zip(journals, charged, strict=True):
        entries.append(
            LedgerLine(
                journal=journal,
                account=LedgerAccount.ESTABLISHMENT,
                establishment=establishment,
                amount_halalas=-total,
            )
        )
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
        audit_into.append(
            audit_event_build(
                event_type=AuditEventType.LEDGER_POSTED,
                actor=actor,
                establishment=establishment,
                service_request=request,
                extra={"journal": journal.pk, "kind": JournalKind.CHARGE, "amount_halalas": -total},
            )
        )
    LedgerLine.objects.bulk_create(entries)
    return journals


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
        payload_fingerprint,
        service_request_create,
        service_request_open,
        service_request_transition,
    )

    payload_hash = payload_fingerprint({"service": ServiceType.FINE_PAYMENT, "penalty": penalty_id})
    with transaction.atomic(durable=True):
        # The fine's row first, the establishment's last (the debit): ADR 0004.
        penalty = access_penalty(actor=actor, penalty_id=penalty_id, for_update=True)
        establishment, replay = service_request_open(
            actor=actor,
            idempotency_key=idempotency_key,
            payload_hash=payload_hash,
            rows_locked=True,
        )
        if replay is not None:
            return replay
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
        penalty.status = PenaltyStatus.PAID
        penalty.paid_at = timezone.now()
        penalty.paid_by_request = request
        penalty.save(update_fields=["status", "paid_at", "paid_by_request"])
        audit_record(
            event_type=AuditEventType.PENALTY_PAID,
            actor=actor,
            establishment=establishment,
            resident=penalty.resident,
            service_request=request,
            extra={"penalty": penalty.pk},
        )
        ledger_post_charge(
            actor=actor,
            establishment=establishment,
            service_request=request,
            lines=[line],
            idempotency_key=f"charge:{request.pk}",
            debit=False,
        )
        service_request_transition(request=request, action=RequestAction.COMPLETE, actor=actor)
        establishment_balance_debit(
            establishment=establishment, amount_halalas=penalty.amount_halalas
        )
    return request


def _staff_check_supervise(actor: User | None) -> None:
    from muqeem.accounts.staff import StaffCapability, staff_check

    staff_check(actor, StaffCapability.SUPERVISE)


def _reason_required(reason: str) -> str:
    from django.utils.translation import gettext_lazy

    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, fields={"reason": [str(gettext_lazy("Required."))]}
        )
    return reason[:200]


def ledger_post_reversal(*, actor: User, journal_id: int, reason: str) -> LedgerJournal:
    """Reverse a payment journal (a bank confirmation recorded in error, a chargeback): a new REVERSAL
    journal with every line negated; the original is never changed. Supervisors only, with a reason.
    Refused when the journal was already reversed, is not a payment, or when the establishment's
    balance no longer covers the amount (the balance never goes below zero)."""
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy

    _staff_check_supervise(actor)
    reason = _reason_required(reason)
    with transaction.atomic():
        original = LedgerJournal.objects.filter(pk=journal_id).first()
        if original is None:
            raise DomainError(ErrorCode.NOT_FOUND)
        establishment = Establishment.objects.select_for_update(no_key=True).get(
            pk=original.establishment_id
        )
        if original.kind != JournalKind.PAYMENT:
            raise DomainError(
                ErrorCode.REVERSAL_NOT_ALLOWED,
                {"reason": gettext_lazy("only a payment can be reversed.")},
            )
        if LedgerJournal.objects.filter(reversal_of=original).exists():
            raise DomainError(
                ErrorCode.REVERSAL_NOT_ALLOWED, {"reason": gettext_lazy("it was already reversed.")}
            )
        lines = list(original.lines.all())
        amount = sum(
            line.amount_halalas for line in lines if line.account == LedgerAccount.ESTABLISHMENT
        )
        if establishment.balance_halalas < amount:
            raise DomainError(
                ErrorCode.REVERSAL_NOT_ALLOWED,
                {
                    "reason": format_lazy(
                        gettext_lazy(
                            "the balance ({balance}) is less than the amount ({amount}); it would "
                            "become negative."
                        ),
                        balance=Money(establishment.balance_halalas),
                        amount=Money(amount),
                    )
                },
            )
        journal = LedgerJournal.objects.create(
            kind=JournalKind.REVERSAL,
            establishment=establishment,
            reversal_of=original,
            idempotency_key=f"reversal:{original.pk}",
            reference=original.reference,
            occurred_at=timezone.now(),
            actor=actor,
            memo=reason,
        )
        LedgerLine.objects.bulk_create(
            [
                LedgerLine(
                    journal=journal,
                    account=line.account,
                    establishment=line.establishment,
                    fee_code=line.fee_code,
                    amount_halalas=-line.amount_halalas,
                )
                for line in lines
            ]
        )
        _move_balance(establishment, -amount)
        audit_record(
            event_type=AuditEventType.LEDGER_REVERSED,
            actor=actor,
            establishment=establishment,
            extra={
                "journal": journal.pk,
                "reversal_of": original.pk,
                "kind": JournalKind.REVERSAL,
                "amount_halalas": -amount,
                "reason": reason,
            },
        )
    return journal


def ledger_post_refund(
    *,
    actor: User,
    establishment_id: int,
    amount_halalas: int,
    reason: str,
    idempotency_key: str,
) -> LedgerJournal:
    """Pay part of an establishment's balance back to its bank (a REFUND journal: the establishment's
    balance down, the bank clearing account up). Supervisors only, with a reason; never more than
    the balance. The same idempotency key twice refunds once."""
    from django.utils.translation import gettext_lazy

    _staff_check_supervise(actor)
    reason = _reason_required(reason)
    if amount_halalas <= 0:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, fields={"amount": [str(gettext_lazy("Must be positive."))]}
        )
    with transaction.atomic():
        establishment = (
            Establishment.objects.select_for_update(no_key=True).filter(pk=establishment_id).first()
        )
        if establishment is None:
            raise DomainError(ErrorCode.NOT_FOUND)
        existing = LedgerJournal.objects.filter(idempotency_key=f"refund:{idempotency_key}").first()
        if existing is not None:
            return existing
        if establishment.balance_halalas < amount_halalas:
            raise DomainError(
                ErrorCode.INSUFFICIENT_BALANCE,
                {"balance": Money(establishment.balance_halalas), "total": Money(amount_halalas)},
            )
        journal = LedgerJournal.objects.create(
            kind=JournalKind.REFUND,
            establishment=establishment,
            idempotency_key=f"refund:{idempotency_key}",
            reference=f"RF{timezone.now():%y%m%d%H%M%S}",
            occurred_at=timezone.now(),
            actor=actor,
            memo=reason,
        )
        LedgerLine.objects.bulk_create(
            [
                LedgerLine(
                    journal=journal,
                    account=LedgerAccount.ESTABLISHMENT,
                    establishment=establishment,
                    amount_halalas=-amount_halalas,
                ),
                LedgerLine(
                    journal=journal, account=LedgerAccount.BANK, amount_halalas=amount_halalas
                ),
            ]
        )
        _move_balance(establishment, -amount_halalas)
        audit_record(
            event_type=AuditEventType.LEDGER_POSTED,
            actor=actor,
            establishment=establishment,
            extra={
                "journal": journal.pk,
                "kind": JournalKind.REFUND,
                "amount_halalas": -amount_halalas,
                "reason": reason,
            },
        )
    return journal


def penalty_waive(*, actor: User | None, penalty: Penalty, reference: str) -> Penalty:
    """Waive an unpaid fine by the directorate's decision (e.g. an approved exception request):
    it stops blocking services and nothing is charged, so the ledger is not touched. The caller
    holds the fine's row lock inside its transaction."""
    if penalty.status != PenaltyStatus.UNPAID:
        raise DomainError(ErrorCode.FINE_NOT_PAYABLE)
    penalty.status = PenaltyStatus.WAIVED
    penalty.save(update_fields=["status"])
    audit_record(
        event_type=AuditEventType.PENALTY_WAIVED,
        actor=actor,
        establishment=penalty.establishment,
        resident=penalty.resident,
        extra={
            "penalty": penalty.pk,
            "fee_code": penalty.fee_code,
            "amount_halalas": penalty.amount_halalas,
            "reference": reference,
        },
    )
    return penalty
