"""SADAD top-up bills: create (an establishment officer), cancel, the bank's payment confirmation,
and the reversal of a confirmed payment (a supervisor). Every change is audited; money moves only
through the ledger (`muqeem.fees.services`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from muqeem.accounts.permissions import Permission
from muqeem.accounts.staff import StaffCapability, staff_check
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.i18n import in_both_languages
from muqeem.core.money import Money
from muqeem.establishments.models import Establishment
from muqeem.fees.selectors import schedule_at
from muqeem.fees.services import ledger_post_payment, ledger_post_reversal
from muqeem.notifications.services import sms_send
from muqeem.workflow.services import establishment_lock_for

from .models import Bill, BillStatus
from .numbers import bill_number_new

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.integrations.models import IntegrationCredential

NUMBER_ATTEMPTS = 5
# A bank's clock may run a little ahead of ours; a payment time beyond this is a mistake.
PAID_AT_CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class BillResult:
    bill: Bill
    replayed: bool


def bill_amount_limits() -> tuple[int, int]:
    schedule = schedule_at(today())
    return schedule.int("payments.bill_min_amount"), schedule.int("payments.bill_max_amount")


def _check_amount(amount_halalas: int) -> None:
    minimum, maximum = bill_amount_limits()
    if not minimum <= amount_halalas <= maximum:
        raise DomainError(
            ErrorCode.BILL_AMOUNT_INVALID, {"minimum": Money(minimum), "maximum": Money(maximum)}
        )


def bill_create(*, actor: User, amount_halalas: int, idempotency_key: str) -> BillResult:
    """A top-up bill for the actor's establishment, payable at any bank until the schedule's validity
    ends. The same idempotency key again (a double click, a retried form) returns the same bill."""
    if not actor.has_service_permission(Permission.PAYMENTS):
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    with transaction.atomic(durable=True):
        establishment = establishment_lock_for(actor=actor)
        existing = Bill.objects.filter(
            establishment=establishment, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if existing.amount_halalas != amount_halalas:
                raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
            return BillResult(existing, replayed=True)
        _check_amount(amount_halalas)
        validity = schedule_at(today()).int("payments.bill_validity_days")
        bill = _insert_with_new_number(
            establishment=establishment,
            amount_halalas=amount_halalas,
            idempotency_key=idempotency_key,
            created_by=actor,
            expires_on=today() + timedelta(days=validity),
        )
        audit_record(
            event_type=AuditEventType.BILL_CREATED,
            actor=actor,
            establishment=establishment,
            extra={"bill": bill.number, "amount_halalas": amount_halalas},
        )
    return BillResult(bill, replayed=False)


def _insert_with_new_number(**fields: Any) -> Bill:
    """The (establishment, idempotency key) pair is checked under the establishment's lock before
    the insert, so an IntegrityError here is a bill number drawn twice: draw again."""
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return Bill.objects.create(number=bill_number_new(), **fields)
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def bill_cancel(*, actor: User, number: str) -> Bill:
    """Cancel an unpaid bill of the actor's establishment (a paid one is reversed by the authority)."""
    from .selectors import access_bill

    if not actor.has_service_permission(Permission.PAYMENTS):
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    with transaction.atomic(durable=True):
        establishment = establishment_lock_for(actor=actor)
        bill = access_bill(actor=actor, number=number)
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if bill.current_status() != BillStatus.UNPAID:
            raise DomainError(
                ErrorCode.BILL_NOT_CANCELLABLE, {"status": BillStatus(bill.current_status()).label}
            )
        bill.status = BillStatus.CANCELLED
        bill.cancelled_at = timezone.now()
        bill.cancelled_by = actor
        bill.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        audit_record(
            event_type=AuditEventType.BILL_CANCELLED,
            actor=actor,
            establishment=establishment,
            extra={"bill": bill.number},
        )
    return bill


def bill_payment_confirm(
    *,
    number: str,
    amount_halalas: int,
    payment_reference: str,
    paid_at: datetime,
    credential: IntegrationCredential | None = None,
    actor: User | None = None,
) -> BillResult:
    """The bank's confirmation that a bill was paid: the bill becomes paid and the establishment's
    balance is credited through the ledger, once. The same confirmation again (same bill, same
    payment reference) returns the first result without crediting again. Called by the bank's API
    (`credential`) or by an operator entering a bank file received otherwise (`actor`).

    Locks the establishment's row, then the bill's, like every transaction that moves money without
    touching a resident (ADR 0004)."""
    if actor is not None:
        staff_check(actor, StaffCapability.OPERATE)
    number = number.strip()
    payment_reference = payment_reference.strip()
    try:
        if paid_at > timezone.now() + PAID_AT_CLOCK_SKEW:
            raise DomainError(
                ErrorCode.VALIDATION_FAILED,
                fields={"paid_at": [_("The payment time is in the future.")]},
            )
        with transaction.atomic(durable=True):
            return _confirm(
                number=number,
                amount_halalas=amount_halalas,
                payment_reference=payment_reference,
                paid_at=paid_at,
                credential=credential,
                actor=actor,
            )
    except DomainError as exc:
        _record_refusal(
            exc,
            number=number,
            amount_halalas=amount_halalas,
            payment_reference=payment_reference,
            credential=credential,
            actor=actor,
        )
        raise


def _confirm(
    *,
    number: str,
    amount_halalas: int,
    payment_reference: str,
    paid_at: datetime,
    credential: IntegrationCredential | None,
    actor: User | None,
) -> BillResult:
    found = Bill.objects.filter(number=number).only("pk", "establishment_id").first()
    if found is None:
        raise DomainError(ErrorCode.BILL_NOT_FOUND)
    establishment = Establishment.objects.select_for_update(no_key=True).get(
        pk=found.establishment_id
    )
    bill = Bill.objects.select_for_update().get(pk=found.pk)
    if bill.status == BillStatus.PAID:
        if bill.payment_reference != payment_reference:
            raise DomainError(ErrorCode.BILL_PAYMENT_CONFLICT)
        if bill.amount_halalas != amount_halalas:
            raise DomainError(
                ErrorCode.BILL_AMOUNT_MISMATCH,
                {"paid": Money(amount_halalas), "amount": Money(bill.amount_halalas)},
            )
        return BillResult(bill, replayed=True)
    status = bill.current_status()
    if status != BillStatus.UNPAID:
        raise DomainError(ErrorCode.BILL_NOT_PAYABLE, {"status": BillStatus(status).label})
    if bill.amount_halalas != amount_halalas:
        raise DomainError(
            ErrorCode.BILL_AMOUNT_MISMATCH,
            {"paid": Money(amount_halalas), "amount": Money(bill.amount_halalas)},
        )
    if Bill.objects.filter(payment_reference=payment_reference).exists():
        # One bank payment pays one bill.
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
    journal = ledger_post_payment(
        actor=actor,
        establishment=establishment,
        amount_halalas=bill.amount_halalas,
        reference=bill.number,
        idempotency_key=f"bill:{bill.pk}",
        memo=f"SADAD {payment_reference}"[:200],
    )
    bill.status = BillStatus.PAID
    bill.paid_at = paid_at
    bill.confirmed_at = timezone.now()
    bill.payment_reference = payment_reference
    bill.journal = journal
    bill.confirmed_by = actor
    bill.confirmed_via = credential
    bill.save(
        update_fields=[
            "status",
            "paid_at",
            "confirmed_at",
            "payment_reference",
            "journal",
            "confirmed_by",
            "confirmed_via",
        ]
    )
    audit_record(
        event_type=AuditEventType.BILL_PAID,
        actor=actor,
        establishment=establishment,
        extra={
            "bill": bill.number,
            "amount_halalas": bill.amount_halalas,
            "payment_reference": payment_reference,
            "journal": journal.pk,
            "credential": credential.pk if credential else None,
        },
    )
    _notify_paid(bill, establishment)
    return BillResult(bill, replayed=False)


def _notify_paid(bill: Bill, establishment: Establishment) -> None:
    mobile = establishment.registered_mobile
    if not mobile:
        return

    def render() -> str:
        return _(
            "SADAD bill {number} is paid: {amount} was added to your government payments "
            "balance. Balance now: {balance}."
        ).format(
            number=bill.number,
            amount=Money(bill.amount_halalas),
            balance=Money(establishment.balance_halalas),
        )

    sms_send(to=mobile, body=in_both_languages(render))


def _record_refusal(
    exc: DomainError,
    *,
    number: str,
    amount_halalas: int,
    payment_reference: str,
    credential: IntegrationCredential | None,
    actor: User | None,
) -> None:
    """The refusal is kept even though the confirmation's own transaction rolled back."""
    bill = Bill.objects.select_related("establishment").filter(number=number).first()
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.BILL_CONFIRMATION_REFUSED,
            actor=actor,
            establishment=bill.establishment if bill else None,
            extra={
                "code": str(exc.code),
                "bill": number[:20],
                "amount_halalas": amount_halalas,
                "payment_reference": payment_reference[:60],
                "credential": credential.pk if credential else None,
            },
        )


def bill_payment_reverse(*, actor: User, number: str, reason: str) -> Bill:
    """Reverse a paid bill's credit (a payment confirmed in error): a reversing journal, the bill
    keeps its payment record and points at the reversal. Supervisors only."""
    staff_check(actor, StaffCapability.SUPERVISE)
    with transaction.atomic(durable=True):
        found = Bill.objects.filter(number=number.strip()).only("pk", "establishment_id").first()
        if found is None:
            raise DomainError(ErrorCode.BILL_NOT_FOUND)
        Establishment.objects.select_for_update(no_key=True).get(pk=found.establishment_id)
        bill = Bill.objects.select_for_update().get(pk=found.pk)
        if bill.status != BillStatus.PAID or bill.journal_id is None:
            raise DomainError(
                ErrorCode.REVERSAL_NOT_ALLOWED, {"reason": gettext_lazy("the bill is not paid.")}
            )
        journal = ledger_post_reversal(actor=actor, journal_id=bill.journal_id, reason=reason)
        bill.reversal = journal
        bill.save(update_fields=["reversal"])
    return bill
