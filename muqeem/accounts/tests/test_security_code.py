from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from muqeem.accounts.models import SecurityCode
from muqeem.accounts.security_code import security_code_send, security_code_verify
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db


def _sent_code(mobile: str) -> str:
    lines = [
        json.loads(x) for x in settings.SMS_FILE_PATH.read_text(encoding="utf-8").splitlines() if x
    ]
    body = [m for m in lines if m["to"] == mobile][-1]["body"]
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def send(hr_officer, django_capture_on_commit_callbacks):
    def _do(session: str = "session-a") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            security_code_send(user=hr_officer, session_key=session)
        return _sent_code(hr_officer.establishment.registered_mobile)

    return _do


def test_code_is_six_digits_sent_to_registered_mobile_and_stored_only_hashed(hr_officer, send):
    code = send()
    record = SecurityCode.objects.get(user=hr_officer)
    assert len(code) == 6 and code.isdigit()
    assert code not in record.code_hash
    assert record.sent_to == hr_officer.establishment.registered_mobile
    assert code not in SmsMessage.objects.get().body  # the outbox keeps a redacted copy
    assert AuditEvent.objects.filter(event_type=AuditEventType.SECURITY_CODE_SENT).count() == 1


def test_correct_code_verifies_once_only(hr_officer, send):
    code = send()
    security_code_verify(user=hr_officer, session_key="session-a", code=code)
    with pytest.raises(DomainError) as exc:
        security_code_verify(user=hr_officer, session_key="session-a", code=code)
    assert exc.value.code == ErrorCode.SECURITY_CODE_EXPIRED


def test_code_is_not_valid_in_another_session(hr_officer, send):
    code = send("session-a")
    with pytest.raises(DomainError) as exc:
        security_code_verify(user=hr_officer, session_key="session-b", code=code)
    assert exc.value.code == ErrorCode.SECURITY_CODE_EXPIRED
    # ...and is still good in its own session.
    security_code_verify(user=hr_officer, session_key="session-a", code=code)


def test_code_expires_after_five_minutes(hr_officer, send):
    code = send()
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)),
        pytest.raises(DomainError) as exc,
    ):
        security_code_verify(user=hr_officer, session_key="session-a", code=code)
    assert exc.value.code == ErrorCode.SECURITY_CODE_EXPIRED


def test_code_still_valid_just_before_five_minutes(hr_officer, send):
    code = send()
    with time_machine.travel(timezone.now() + timedelta(minutes=4, seconds=50)):
        security_code_verify(user=hr_officer, session_key="session-a", code=code)


def test_five_wrong_attempts_burn_the_code(hr_officer, send):
    code = send()
    wrong = "000000" if code != "000000" else "111111"
    remaining = []
    for _ in range(4):
        with pytest.raises(DomainError) as exc:
            security_code_verify(user=hr_officer, session_key="session-a", code=wrong)
        assert exc.value.code == ErrorCode.SECURITY_CODE_INVALID
        remaining.append(exc.value.params["remaining"])
    assert remaining == [4, 3, 2, 1]
    with pytest.raises(DomainError) as exc:
        security_code_verify(user=hr_officer, session_key="session-a", code=wrong)
    assert exc.value.code == ErrorCode.SECURITY_CODE_ATTEMPTS_EXCEEDED
    # Even the right code is refused now: a new one must be requested.
    with pytest.raises(DomainError) as exc:
        security_code_verify(user=hr_officer, session_key="session-a", code=code)
    assert exc.value.code == ErrorCode.SECURITY_CODE_EXPIRED
    assert SecurityCode.objects.get().attempts == 5


def test_three_resends_allowed_per_fifteen_minutes(hr_officer, send):
    for _ in range(4):  # the first code and three resends
        send()
    with pytest.raises(DomainError) as exc:
        send()
    assert exc.value.code == ErrorCode.SECURITY_CODE_RESEND_LIMIT
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        send()
    assert SecurityCode.objects.count() == 5


def test_a_resend_retires_the_previous_code(hr_officer, send):
    old = send()
    new = send()
    if old != new:
        with pytest.raises(DomainError):
            security_code_verify(user=hr_officer, session_key="session-a", code=old)
    security_code_verify(user=hr_officer, session_key="session-a", code=new)


def test_establishment_without_mobile_gets_a_clear_error(hr_officer):
    hr_officer.establishment.registered_mobile = ""
    hr_officer.establishment.save()
    with pytest.raises(DomainError) as exc:
        security_code_send(user=hr_officer, session_key="s")
    assert exc.value.code == ErrorCode.NO_REGISTERED_MOBILE
