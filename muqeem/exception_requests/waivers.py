"""What an exception request can waive: the directorate's own refusals, one table.

Each waivable refusal belongs to one service. An approval lets one transaction of that service
through for that resident despite the refusal, except a fine waiver, which is applied when it is
approved (the fines are marked waived and stop blocking). Unpaid traffic fines are the traffic
department's, so an approval only lets one renewal through (a fine under objection, say); the fines
stay owed. Every other refusal (an expired passport, an insufficient balance, a lapsed insurance…)
cannot be waived: EXCEPTION_NOT_WAIVABLE.

There is no over-age rule among the services' rules, so none is listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from muqeem.core.errors import ErrorCode
from muqeem.workflow.machine import ServiceType


@dataclass(frozen=True)
class Waiver:
    code: ErrorCode
    service_type: ServiceType
    waives: Promise
    # Applied when approved (a fine waiver) instead of by the service's next transaction.
    on_approval: bool = False


WAIVERS: dict[ErrorCode, Waiver] = {
    w.code: w
    for w in (
        Waiver(
            ErrorCode.LATE_RENEWAL_LIMIT_REACHED,
            ServiceType.IQAMA_RENEWAL,
            _("A late renewal beyond the limit allowed online (the third late renewal)"),
        ),
        Waiver(
            ErrorCode.UNPAID_TRAFFIC_FINES,
            ServiceType.IQAMA_RENEWAL,
            _(
                "Renewing the iqama while traffic fines are unpaid (the fines stay owed to the "
                "traffic department)"
            ),
        ),
        Waiver(
            ErrorCode.VISA_EXTENSION_WINDOW_PASSED,
            ServiceType.EXIT_REENTRY_EXTEND,
            _("Extending a visa after its extension deadline"),
        ),
        Waiver(
            ErrorCode.VISA_CANCEL_WINDOW_PASSED,
            ServiceType.EXIT_REENTRY_CANCEL,
            _("Cancelling an unused visa after its cancellation deadline"),
        ),
        Waiver(
            ErrorCode.FINAL_EXIT_CANCEL_WINDOW_PASSED,
            ServiceType.FINAL_EXIT_CANCEL,
            _("Cancelling a final exit free of charge after its free cancellation period"),
        ),
        Waiver(
            ErrorCode.UNPAID_VISA_FINE,
            ServiceType.EXIT_REENTRY_ISSUE,
            _("The fine of a visa that expired unused (force majeure)"),
            on_approval=True,
        ),
    )
}


def waiver_for(code: str) -> Waiver | None:
    try:
        return WAIVERS.get(ErrorCode(code))
    except ValueError:
        return None


def waivable_codes(service_type: str) -> frozenset[str]:
    return frozenset(str(w.code) for w in WAIVERS.values() if w.service_type == service_type)


def covers(waived: Iterable[str], refused: Iterable[str]) -> bool:
    """True when every refusal is one the exception waives (and there is at least one)."""
    refused = set(refused)
    return bool(refused) and refused <= set(waived)
