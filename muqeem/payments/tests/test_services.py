"""Bill rules as tables: creating, cancelling, the bank's confirmation, reversals and refunds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from muqeem.accounts.permissions import Permission
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.fees.models import JournalKind, LedgerJournal, LedgerLine
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.fees.services import ledger_post_refund, ledger_post_reversal
from muqeem.notifications.models import SmsMessage
from muqeem.payments.models import Bill, BillStatus
from muqeem.payments.numbers import bill_check_digit, bill_number_is_valid, bill_number_new
from muqeem.payments.services import bill_cancel, bill_create, bill_payment_reverse
from tests.factories import UserFactory

from .conftest import confirm, new_bill

pytestmark = pytest.mark.django_db


def events(event_type) -> int:
    return AuditEvent.objects.filter(event_type=int(event_type)).count()


def assert_balance_matches_ledger(establishment) -> None:
    establishment.refresh_from_db()
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    for journal in LedgerJournal.objects.filter(establishment=establishment):
        assert sum(journal.lines.values_list("amount_halalas", flat=True)) == 0


# --- numbers ---------------------------------------------------------------------------------------


def test_bill_numbers_are_twelve_digits_with_a_valid_check_digit():
    numbers = {bill_number_new() for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert bill_number_is_valid(number) and len(number) == 12 and number[0] != "0"


@given(body=st.text(alphabet="0123456789", min_size=11, max_size=11).filter(lambda b: b[0] != "0"))
def test_every_mistyped_digit_and_every_swap_of_neighbours_is_caught(body):
    number = body + bill_check_digit(body)
    assert bill_number_is_valid(number)
    for i in range(12):
        for digit in "0123456789":
            if digit != number[i]:
                assert not bill_number_is_valid(number[:i] + digit + number[i + 1 :])
    for i in range(11):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert not bill_number_is_valid(swapped)


# Damm's published example (572 -> 4) and check digits worked by hand with the quasigroup table.
@pytest.mark.parametrize(("body", "check"), [("572", "4"), ("0000000000", "0")])
def test_bill_check_digit(body, check):
    assert bill_check_digit(body) == check


# --- create ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("riyals", "ok"),
    [(99, False), (100, True), (5_000, True), (1_000_000, True), (1_000_001, False)],
)
def test_amount_limits_come_from_the_schedule(hr_officer, riyals, ok):
    if ok:
        bill = new_bill(hr_officer, riyals)
        assert bill.amount_halalas == riyals * 100 and bill.status == BillStatus.UNPAID
    else:
        with pytest.raises(DomainError) as exc:
            new_bill(hr_officer, riyals)
        assert exc.value.code == ErrorCode.BILL_AMOUNT_INVALID
        assert "100.00" in exc.value.messages["en"]


def test_a_double_click_makes_one_bill_and_one_audit_entry(hr_officer):
    first = bill_create(actor=hr_officer, amount_halalas=50_000, idempotency_key="k")
    again = bill_create(actor=hr_officer, amount_halalas=50_000, idempotency_key="k")
    assert again.replayed and not first.replayed and again.bill.pk == first.bill.pk
    assert Bill.objects.count() == 1 and events(AuditEventType.BILL_CREATED) == 1
    with pytest.raises(DomainError) as exc:
        bill_create(actor=hr_officer, amount_halalas=60_000, idempotency_key="k")
    assert exc.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


def test_validity_and_creator(hr_officer):
    bill = new_bill(hr_officer)
    assert bill.expires_on == timezone.localdate() + timedelta(days=30)
    assert bill.created_by == hr_officer and bill.establishment == hr_officer.establishment


def test_an_officer_without_the_payments_permission_cannot_create(establishment):
    officer = UserFactory(establishment=establishment, service_permissions=[Permission.REPORTS])
    with pytest.raises(DomainError) as exc:
        new_bill(officer)
    assert exc.value.code == ErrorCode.PERMISSION_DENIED


# --- cancel ----------------------------------------------------------------------------------------


def test_cancel_unpaid_only(hr_officer, bill):
    bill_cancel(actor=hr_officer, number=bill.number)
    bill.refresh_from_db()
    assert bill.status == BillStatus.CANCELLED and events(AuditEventType.BILL_CANCELLED) == 1
    with pytest.raises(DomainError) as exc:
        bill_cancel(actor=hr_officer, number=bill.number)
    assert exc.value.code == ErrorCode.BILL_NOT_CANCELLABLE
    paid = new_bill(hr_officer)
    confirm(paid, "R-1")
    with pytest.raises(DomainError) as exc:
        bill_cancel(actor=hr_officer, number=paid.number)
    assert exc.value.code == ErrorCode.BILL_NOT_CANCELLABLE


def test_another_establishments_bill_cannot_be_cancelled(other_officer, bill):
    with pytest.raises(DomainError) as exc:
        bill_cancel(actor=other_officer, number=bill.number)
    assert exc.value.code == ErrorCode.BILL_NOT_FOUND


# --- the bank's confirmation ------------------------------------------------------------------------


def test_confirmation_credits_the_balance_once_and_sends_one_sms(establishment, bill):
    before = establishment.balance_halalas
    result = confirm(bill, "BNK-77")
    again = confirm(bill, "BNK-77")
    assert not result.replayed and again.replayed
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before + 50_000
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and bill.payment_reference == "BNK-77"
    assert bill.journal.kind == JournalKind.PAYMENT and bill.journal.reference == bill.number
    assert events(AuditEventType.BILL_PAID) == 1
    sms = SmsMessage.objects.get(to=establishment.registered_mobile)
    assert bill.number in sms.body and "500.00" in sms.body
    assert_balance_matches_ledger(establishment)


def _expired(bill):
    Bill.objects.filter(pk=bill.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    return bill


def _cancelled(bill):
    Bill.objects.filter(pk=bill.pk).update(status=BillStatus.CANCELLED)
    return bill


def _paid_elsewhere(bill):
    confirm(bill, "FIRST")
    return bill


@pytest.mark.parametrize(
    ("prepare", "number", "amount_delta", "reference", "code"),
    [
        (None, "123456789012", 0, "R", ErrorCode.BILL_NOT_FOUND),
        (None, None, 100, "R", ErrorCode.BILL_AMOUNT_MISMATCH),
        (None, None, -100, "R", ErrorCode.BILL_AMOUNT_MISMATCH),
        (_cancelled, None, 0, "R", ErrorCode.BILL_NOT_PAYABLE),
        (_expired, None, 0, "R", ErrorCode.BILL_NOT_PAYABLE),
        (_paid_elsewhere, None, 0, "SECOND", ErrorCode.BILL_PAYMENT_CONFLICT),
    ],
)
def test_refused_confirmations(establishment, bill, prepare, number, amount_delta, reference, code):
    if prepare:
        prepare(bill)
    establishment.refresh_from_db()
    before = establishment.balance_halalas
    journals = LedgerJournal.objects.count()
    if number:
        bill.number = number
    with pytest.raises(DomainError) as exc:
        confirm(bill, reference, amount=bill.amount_halalas + amount_delta)
    assert exc.value.code == code
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before and LedgerJournal.objects.count() == journals
    refusal = AuditEvent.objects.filter(
        event_type=int(AuditEventType.BILL_CONFIRMATION_REFUSED)
    ).get()
    assert refusal.extra_data["code"] == code
    assert_balance_matches_ledger(establishment)


def test_one_bank_payment_cannot_pay_two_bills(hr_officer):
    first, second = new_bill(hr_officer), new_bill(hr_officer)
    confirm(first, "SAME")
    with pytest.raises(DomainError) as exc:
        confirm(second, "SAME")
    assert exc.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


def test_a_suspended_establishments_payment_is_still_credited(establishment, bill):
    from muqeem.establishments.models import Establishment

    Establishment.objects.filter(pk=establishment.pk).update(
        suspended_at=timezone.now(), suspension_reason="x"
    )
    confirm(bill, "R-S")
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID


def test_manual_confirmation_needs_an_operator(bill, operator, auditor):
    with pytest.raises(DomainError) as exc:
        confirm(bill, "M-1", actor=auditor)
    assert exc.value.code == ErrorCode.STAFF_ROLE_NOT_ALLOWED
    result = confirm(bill, "M-1", actor=operator)
    assert result.bill.confirmed_by == operator


# --- reversals and refunds ----------------------------------------------------------------------------


def test_reversal_by_a_supervisor_negates_the_payment(establishment, bill, supervisor, operator):
    confirm(bill, "R-9")
    establishment.refresh_from_db()
    before = establishment.balance_halalas
    with pytest.raises(DomainError) as exc:
        bill_payment_reverse(actor=operator, number=bill.number, reason="error")
    assert exc.value.code == ErrorCode.STAFF_ROLE_NOT_ALLOWED
    with pytest.raises(DomainError) as exc:
        bill_payment_reverse(actor=supervisor, number=bill.number, reason="  ")
    assert exc.value.code == ErrorCode.VALIDATION_FAILED
    bill_payment_reverse(actor=supervisor, number=bill.number, reason="Confirmed in error")
    bill.refresh_from_db()
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before - bill.amount_halalas
    assert bill.reversal.kind == JournalKind.REVERSAL and bill.reversal.reversal_of == bill.journal
    assert bill.reversal.memo == "Confirmed in error"
    assert events(AuditEventType.LEDGER_REVERSED) == 1
    with pytest.raises(DomainError) as exc:
        bill_payment_reverse(actor=supervisor, number=bill.number, reason="again")
    assert exc.value.code == ErrorCode.REVERSAL_NOT_ALLOWED
    assert "already reversed" in exc.value.messages["en"]
    assert_balance_matches_ledger(establishment)


def test_reversal_that_would_make_the_balance_negative_is_refused(establishment, bill, supervisor):
    confirm(bill, "R-10")
    establishment.refresh_from_db()
    ledger_post_refund(
        actor=supervisor,
        establishment_id=establishment.pk,
        amount_halalas=establishment.balance_halalas - 100,
        reason="closing the account",
        idempotency_key="r1",
    )
    with pytest.raises(DomainError) as exc:
        bill_payment_reverse(actor=supervisor, number=bill.number, reason="error")
    assert exc.value.code == ErrorCode.REVERSAL_NOT_ALLOWED
    assert "negative" in exc.value.messages["en"] and "سالب" not in exc.value.messages["en"]
    assert_balance_matches_ledger(establishment)


@pytest.mark.parametrize("kind", [JournalKind.CHARGE, JournalKind.REVERSAL, JournalKind.REFUND])
def test_only_payments_can_be_reversed(establishment, supervisor, bill, kind):
    bill = confirm(bill, "R-11").bill
    if kind == JournalKind.REVERSAL:
        journal = ledger_post_reversal(actor=supervisor, journal_id=bill.journal_id, reason="x")
    elif kind == JournalKind.REFUND:
        journal = ledger_post_refund(
            actor=supervisor,
            establishment_id=establishment.pk,
            amount_halalas=100,
            reason="x",
            idempotency_key="k",
        )
    else:
        journal = LedgerJournal.objects.create(
            kind=JournalKind.CHARGE,
            establishment=establishment,
            idempotency_key="c",
            reference="c",
            occurred_at=timezone.now(),
        )
    with pytest.raises(DomainError) as exc:
        ledger_post_reversal(actor=supervisor, journal_id=journal.pk, reason="x")
    assert exc.value.code == ErrorCode.REVERSAL_NOT_ALLOWED


def test_refund_is_idempotent_and_never_more_than_the_balance(establishment, supervisor, operator):
    establishment.refresh_from_db()
    balance = establishment.balance_halalas
    kwargs = {"establishment_id": establishment.pk, "reason": "closing", "idempotency_key": "z"}
    with pytest.raises(DomainError) as exc:
        ledger_post_refund(actor=operator, amount_halalas=100, **kwargs)
    assert exc.value.code == ErrorCode.STAFF_ROLE_NOT_ALLOWED
    with pytest.raises(DomainError) as exc:
        ledger_post_refund(actor=supervisor, amount_halalas=balance + 1, **kwargs)
    assert exc.value.code == ErrorCode.INSUFFICIENT_BALANCE
    first = ledger_post_refund(actor=supervisor, amount_halalas=10_000, **kwargs)
    again = ledger_post_refund(actor=supervisor, amount_halalas=10_000, **kwargs)
    assert first.pk == again.pk and first.kind == JournalKind.REFUND
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance - 10_000
    assert LedgerLine.objects.filter(journal=first, account="bank").get().amount_halalas == 10_000
    assert_balance_matches_ledger(establishment)


def test_a_payment_time_in_the_future_is_refused(establishment, bill):
    with pytest.raises(DomainError) as exc:
        confirm(bill, "F-1", paid_at=timezone.now() + timedelta(hours=1))
    assert exc.value.code == ErrorCode.VALIDATION_FAILED and "paid_at" in exc.value.fields
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID
    assert events(AuditEventType.BILL_CONFIRMATION_REFUSED) == 1
