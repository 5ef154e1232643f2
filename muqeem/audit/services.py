from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.middleware import current_request_id

if TYPE_CHECKING:
    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment
    from muqeem.residents.models import Resident
    from muqeem.workflow.models import ServiceRequest


def audit_record(
    *,
    event_type: AuditEventType,
    actor: User | None,
    establishment: Establishment | None = None,
    resident: Resident | None = None,
    service_request: ServiceRequest | None = None,
    extra: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one audit event. Call inside the transaction of the change it describes, so the two
    commit or roll back together. `extra` holds ids and codes, never personal data."""
    if establishment is None and actor is not None:
        establishment = getattr(actor, "establishment", None)
    event = AuditEvent(
        occurred_at=timezone.now(),
        event_type=int(event_type),
        actor_user=actor if actor is not None and actor.pk else None,
        actor_establishment=establishment,
        resident=resident,
        service_request=service_request,
        extra_data=extra or {},
        request_id=current_request_id(),
        ip=ip,
    )
    event.save()
    return event
