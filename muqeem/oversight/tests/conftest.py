from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from muqeem.audit.models import AuditEvent, AuditEventType
from tests.factories import UserFactory

RIYADH = ZoneInfo("Asia/Riyadh")


def riyadh(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=RIYADH)


@pytest.fixture
def auditor(db: Any) -> Any:
    return UserFactory(
        username="auditor.one", establishment=None, is_staff=True, staff_role="auditor"
    )


@pytest.fixture
def operator(db: Any) -> Any:
    return UserFactory(
        username="operator.one", establishment=None, is_staff=True, staff_role="operator"
    )


@pytest.fixture
def supervisor(db: Any) -> Any:
    return UserFactory(
        username="supervisor.one", establishment=None, is_staff=True, staff_role="supervisor"
    )


@pytest.fixture
def auditor_client(client: Any, auditor: Any) -> Any:
    client.force_login(auditor)
    return client


@pytest.fixture
def make_event(db: Any) -> Callable[..., AuditEvent]:
    """An audit event at a chosen time (the service stamps `now`; tests need history)."""

    def make(
        event_type: AuditEventType = AuditEventType.LOGIN,
        *,
        at: datetime,
        actor: Any = None,
        establishment: Any = None,
        resident: Any = None,
        extra: dict[str, Any] | None = None,
        request_id: str = "",
        ip: str | None = None,
    ) -> AuditEvent:
        event = AuditEvent(
            occurred_at=at,
            event_type=int(event_type),
            actor_user=actor,
            actor_establishment=establishment,
            resident=resident,
            extra_data=extra or {},
            request_id=request_id,
            ip=ip,
        )
        event.save()
        return event

    return make
