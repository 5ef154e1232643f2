from __future__ import annotations

from datetime import timedelta

import pytest

from muqeem.core.dates import today
from muqeem.exception_requests.models import ExceptionStatus
from muqeem.web.jobs import daily_jobs_run

from .conftest import approved

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days_after_validity", "status"),
    [(-1, ExceptionStatus.APPROVED), (0, ExceptionStatus.APPROVED), (1, ExceptionStatus.EXPIRED)],
)
def test_the_daily_job_records_approvals_past_their_validity_as_expired(
    hr_officer, supervisor, late_resident, days_after_validity, status
):
    exception = approved(hr_officer, supervisor, late_resident)
    assert exception.valid_until is not None and exception.valid_until >= today()
    run_on = exception.valid_until + timedelta(days=days_after_validity)
    first = daily_jobs_run(on=run_on)
    exception.refresh_from_db()
    assert exception.status == status
    assert first["exception_approvals_expired"] == (1 if status == ExceptionStatus.EXPIRED else 0)
    assert daily_jobs_run(on=run_on)["exception_approvals_expired"] == 0  # idempotent
