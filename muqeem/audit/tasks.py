from dataclasses import asdict
from typing import Any

from django_tasks import task

from muqeem.audit.chain import audit_seal_run


@task()
def audit_seal_task() -> dict[str, Any]:
    """Extend the audit hash chain; enqueue it as often as wanted (it is idempotent)."""
    return asdict(audit_seal_run())
