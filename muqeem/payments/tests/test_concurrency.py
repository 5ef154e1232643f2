"""Races on PostgreSQL: the bank sending one confirmation ten times at once, and two different
references for one bill at once."""

from __future__ import annotations

from collections import Counter

import pytest

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.fees.models import JournalKind, LedgerJournal
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.notifications.models import SmsMessage
from muqeem.payments.models import BillStatus
from tests.concurrency import race

from .conftest import confirm, new_bill

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_one_confirmation_sent_ten_times_at_once_credits_once(establishment, hr_officer):
    bill = new_bill(hr_officer, 750)
    establishment.refresh_from_db()
    before = establishment.balance_halalas
    outcomes = race(*[lambda: confirm(bill, "BANK-REF-1")] * 10)
    assert outcomes == Counter({"done": 1, "replayed": 9})
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before + 75_000
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    assert (
        LedgerJournal.objects.filter(kind=JournalKind.PAYMENT, reference=bill.number).count() == 1
    )
    assert AuditEvent.objects.filter(event_type=int(AuditEventType.BILL_PAID)).count() == 1
    assert SmsMessage.objects.filter(to=establishment.registered_mobile).count() == 1
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID


def test_two_references_for_one_bill_at_once_one_wins(establishment, hr_officer):
    bill = new_bill(hr_officer, 200)
    outcomes = race(lambda: confirm(bill, "A"), lambda: confirm(bill, "B"))
    assert outcomes == Counter({"done": 1, "BILL_PAYMENT_CONFLICT": 1})
    assert LedgerJournal.objects.filter(reference=bill.number).count() == 1
    assert (
        AuditEvent.objects.filter(event_type=int(AuditEventType.BILL_CONFIRMATION_REFUSED)).count()
        == 1
    )


def test_a_double_click_at_once_makes_one_bill(establishment, hr_officer):
    from muqeem.payments.models import Bill
    from muqeem.payments.services import bill_create

    def create():
        return bill_create(actor=hr_officer, amount_halalas=30_000, idempotency_key="same")

    assert race(create, create) == Counter({"done": 1, "replayed": 1})
    assert Bill.objects.count() == 1


def test_cancel_and_payment_at_once_one_wins(establishment, hr_officer):
    from muqeem.payments.services import bill_cancel

    bill = new_bill(hr_officer, 400)
    outcomes = race(
        lambda: confirm(bill, "C-1"), lambda: bill_cancel(actor=hr_officer, number=bill.number)
    )
    bill.refresh_from_db()
    journals = LedgerJournal.objects.filter(reference=bill.number).count()
    if bill.status == BillStatus.PAID:
        assert outcomes == Counter({"done": 1, "BILL_NOT_CANCELLABLE": 1}) and journals == 1
    else:
        assert bill.status == BillStatus.CANCELLED
        assert outcomes == Counter({"done": 1, "BILL_NOT_PAYABLE": 1}) and journals == 0
    establishment.refresh_from_db()
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
