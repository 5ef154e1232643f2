"""Error codes, their catalogue, and the public shape of violations and domain errors.

Arabic translations may not be filled in yet, so these tests assert English text only; in Arabic they
check what does not depend on the translation (a message exists, dates and amounts are formatted).
"""

from __future__ import annotations

import json
import string
from datetime import date

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from muqeem.core.errors import (
    CATALOGUE,
    DomainError,
    EligibilityError,
    ErrorCode,
    NotFoundError,
    QuoteChanged,
    TransitionNotAllowed,
    Violation,
    http_status_for,
    render,
    render_bilingual,
    render_hint,
)
from muqeem.core.money import Money

ENVELOPE_KEYS = {"code", "message", "messages", "violations", "fields", "request_id"}
VIOLATION_KEYS = {"code", "message", "messages", "hint", "params"}


def _placeholders(code: ErrorCode) -> set[str]:
    template = str(CATALOGUE[code].text)
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _sample_params(code: ErrorCode) -> dict[str, str]:
    return {name: f"<{name}>" for name in _placeholders(code)}


def test_every_error_code_has_a_catalogue_entry():
    assert set(CATALOGUE) == set(ErrorCode)


@pytest.mark.parametrize("code", list(ErrorCode))
def test_error_code_value_is_its_own_name(code):
    # Clients branch on the code string; it must stay a stable, readable constant.
    assert code.value == code.name


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_message_renders_with_its_placeholders_filled(code):
    with translation.override("en"):
        text = render(code, _sample_params(code))
    assert text
    assert "{" not in text
    assert "}" not in text
    for name in _placeholders(code):
        assert f"<{name}>" in text


@pytest.mark.parametrize("code", list(ErrorCode))
def test_render_bilingual_returns_a_message_in_both_languages(code):
    messages = render_bilingual(code, _sample_params(code))
    assert set(messages) == {"ar", "en"}
    assert all(isinstance(text, str) and text for text in messages.values())
    with translation.override("en"):
        assert messages["en"] == render(code, _sample_params(code))


def test_render_bilingual_does_not_change_the_active_language():
    with translation.override("en"):
        render_bilingual(ErrorCode.NOT_FOUND)
        assert translation.get_language() == "en"


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_http_status_is_a_client_or_server_error(code):
    assert 400 <= http_status_for(code) < 600


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (ErrorCode.VALIDATION_FAILED, 400),
        (ErrorCode.NOT_FOUND, 404),
        (ErrorCode.RESIDENT_NOT_FOUND, 404),
        (ErrorCode.PERMISSION_DENIED, 403),
        (ErrorCode.SECURITY_CODE_REQUIRED, 403),
        (ErrorCode.ELIGIBILITY_FAILED, 422),
        (ErrorCode.TRANSITION_NOT_ALLOWED, 409),
        (ErrorCode.QUOTE_CHANGED, 409),
        (ErrorCode.SECURITY_CODE_ATTEMPTS_EXCEEDED, 429),
        (ErrorCode.INTERNAL_ERROR, 500),
        (ErrorCode.PASSPORT_EXPIRED, 400),
    ],
)
def test_http_status_for_code(code, status):
    assert http_status_for(code) == status


def test_dates_in_messages_show_gregorian_and_hijri_in_each_language():
    messages = render_bilingual(ErrorCode.PASSPORT_EXPIRED, {"expiry": date(2026, 2, 18)})
    assert messages["en"] == "The passport expired on 18/02/2026 (01/09/1447 AH)."
    assert "18/02/2026م الموافق 01/09/1447هـ" in messages["ar"]


def test_amounts_in_messages_are_formatted_in_each_language():
    messages = render_bilingual(ErrorCode.UNPAID_TRAFFIC_FINES, {"amount": Money(150000)})
    assert messages["en"] == "The resident has unpaid traffic violations of SAR 1,500.00."
    assert "1,500.00 ريال" in messages["ar"]


def test_render_hint_is_none_for_codes_without_a_hint():
    assert render_hint(ErrorCode.NOT_FOUND) is None
    with translation.override("en"):
        assert render_hint(ErrorCode.FINGERPRINT_NOT_REGISTERED) == (
            "The resident must register fingerprints at a passports office."
        )


def test_violation_as_dict_shape():
    violation = Violation(
        ErrorCode.INSUFFICIENT_BALANCE, {"balance": Money(10000), "total": Money(258800)}
    )
    with translation.override("en"):
        data = violation.as_dict()
    assert set(data) == VIOLATION_KEYS
    assert data["code"] == "INSUFFICIENT_BALANCE"
    assert data["message"] == "The balance (SAR 100.00) does not cover the fees (SAR 2,588.00)."
    assert set(data["messages"]) == {"ar", "en"}
    assert data["messages"]["en"] == data["message"]
    assert set(data["hint"]) == {"ar", "en"}
    assert data["hint"]["en"] == (
        "Top up the government payments balance with a SADAD bill, then try again."
    )
    assert data["params"] == {"balance": 10000, "total": 258800}


def test_violation_without_a_hint_has_hint_none():
    data = Violation(ErrorCode.NOT_FOUND).as_dict()
    assert data["hint"] is None
    assert data["params"] == {}


def test_violation_params_are_plain_json_values():
    violation = Violation(
        ErrorCode.TRANSITION_NOT_ALLOWED,
        {"action": gettext_lazy("cancelled"), "status": "completed"},
    )
    with translation.override("en"):
        params = violation.as_dict()["params"]
    assert params == {"action": "cancelled", "status": "completed"}
    dated = Violation(ErrorCode.PASSPORT_EXPIRED, {"expiry": date(2026, 2, 18)}).as_dict()
    assert dated["params"] == {"expiry": "2026-02-18"}
    counted = Violation(ErrorCode.LATE_RENEWAL_LIMIT_REACHED, {"count": 2}).as_dict()
    assert counted["params"] == {"count": 2}
    json.dumps([params, dated, counted])


def test_domain_error_as_dict_envelope():
    violation = Violation(ErrorCode.FINGERPRINT_NOT_REGISTERED)
    error = DomainError(
        ErrorCode.VALIDATION_FAILED,
        violations=[violation],
        fields={"iqama_number": ("Enter 10 digits.",)},
    )
    with translation.override("en"):
        data = error.as_dict(request_id="req-123")
        expected_violation = violation.as_dict()
    assert set(data) == ENVELOPE_KEYS
    assert data["code"] == "VALIDATION_FAILED"
    assert data["message"] == "Some fields are not valid."
    assert set(data["messages"]) == {"ar", "en"}
    assert data["messages"]["en"] == "Some fields are not valid."
    assert data["violations"] == [expected_violation]
    assert data["fields"] == {"iqama_number": ["Enter 10 digits."]}
    assert data["request_id"] == "req-123"
    json.dumps(data)


def test_domain_error_defaults():
    error = DomainError()
    data = error.as_dict()
    assert set(data) == ENVELOPE_KEYS
    assert data["code"] == "VALIDATION_FAILED"
    assert data["violations"] == []
    assert data["fields"] == {}
    assert data["request_id"] == ""
    assert error.http_status == 400
    assert str(error) == "VALIDATION_FAILED"


def test_domain_error_renders_its_params():
    error = TransitionNotAllowed(params={"action": "cancelled", "status": "completed"})
    with translation.override("en"):
        assert error.message == "This request cannot be cancelled while it is completed."
        assert error.as_dict()["message"] == error.message
    assert error.http_status == 409


@pytest.mark.parametrize(
    ("error_class", "code", "status"),
    [
        (NotFoundError, ErrorCode.NOT_FOUND, 404),
        (TransitionNotAllowed, ErrorCode.TRANSITION_NOT_ALLOWED, 409),
        (QuoteChanged, ErrorCode.QUOTE_CHANGED, 409),
    ],
)
def test_domain_error_subclasses_carry_their_default_code(error_class, code, status):
    error = error_class()
    assert error.code == code
    assert error.http_status == status
    assert isinstance(error, DomainError)


def test_an_explicit_code_overrides_the_default():
    assert NotFoundError(ErrorCode.RESIDENT_NOT_FOUND).code == ErrorCode.RESIDENT_NOT_FOUND


def test_eligibility_error_lists_every_violation_in_order():
    violations = [
        Violation(ErrorCode.INSURANCE_INACTIVE),
        Violation(ErrorCode.UNPAID_TRAFFIC_FINES, {"amount": Money(30000)}),
        Violation(ErrorCode.FINGERPRINT_NOT_REGISTERED),
    ]
    error = EligibilityError(violations)
    data = error.as_dict(request_id="r1")
    assert error.code == ErrorCode.ELIGIBILITY_FAILED
    assert error.http_status == 422
    assert [v["code"] for v in data["violations"]] == [
        "INSURANCE_INACTIVE",
        "UNPAID_TRAFFIC_FINES",
        "FINGERPRINT_NOT_REGISTERED",
    ]
    assert data["violations"][1]["params"] == {"amount": 30000}
