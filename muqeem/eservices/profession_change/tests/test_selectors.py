from __future__ import annotations

import pytest

from muqeem.eservices.profession_change.selectors import (
    active_professions,
    pending_transfer_exists,
    profession_history_for,
)
from muqeem.eservices.profession_change.services import profession_change
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_transfer_waiting_for_an_answer_is_pending(resident, other_establishment, hr_officer):
    from muqeem.eservices.service_transfer.services import transfer_reject, transfer_request_create

    assert pending_transfer_exists(resident) is False
    new_sponsor = UserFactory(establishment=other_establishment)
    transfer = transfer_request_create(
        actor=new_sponsor,
        iqama_number=resident.iqama_number,
        sponsor_moi=resident.establishment.moi_number,
        idempotency_key="pending",
    ).transfer
    assert pending_transfer_exists(resident) is True
    transfer_reject(actor=hr_officer, number=transfer.request.number, reason="No")
    assert pending_transfer_exists(resident) is False


def test_active_professions_leave_out_withdrawn_ones(worker, electrician, driver):
    driver.is_active = False
    driver.save()
    codes = [p.code for p in active_professions()]
    assert worker.code in codes and electrician.code in codes and driver.code not in codes
    assert codes == sorted(codes)


def test_history_newest_first_and_a_former_sponsor_sees_only_its_own_changes(
    hr_officer, other_officer, resident, other_establishment, driver, worker, electrician
):
    profession_change(
        actor=hr_officer,
        iqama_number=resident.iqama_number,
        new_profession_code=driver.code,
        idempotency_key="h1",
    )
    rows = profession_history_for(actor=hr_officer, resident=resident)
    assert [(r.old_code, r.new_code, r.correction) for r in rows] == [
        (electrician.code, driver.code, False)
    ]
    assert rows[0].new_profession == driver and rows[0].fee_halalas == 200_000

    # The resident moves to another establishment, which changes the profession again.
    resident.establishment = other_establishment
    resident.save()
    profession_change(
        actor=other_officer,
        iqama_number=resident.iqama_number,
        new_profession_code=worker.code,
        idempotency_key="h2",
    )
    assert [r.new_code for r in profession_history_for(actor=other_officer, resident=resident)] == [
        worker.code,
        driver.code,
    ]
    assert [r.new_code for r in profession_history_for(actor=hr_officer, resident=resident)] == [
        driver.code
    ]
