"""Refusals that belong to bulk files (a file that cannot be read, a row that cannot be understood).

Everything a service refuses keeps the service's own code (`core.errors.ErrorCode`); these codes
cover only what happens before a service is asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from muqeem.core.errors import DomainError, ErrorCode, Violation

# The bulk codes live in the shared catalogue (`core.errors`), like every other code.
BulkErrorCode = ErrorCode


class BulkError(DomainError):
    """A refusal of a whole file or batch."""

    def __init__(self, code: ErrorCode, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code, {k: str(v) for k, v in (params or {}).items()})

    def as_row_dict(self) -> dict[str, Any]:
        return {"code": str(self.code), "messages": self.messages, "hints": self.hints}


# --- Row violations as stored in `BulkRow.violations` -------------------------------------------


def violation_dict(violation: Violation) -> dict[str, Any]:
    return {"code": str(violation.code), "messages": violation.messages, "hints": violation.hints}


def domain_error_dicts(error: DomainError) -> list[dict[str, Any]]:
    """Every violation an `EligibilityError` carries, or the refusal itself."""
    if error.violations:
        return [violation_dict(v) for v in error.violations]
    return [{"code": str(error.code), "messages": error.messages, "hints": error.hints}]


def bulk_violation(code: BulkErrorCode, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return BulkError(code, params).as_row_dict()


def field_violation(messages: dict[str, str]) -> dict[str, Any]:
    return {"code": str(ErrorCode.VALIDATION_FAILED), "messages": messages, "hints": None}


def code_violation(code: ErrorCode) -> dict[str, Any]:
    return violation_dict(Violation(code))
