"""The daily job: everything that happens because a day has passed. Each part is idempotent and
depends only on the records and the date, so it is safe to run twice, late, or after a gap."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from muqeem.alerts.services import alerts_daily_run
from muqeem.api.services import idempotency_records_purge
from muqeem.audit.chain import audit_seal_run
from muqeem.eservices.exit_reentry.services import visas_daily_run
from muqeem.eservices.final_exit.services import final_exits_daily_run
from muqeem.eservices.service_transfer.services import transfers_expire_run
from muqeem.exception_requests.services import exception_requests_expire_run
from muqeem.notifications.services import sms_outbox_redact
from muqeem.webhooks.services import webhook_deliveries_retry_due


def daily_jobs_run(*, on: date) -> dict[str, Any]:
    visas = visas_daily_run(on=on)
    final_exits = final_exits_daily_run(on=on)
    transfers = transfers_expire_run(on=on)
    exceptions = exception_requests_expire_run(on=on)
    # After the visa job, so visas it has just expired are not offered as unused.
    alerts = alerts_daily_run(on=on)
    purged = idempotency_records_purge()
    sms_redacted = sms_outbox_redact()
    # A safety net: deliveries whose retry could not be scheduled on the task backend.
    webhooks_retried = webhook_deliveries_retry_due()
    # Last, so the events the job itself recorded are linked into the audit hash chain too.
    sealed = audit_seal_run(full=True)
    return {
        "date": on.isoformat(),
        "visas": asdict(visas),
        "final_exits_expired": final_exits,
        "transfers_expired": transfers,
        "exception_approvals_expired": exceptions,
        "alerts": alerts,
        "idempotency_records_purged": purged,
        "sms_redacted": sms_redacted,
        "webhooks_retried": webhooks_retried,
        "audit_sealed": sealed.sealed,
    }
