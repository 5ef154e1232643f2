from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.authority import services
from muqeem.authority.selectors import resident_file_for_staff, schedule_overview
from muqeem.core.errors import DomainError, ErrorCode, QuoteChanged
from muqeem.eservices.iqama_renewal.services import iqama_renew, iqama_renewal_check
from muqeem.fees.models import ScheduleEntry
from muqeem.fees.selectors import schedule_at
from muqeem.residents.models import Nationality, ResidentHistoryEntry, ResidentHistoryKind
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory

from .conftest import staff_user

pytestmark = pytest.mark.django_db

RIYADH = ZoneInfo("Asia/Riyadh")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=RIYADH)
FEE = "renewal.iqama_fee_per_year"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=RIYADH)


# --- Schedule ---------------------------------------------------------------------------------


def test_a_change_takes_effect_exactly_on_its_date(supervisor):
    with time_machine.travel(MONDAY, tick=False):
        tomorrow = MONDAY.date() + timedelta(days=1)
        services.schedule_change_schedule(
            actor=supervisor, key_name=FEE, value_text="700", effective_from=tomorrow
        )
        before = schedule_at(MONDAY.date())[FEE]
    with time_machine.travel(_at(MONDAY.date(), 23).replace(minute=59), tick=False):
        assert schedule_at(date.today())[FEE] == before
    with time_machine.travel(_at(tomorrow, 0), tick=False):
        assert schedule_at(tomorrow)[FEE] == 70000
    assert before != 70000
    assert schedule_at(MONDAY.date())[FEE] == before  # history is unchanged


def test_a_quote_spanning_the_change_is_requoted_not_charged_differently(
    supervisor, hr_officer, establishment
):
    resident = ResidentFactory(establishment=establishment)
    tomorrow = MONDAY.date() + timedelta(days=1)
    with time_machine.travel(_at(MONDAY.date(), 23), tick=False):
        services.schedule_change_schedule(
            actor=supervisor, key_name=FEE, value_text="700", effective_from=tomorrow
        )
        check = iqama_renewal_check(
            actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
        )
    with time_machine.travel(_at(tomorrow, 0), tick=False):
        balance = type(establishment).objects.get(pk=establishment.pk).balance_halalas
        with pytest.raises(QuoteChanged):
            iqama_renew(
                actor=hr_officer,
                iqama_number=resident.iqama_number,
                period_months=12,
                idempotency_key="spanning",
                expected_version=check.resident.version,
                expected_total_halalas=check.quote.total_halalas,
            )
        assert type(establishment).objects.get(pk=establishment.pk).balance_halalas == balance
        assert not ServiceRequest.objects.exists()
        requote = iqama_renewal_check(
            actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
        )
        assert requote.quote.total_halalas - check.quote.total_halalas == 70000 - 65000
        result = iqama_renew(
            actor=hr_officer,
            iqama_number=resident.iqama_number,
            period_months=12,
            idempotency_key="requoted",
            expected_version=requote.resident.version,
            expected_total_halalas=requote.quote.total_halalas,
        )
        assert result.request.fee_total_halalas == requote.quote.total_halalas


@pytest.mark.parametrize(
    ("days_ahead", "text", "code"),
    [
        (0, "700", ErrorCode.SCHEDULE_DATE_NOT_FUTURE),
        (-30, "700", ErrorCode.SCHEDULE_DATE_NOT_FUTURE),
        (1, "seven hundred", ErrorCode.SCHEDULE_VALUE_INVALID),
        (1, "-700", ErrorCode.SCHEDULE_VALUE_INVALID),
    ],
)
def test_bad_schedule_changes_are_refused_and_change_nothing(supervisor, days_ahead, text, code):
    count = ScheduleEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        services.schedule_change_schedule(
            actor=supervisor,
            key_name=FEE,
            value_text=text,
            effective_from=date.today() + timedelta(days=days_ahead),
        )
    assert exc.value.code == code
    assert ScheduleEntry.objects.count() == count


def test_two_changes_on_one_date_and_unknown_keys_are_refused(supervisor):
    day = date.today() + timedelta(days=3)
    services.schedule_change_schedule(
        actor=supervisor, key_name=FEE, value_text="700", effective_from=day
    )
    with pytest.raises(DomainError) as exc:
        services.schedule_change_schedule(
            actor=supervisor, key_name=FEE, value_text="710", effective_from=day
        )
    assert exc.value.code == ErrorCode.SCHEDULE_DATE_TAKEN
    with pytest.raises(DomainError) as exc:
        services.schedule_change_schedule(
            actor=supervisor, key_name="no.such", value_text="1", effective_from=day
        )
    assert exc.value.code == ErrorCode.SCHEDULE_KEY_UNKNOWN


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_only_a_supervisor_changes_the_schedule(db, role):
    with pytest.raises(DomainError) as exc:
        services.schedule_change_schedule(
            actor=staff_user(role),
            key_name=FEE,
            value_text="700",
            effective_from=date.today() + timedelta(days=2),
        )
    assert exc.value.code == ErrorCode.STAFF_ROLE_NOT_ALLOWED
    assert not ScheduleEntry.objects.filter(created_by__isnull=False).exists()


def test_overview_shows_the_value_in_force_and_the_next_change(supervisor):
    day = date.today() + timedelta(days=5)
    services.schedule_change_schedule(
        actor=supervisor, key_name=FEE, value_text="700", effective_from=day
    )
    row = next(r for r in schedule_overview() if r.key.name == FEE)
    assert row.current == schedule_at(date.today())[FEE]
    assert row.next_entry is not None and row.next_entry.effective_from == day
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.SCHEDULE_CHANGE_SCHEDULED, actor_user=supervisor
    ).exists()


def test_a_scheduled_change_can_be_withdrawn_before_it_applies_only(supervisor):
    entry = services.schedule_change_schedule(
        actor=supervisor,
        key_name=FEE,
        value_text="700",
        effective_from=date.today() + timedelta(days=2),
    )
    services.schedule_change_cancel(actor=supervisor, entry_id=entry.pk)
    assert not ScheduleEntry.objects.filter(pk=entry.pk).exists()
    in_force = ScheduleEntry.objects.filter(key=FEE).first()
    assert in_force is not None
    with pytest.raises(DomainError):
        services.schedule_change_cancel(actor=supervisor, entry_id=in_force.pk)


# --- Suspension -------------------------------------------------------------------------------


def test_suspension_blocks_transactions_with_the_reason_and_reactivation_lifts_it(
    supervisor, hr_officer, establishment, resident
):
    services.establishment_suspend(
        actor=supervisor, establishment_id=establishment.pk, reason="Unpaid government dues"
    )
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
    )  # reads still work
    with pytest.raises(DomainError) as exc:
        iqama_renew(
            actor=hr_officer,
            iqama_number=resident.iqama_number,
            period_months=12,
            idempotency_key="while-suspended",
        )
    assert exc.value.code == ErrorCode.ESTABLISHMENT_SUSPENDED
    assert "Unpaid government dues" in exc.value.messages["en"]
    assert exc.value.messages["ar"] != exc.value.messages["en"]
    assert not ServiceRequest.objects.exists()

    services.establishment_reactivate(
        actor=supervisor, establishment_id=establishment.pk, reason="Dues paid"
    )
    iqama_renew(
        actor=hr_officer,
        iqama_number=resident.iqama_number,
        period_months=12,
        idempotency_key="after",
        expected_total_halalas=check.quote.total_halalas,
    )
    assert ServiceRequest.objects.count() == 1
    types = list(
        AuditEvent.objects.filter(actor_user=supervisor)
        .order_by("pk")
        .values_list("event_type", flat=True)
    )
    assert types == [
        AuditEventType.ESTABLISHMENT_SUSPENDED,
        AuditEventType.ESTABLISHMENT_REACTIVATED,
    ]


def test_suspension_needs_a_reason_and_a_supervisor(supervisor, operator, establishment):
    with pytest.raises(DomainError) as exc:
        services.establishment_suspend(
            actor=supervisor, establishment_id=establishment.pk, reason="  "
        )
    assert exc.value.code == ErrorCode.REASON_REQUIRED
    with pytest.raises(DomainError) as exc:
        services.establishment_suspend(
            actor=operator, establishment_id=establishment.pk, reason="x"
        )
    assert exc.value.code == ErrorCode.STAFF_ROLE_NOT_ALLOWED
    with pytest.raises(DomainError) as exc:
        services.establishment_reactivate(
            actor=supervisor, establishment_id=establishment.pk, reason="x"
        )
    assert exc.value.code == ErrorCode.ESTABLISHMENT_NOT_SUSPENDED
    establishment.refresh_from_db()
    assert establishment.suspended_at is None


# --- Resident corrections and reads ----------------------------------------------------------


def test_a_correction_keeps_old_and_new_values_and_the_reason(operator, resident):
    version = resident.version
    other = Nationality.objects.exclude(
        pk=resident.nationality_id
    ).first() or Nationality.objects.create(code="ZZZ", name_ar="س", name_en="Z")
    services.resident_correct(
        actor=operator,
        resident_id=resident.pk,
        changes={"name_en": "Corrected Name", "nationality": other, "name_ar": resident.name_ar},
        reason="Passport copy shows the right spelling",
    )
    resident.refresh_from_db()
    assert resident.name_en == "Corrected Name"
    assert resident.nationality_id == other.pk
    assert resident.version == version + 1
    entry = ResidentHistoryEntry.objects.get(
        resident=resident, kind=ResidentHistoryKind.DATA_CORRECTED
    )
    assert set(entry.old) == {"name_en", "nationality"}
    assert entry.new["name_en"] == "Corrected Name"
    assert entry.new["reason"] == "Passport copy shows the right spelling"
    event = AuditEvent.objects.get(event_type=AuditEventType.RESIDENT_DATA_CORRECTED)
    assert event.extra_data == {"fields": ["name_en", "nationality"]}


@pytest.mark.parametrize(
    ("changes", "reason", "code"),
    [
        ({"name_en": "X"}, "", ErrorCode.REASON_REQUIRED),
        ({"iqama_expiry_date": date(2030, 1, 1)}, "r", ErrorCode.VALIDATION_FAILED),
        ({"status": "final_exit"}, "r", ErrorCode.VALIDATION_FAILED),
    ],
)
def test_bad_corrections_change_nothing(operator, resident, changes, reason, code):
    before = (resident.name_en, resident.iqama_expiry_date, resident.status, resident.version)
    with pytest.raises(DomainError) as exc:
        services.resident_correct(
            actor=operator, resident_id=resident.pk, changes=changes, reason=reason
        )
    assert exc.value.code == code
    resident.refresh_from_db()
    assert (
        resident.name_en,
        resident.iqama_expiry_date,
        resident.status,
        resident.version,
    ) == before


def test_an_unchanged_correction_and_an_auditor_are_refused(operator, auditor, resident):
    with pytest.raises(DomainError) as exc:
        services.resident_correct(
            actor=operator,
            resident_id=resident.pk,
            changes={"name_en": resident.name_en},
            reason="r",
        )
    assert exc.value.code == ErrorCode.CORRECTION_NOTHING_CHANGED
    with pytest.raises(DomainError) as exc:
        services.resident_correct(
            actor=auditor, resident_id=resident.pk, changes={"name_en": "Y"}, reason="r"
        )
    assert exc.value.code == ErrorCode.STAFF_ROLE_NOT_ALLOWED


def test_opening_a_residents_file_in_the_console_is_audited(auditor, resident):
    assert resident_file_for_staff(actor=auditor, resident_id=resident.pk) is not None
    event = AuditEvent.objects.get(event_type=AuditEventType.RESIDENT_VIEWED)
    assert event.actor_user == auditor
    assert event.resident == resident
