from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.dates import add_months
from muqeem.core.errors import DomainError, EligibilityError, ErrorCode, QuoteChanged
from muqeem.eservices.iqama_renewal.services import iqama_renew, iqama_renewal_check
from muqeem.fees.models import LedgerJournal, LedgerLine, ScheduleEntry
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import ResidentHistoryEntry
from muqeem.workflow.models import RequestEvent, ServiceRequest
from tests.factories import DependentFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def _renew(officer, resident, months=12, key="k1", **kwargs):
    return iqama_renew(
        actor=officer,
        iqama_number=resident.iqama_number,
        period_months=months,
        idempotency_key=key,
        **kwargs,
    )


def test_renewal_extends_expiry_charges_quote_and_records_everything(
    hr_officer, resident, establishment
):
    before_balance = establishment.balance_halalas
    old_expiry = resident.iqama_expiry_date
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
    )
    assert check.eligible

    result = _renew(
        hr_officer,
        resident,
        expected_version=check.resident.version,
        expected_total_halalas=check.quote.total_halalas,
    )

    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert resident.iqama_expiry_date == add_months(old_expiry, 12)
    assert result.renewal.new_expiry == resident.iqama_expiry_date
    # 650 + 100 + 800*12 = 10,350 SAR for a worker with no dependents.
    assert result.request.fee_total_halalas == 1_035_000
    assert establishment.balance_halalas == before_balance - 1_035_000
    assert establishment.balance_halalas == establishment_ledger_balance(
        establishment=establishment
    )
    assert result.request.status == "completed"
    assert [e.action for e in RequestEvent.objects.filter(request=result.request)] == [
        "submit",
        "complete",
    ]
    assert (
        ResidentHistoryEntry.objects.filter(
            resident=resident, service_request=result.request
        ).count()
        == 1
    )
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.IQAMA_RENEWED, service_request=result.request
        ).count()
        == 1
    )
    journal = LedgerJournal.objects.get(service_request=result.request)
    assert sum(line.amount_halalas for line in journal.lines.all()) == 0


def test_request_numbers_are_unique_and_readable(hr_officer, establishment):
    numbers = set()
    for i in range(3):
        r = ResidentFactory(establishment=establishment)
        numbers.add(_renew(hr_officer, r, key=f"n{i}").request.number)
    assert len(numbers) == 3
    assert all(n.isdigit() and len(n) == 10 for n in numbers)


def test_same_idempotency_key_replays_without_a_second_charge(hr_officer, resident, establishment):
    first = _renew(hr_officer, resident, key="double-click")
    second = _renew(hr_officer, resident, key="double-click")
    assert second.replayed and second.request.pk == first.request.pk
    assert ServiceRequest.objects.count() == 1
    assert LedgerJournal.objects.filter(kind="charge").count() == 1


def test_same_key_with_other_data_is_a_conflict(hr_officer, resident):
    _renew(hr_officer, resident, months=12, key="reused")
    with pytest.raises(DomainError) as exc:
        _renew(hr_officer, resident, months=6, key="reused")
    assert exc.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


def test_second_tab_with_the_same_quote_is_refused_and_not_charged(
    hr_officer, resident, establishment
):
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
    )
    quote = {
        "expected_version": check.resident.version,
        "expected_total_halalas": check.quote.total_halalas,
    }
    _renew(hr_officer, resident, key="tab-1", **quote)
    establishment.refresh_from_db()
    balance = establishment.balance_halalas
    with pytest.raises(QuoteChanged):
        _renew(hr_officer, resident, key="tab-2", **quote)
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance
    assert ServiceRequest.objects.count() == 1


def test_a_fee_change_after_the_quote_is_refused_for_requote(hr_officer, resident):
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
    )
    ScheduleEntry.objects.create(
        key="renewal.iqama_fee_per_year", value=70000, effective_from=_today()
    )
    with pytest.raises(QuoteChanged):
        _renew(
            hr_officer,
            resident,
            expected_version=check.resident.version,
            expected_total_halalas=check.quote.total_halalas,
        )
    assert ServiceRequest.objects.count() == 0


def test_failure_after_the_ledger_write_leaves_no_trace(
    hr_officer, resident, establishment, monkeypatch
):
    balance = establishment.balance_halalas
    expiry = resident.iqama_expiry_date
    counts = (
        ServiceRequest.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
    )

    from muqeem.eservices.iqama_renewal import services as renewal_services

    real_charges = renewal_services.ledger_post_charges

    def boom(**kwargs):
        real_charges(**kwargs)
        raise RuntimeError("injected failure after the ledger write")

    monkeypatch.setattr(renewal_services, "ledger_post_charges", boom)
    with pytest.raises(RuntimeError):
        _renew(hr_officer, resident)
    resident.refresh_from_db()
    establishment.refresh_from_db()
    assert resident.iqama_expiry_date == expiry
    assert establishment.balance_halalas == balance
    assert (
        ServiceRequest.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert ResidentHistoryEntry.objects.count() == 0


def test_ineligible_renewal_lists_every_blocker_and_charges_nothing(hr_officer, establishment):
    blocked = ResidentFactory(
        establishment=establishment,
        unpaid_traffic_fines_halalas=50000,
        fingerprint_registered=False,
        insurance_active=False,
    )
    balance = establishment.balance_halalas
    with pytest.raises(EligibilityError) as exc:
        _renew(hr_officer, blocked)
    codes = [v.code for v in exc.value.violations]
    assert codes == [
        ErrorCode.INSURANCE_INACTIVE,
        ErrorCode.UNPAID_TRAFFIC_FINES,
        ErrorCode.FINGERPRINT_NOT_REGISTERED,
    ]
    establishment.refresh_from_db()
    assert establishment.balance_halalas == balance
    assert ServiceRequest.objects.count() == 0


def test_insufficient_balance_is_a_blocker_before_anything_changes(hr_officer, establishment):
    poor = ResidentFactory(establishment=establishment)
    from muqeem.establishments.models import Establishment

    # Drain the balance through a real charge so the ledger still matches.
    Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=1000)
    with pytest.raises(EligibilityError) as exc:
        _renew(hr_officer, poor)
    assert [v.code for v in exc.value.violations] == [ErrorCode.INSUFFICIENT_BALANCE]


def test_another_establishments_resident_is_the_same_not_found_as_a_missing_one(
    hr_officer, other_resident
):
    with pytest.raises(DomainError) as foreign:
        iqama_renewal_check(
            actor=hr_officer, iqama_number=other_resident.iqama_number, period_months=12
        )
    with pytest.raises(DomainError) as missing:
        iqama_renewal_check(actor=hr_officer, iqama_number="2000000006", period_months=12)
    assert foreign.value.code == missing.value.code == ErrorCode.RESIDENT_NOT_FOUND
    assert foreign.value.as_dict() | {"request_id": ""} == missing.value.as_dict() | {
        "request_id": ""
    }
    with pytest.raises(DomainError) as renew_foreign:
        _renew(hr_officer, other_resident)
    assert renew_foreign.value.code == ErrorCode.RESIDENT_NOT_FOUND
    other_resident.refresh_from_db()
    assert other_resident.version == 1


@pytest.mark.parametrize("bad", ["123", "1000000008", "2000000007", "abcdefghij", ""])
def test_invalid_iqama_numbers_are_refused_with_a_clear_code(hr_officer, bad):
    with pytest.raises(DomainError) as exc:
        iqama_renewal_check(actor=hr_officer, iqama_number=bad, period_months=12)
    assert exc.value.code == ErrorCode.IQAMA_NUMBER_INVALID
    assert exc.value.messages["en"] and exc.value.messages["ar"]


def test_arabic_indic_digits_are_accepted(hr_officer, resident):
    arabic = resident.iqama_number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    check = iqama_renewal_check(actor=hr_officer, iqama_number=arabic, period_months=3)
    assert check.resident.pk == resident.pk


def test_late_penalty_counts_prior_late_renewals(hr_officer, establishment):
    late = ResidentFactory(
        establishment=establishment, iqama_expiry_date=_today() - timedelta(days=10)
    )
    first = _renew(hr_officer, late, months=3, key="late-1")
    assert {line["code"]: line["amount_halalas"] for line in first.request.fee_lines}[
        "late_renewal_fine"
    ] == 50000
    late.refresh_from_db()
    assert late.late_renewal_count == 1
    # An expired iqama is renewed from today.
    assert late.iqama_expiry_date == add_months(_today(), 3)

    late.iqama_expiry_date = _today() - timedelta(days=5)
    late.save()
    second = _renew(hr_officer, late, months=3, key="late-2")
    assert {line["code"]: line["amount_halalas"] for line in second.request.fee_lines}[
        "late_renewal_fine"
    ] == 100000

    late.refresh_from_db()
    late.iqama_expiry_date = _today() - timedelta(days=5)
    late.save()
    with pytest.raises(EligibilityError) as exc:
        _renew(hr_officer, late, months=3, key="late-3")
    assert ErrorCode.LATE_RENEWAL_LIMIT_REACHED in [v.code for v in exc.value.violations]


def test_within_grace_days_is_not_late(hr_officer, establishment):
    r = ResidentFactory(establishment=establishment, iqama_expiry_date=_today() - timedelta(days=2))
    result = _renew(hr_officer, r, months=3)
    assert "late_renewal_fine" not in {line["code"] for line in result.request.fee_lines}


def test_dependents_levy_is_charged_per_dependent_and_month(hr_officer, establishment):
    r = ResidentFactory(establishment=establishment)
    DependentFactory(resident=r)
    DependentFactory(resident=r)
    result = _renew(hr_officer, r, months=6)
    assert {line["code"]: line["amount_halalas"] for line in result.request.fee_lines}[
        "dependents_levy"
    ] == 2 * 6 * 40000


def test_check_changes_nothing_but_the_audit_trail(hr_officer, resident, establishment):
    iqama_renewal_check(actor=hr_officer, iqama_number=resident.iqama_number, period_months=12)
    resident.refresh_from_db()
    assert resident.version == 1
    assert ServiceRequest.objects.count() == 0
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.RESIDENT_ELIGIBILITY_CHECKED, resident=resident
        ).count()
        == 1
    )


def test_the_balance_debit_is_the_renewals_last_statement(hr_officer, resident, establishment):
    """ADR 0004: the resident's row first, the establishment's row only by the debit, last."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = establishment.balance_halalas
    with CaptureQueriesContext(connection) as ctx:
        result = _renew(hr_officer, resident)
    statements = [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN"))
    ]
    first_resident = next(i for i, s in enumerate(statements) if '"residents_resident"' in s)
    establishment_reads = [
        i
        for i, s in enumerate(statements)
        if s.startswith('UPDATE "establishments_establishment"')
        or 'FROM "establishments_establishment"' in s
    ]
    assert establishment_reads[0] > first_resident
    last = statements[-1]
    assert last.startswith('UPDATE "establishments_establishment" SET balance_halalas')
    assert "balance_halalas >=" in last and "suspended_at IS NULL" in last
    establishment.refresh_from_db()
    assert establishment.balance_halalas == before - result.request.fee_total_halalas


def test_a_debit_the_balance_no_longer_covers_leaves_nothing_behind(
    hr_officer, resident, establishment, monkeypatch
):
    """The early balance rule reads the balance without a lock; when another charge commits in
    between, the conditional debit refuses and the whole renewal rolls back."""
    from muqeem.eservices.iqama_renewal import services as renewal_services
    from muqeem.establishments.models import Establishment

    real_debit = renewal_services.establishment_balance_debit

    def drained_first(*, establishment, amount_halalas):  # type: ignore[no-untyped-def]
        Establishment.objects.filter(pk=establishment.pk).update(balance_halalas=amount_halalas - 1)
        real_debit(establishment=establishment, amount_halalas=amount_halalas)

    monkeypatch.setattr(renewal_services, "establishment_balance_debit", drained_first)
    version = resident.version
    with pytest.raises(DomainError) as refused:
        _renew(hr_officer, resident)
    assert refused.value.code == ErrorCode.INSUFFICIENT_BALANCE
    resident.refresh_from_db()
    assert resident.version == version
    assert not ServiceRequest.objects.exists()
    assert not LedgerJournal.objects.filter(kind="charge").exists()


def test_a_suspension_committed_before_the_debit_refuses_the_renewal(
    hr_officer, resident, establishment, monkeypatch
):
    """The establishment is read without a lock at the start; a suspension that commits before the
    debit still stops the charge, and nothing of the renewal is left."""
    from muqeem.eservices.iqama_renewal import services as renewal_services
    from muqeem.establishments.models import Establishment

    real_debit = renewal_services.establishment_balance_debit

    def suspended_first(*, establishment, amount_halalas):  # type: ignore[no-untyped-def]
        Establishment.objects.filter(pk=establishment.pk).update(
            suspended_at=timezone.now(), suspension_reason="audit"
        )
        real_debit(establishment=establishment, amount_halalas=amount_halalas)

    monkeypatch.setattr(renewal_services, "establishment_balance_debit", suspended_first)
    before = establishment.balance_halalas
    with pytest.raises(DomainError) as refused:
        _renew(hr_officer, resident)
    assert refused.value.code == ErrorCode.ESTABLISHMENT_SUSPENDED
    establishment.refresh_from_db()
    assert establishment.suspended_at is None  # rolled back with the rest
    assert establishment.balance_halalas == before
    assert not ServiceRequest.objects.exists()
