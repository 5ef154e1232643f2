"""Small helpers the operations share."""

from __future__ import annotations

from muqeem.core.ids import public_number
from muqeem.workflow.models import REQUEST_NUMBER_BASE

EXAMPLE_IQAMA = "2123456788"
EXAMPLE_REQUEST = "1000000042"
EXAMPLE_VISA = "5000000017"
EXAMPLE_FINAL_EXIT = "6000000003"


def request_number_of(request_id: int | None) -> str | None:
    """A request's public number from its id, without loading the request."""
    return public_number(request_id, REQUEST_NUMBER_BASE) if request_id else None
