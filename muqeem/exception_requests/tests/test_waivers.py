"""The table of what an exception request can waive, as a table."""

from __future__ import annotations

import pytest

from muqeem.core.errors import ErrorCode
from muqeem.exception_requests.waivers import WAIVERS, covers, waivable_codes, waiver_for
from muqeem.workflow.machine import ServiceType


@pytest.mark.parametrize(
    ("code", "service", "on_approval"),
    [
        (ErrorCode.LATE_RENEWAL_LIMIT_REACHED, ServiceType.IQAMA_RENEWAL, False),
        (ErrorCode.UNPAID_TRAFFIC_FINES, ServiceType.IQAMA_RENEWAL, False),
        (ErrorCode.VISA_EXTENSION_WINDOW_PASSED, ServiceType.EXIT_REENTRY_EXTEND, False),
        (ErrorCode.VISA_CANCEL_WINDOW_PASSED, ServiceType.EXIT_REENTRY_CANCEL, False),
        (ErrorCode.FINAL_EXIT_CANCEL_WINDOW_PASSED, ServiceType.FINAL_EXIT_CANCEL, False),
        (ErrorCode.UNPAID_VISA_FINE, ServiceType.EXIT_REENTRY_ISSUE, True),
    ],
)
def test_waivable_refusals_and_their_service(code, service, on_approval):
    waiver = waiver_for(code)
    assert waiver is not None
    assert waiver.service_type == service
    assert waiver.on_approval is on_approval
    assert str(code) in waivable_codes(service)
    assert str(waiver.waives)


@pytest.mark.parametrize(
    "code",
    [
        ErrorCode.PASSPORT_EXPIRED,
        ErrorCode.INSUFFICIENT_BALANCE,
        ErrorCode.IQAMA_EXPIRED,
        ErrorCode.ABSENT_FROM_WORK_REPORTED,
        "NOT_A_CODE",
    ],
)
def test_other_refusals_cannot_be_waived(code):
    assert waiver_for(code) is None


def test_every_waiver_has_its_own_code():
    assert len(WAIVERS) == 6
    assert all(w.code == code for code, w in WAIVERS.items())


@pytest.mark.parametrize(
    ("waived", "refused", "expected"),
    [
        (["A"], ["A"], True),
        (["A", "B"], ["A"], True),
        (["A"], ["A", "B"], False),
        (["A"], [], False),
        ([], ["A"], False),
    ],
)
def test_covers_needs_every_refusal_waived(waived, refused, expected):
    assert covers(waived, refused) is expected
