"""Fixtures for exception requests: residents refused for a waivable reason, staff of each role,
files of each kind, and a private media folder and SMS outbox per test."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.core.dates import today
from muqeem.eservices.exit_reentry.models import DurationUnit, Visa, VisaType
from muqeem.exception_requests.services import (
    Upload,
    exception_request_approve,
    exception_request_file,
)
from muqeem.fees.models import FeeCode
from muqeem.fees.selectors import schedule_at
from muqeem.fees.services import penalty_record
from muqeem.workflow.machine import RequestStatus, ServiceType
from muqeem.workflow.models import ServiceRequest
from tests.factories import ResidentFactory, UserFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32

_keys = count(1)


def upload(content: bytes = PDF, name: str = "letter.pdf") -> Upload:
    return Upload(name=name, size=len(content), stream=io.BytesIO(content))


def outbox(settings) -> list[dict]:
    path = settings.SMS_FILE_PATH
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def file_request(officer, resident, code="LATE_RENEWAL_LIMIT_REACHED", **kw):
    kw.setdefault("reason", "The resident was in hospital when the iqama expired.")
    codes = [code] if isinstance(code, str) else list(code)
    return exception_request_file(
        actor=officer, iqama_number=resident.iqama_number, codes=codes, **kw
    )


def approved(officer, supervisor, resident, code="LATE_RENEWAL_LIMIT_REACHED"):
    exception = file_request(officer, resident, code=code)
    return exception_request_approve(actor=supervisor, number=exception.number, reason="ok")


def old_unused_visa(officer, resident) -> Visa:
    """An unused visa issued long enough ago that its cancellation window has passed."""
    on = today()
    window = schedule_at(on).int("visa.cancel_window_days")
    now = timezone.now()
    request = ServiceRequest.objects.create(
        service_type=ServiceType.EXIT_REENTRY_ISSUE,
        establishment=resident.establishment,
        resident=resident,
        status=RequestStatus.COMPLETED,
        submitted_by=officer,
        idempotency_key=f"old-visa-{next(_keys)}",
        payload_hash="x",
        created_at=now,
        updated_at=now,
    )
    return Visa.objects.create(
        request=request,
        establishment=resident.establishment,
        resident=resident,
        visa_type=VisaType.SINGLE,
        duration_unit=DurationUnit.MONTHS,
        duration_value=2,
        months_charged=2,
        issued_on=on - timedelta(days=window + 5),
        travel_by=on + timedelta(days=30),
        passport_number=resident.passport_number,
    )


@pytest.fixture(autouse=True)
def _private_media_and_outbox(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"


@pytest.fixture
def late_resident(establishment):
    """Renewed late twice already, and late again: the third late renewal is refused online."""
    return ResidentFactory(
        establishment=establishment,
        iqama_expiry_date=today() - timedelta(days=10),
        late_renewal_count=2,
    )


@pytest.fixture
def fined_resident(establishment):
    """An earlier visa expired unused and its fine is unpaid."""
    resident = ResidentFactory(
        establishment=establishment,
        iqama_expiry_date=today() + timedelta(days=400),
        passport_expiry_date=today() + timedelta(days=1500),
        insurance_expiry_date=today() + timedelta(days=400),
    )
    penalty_record(
        establishment_id=establishment.pk,
        resident=resident,
        fee_code=FeeCode.UNUSED_VISA_FINE,
        amount_halalas=100_000,
        source_key=f"test-visa-unused:{resident.pk}",
        recorded_on=today() - timedelta(days=30),
    )
    return resident


def _staff(role: str):
    return UserFactory(establishment=None, is_staff=True, staff_role=role)


@pytest.fixture
def supervisor(db):
    return _staff("supervisor")


@pytest.fixture
def operator(db):
    return _staff("operator")


@pytest.fixture
def auditor(db):
    return _staff("auditor")


@pytest.fixture
def officer_client(client, hr_officer):
    client.force_login(hr_officer)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client
