"""Webhooks: endpoints the main user registers, and the outbox that delivers events to them.

An event is recorded (one `WebhookDelivery` per matching endpoint) inside the transaction that
caused it and handed to the background worker only after that transaction commits, so nothing is
sent for a change that was rolled back. A failed delivery is retried with exponential backoff
(`RETRY_DELAYS`) and marked failed after `MAX_ATTEMPTS`."""

from __future__ import annotations

import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.core.errors import DomainError, ErrorCode
from muqeem.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from muqeem.webhooks.signing import signature_header

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from muqeem.accounts.models import User

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
TIMEOUT_SECONDS = 5
# The wait after the 1st, 2nd, … failed attempt; after `MAX_ATTEMPTS` the delivery has failed.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Plain HTTP is allowed only to this machine, for trying an integration out.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
USER_AGENT = "Muqeem-Webhooks/1"
# The request statuses that are events, by the status a request moves to.
REQUEST_EVENTS: dict[str, str] = {
    "completed": WebhookEventType.REQUEST_COMPLETED,
    "rejected": WebhookEventType.REQUEST_REJECTED,
}


# --- Endpoints ---------------------------------------------------------------------------------


def _require_main_user(actor: User) -> None:
    if actor.establishment_id is None or not actor.is_main_user:
        raise DomainError(ErrorCode.PERMISSION_DENIED)


def webhook_url_is_allowed(url: str) -> bool:
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in LOCAL_HOSTS


def endpoints_of_establishment(*, actor: User) -> QuerySet[WebhookEndpoint]:
    if actor.establishment_id is None:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(establishment_id=actor.establishment_id).order_by(
        "-created_at", "-pk"
    )


def access_endpoint(*, actor: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoints_of_establishment(actor=actor).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return endpoint


def webhook_endpoint_create(
    *, actor: User, url: str, event_types: Iterable[str]
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown to the main user once)."""
    _require_main_user(actor)
    establishment_id = actor.establishment_id
    if establishment_id is None:  # checked above; narrows the type
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    url = url.strip()
    errors: dict[str, list[str]] = {}
    if not webhook_url_is_allowed(url):
        errors["url"] = [
            _("Enter an https:// address (http:// is allowed only for 127.0.0.1 and localhost).")
        ]
    chosen = sorted(set(event_types))
    if not chosen or any(e not in WebhookEventType.values for e in chosen):
        errors["event_types"] = [_("Choose one or more events.")]
    if errors:
        raise DomainError(ErrorCode.VALIDATION_FAILED, fields=errors)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        establishment_id=establishment_id,
        url=url,
        event_types=chosen,
        secret=secret,
        created_by=actor,
        created_at=timezone.now(),
    )
    return endpoint, secret


def webhook_endpoint_set_active(*, actor: User, endpoint_id: int, active: bool) -> WebhookEndpoint:
    _require_main_user(actor)
    endpoint = access_endpoint(actor=actor, endpoint_id=endpoint_id)
    if endpoint.is_active != active:
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])
    return endpoint


def deliveries_of_endpoint(*, endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    return list(endpoint.deliveries.order_by("-created_at", "-pk")[:limit])


def access_delivery(*, actor: User, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, endpoint__establishment_id=actor.establishment_id)
        .first()
        if actor.establishment_id is not None
        else None
    )
    if delivery is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return delivery


# --- Emitting ----------------------------------------------------------------------------------


def _enqueue_on_commit(delivery_ids: list[int]) -> None:
    from muqeem.webhooks.tasks import webhook_deliver_task

    def send() -> None:
        for delivery_id in delivery_ids:
            webhook_deliver_task.enqueue(delivery_id=delivery_id)

    if delivery_ids:
        transaction.on_commit(send)


def webhook_event_emit(
    *, establishment_id: int | None, event_type: str | None, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """Record `event_type` for every active endpoint of the establishment that subscribed to it.

    Call it inside the transaction that makes the change: the deliveries are sent only after that
    transaction commits. `data` must be JSON-serialisable (dates and decimals are fine). An
    `event_type` of None emits nothing (a caller that maps states to events, where most states
    are not events)."""
    return webhook_events_emit(
        establishment_id=establishment_id, event_type=event_type, data=[data]
    )


def webhook_events_emit(
    *, establishment_id: int | None, event_type: str | None, data: Sequence[dict[str, Any]]
) -> list[WebhookDelivery]:
    """`webhook_event_emit` for several events of one type and establishment (a bulk batch's
    renewals): one event each, the endpoints read once and the deliveries inserted together."""
    if event_type is None or not data:
        return []
    if event_type not in WebhookEventType.values:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if establishment_id is None:
        return []
    # Filtered in Python: a JSON `contains` lookup is not portable to SQLite, and an establishment
    # has a handful of endpoints.
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(establishment_id=establishment_id, is_active=True)
        if event_type in e.event_types
    ]
    if not endpoints:
        return []
    now = timezone.now()
    deliveries = []
    for item in data:
        event_id = uuid.uuid4()
        payload = {
            "id": str(event_id),
            "type": event_type,
            "created": now.isoformat(),
            "data": item,
        }
        deliveries += [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        ]
    deliveries = WebhookDelivery.objects.bulk_create(deliveries)
    _enqueue_on_commit([d.pk for d in deliveries])
    return deliveries


def webhook_redeliver(*, actor: User, delivery_id: int) -> WebhookDelivery:
    """Send an event again, as a new delivery with the same event id and payload."""
    _require_main_user(actor)
    original = access_delivery(actor=actor, delivery_id=delivery_id)
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=original.endpoint,
            event_id=original.event_id,
            event_type=original.event_type,
            payload=original.payload,
            next_attempt_at=now,
            created_at=now,
        )
        _enqueue_on_commit([delivery.pk])
    return delivery


# --- Sending -----------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed attempts; None once the delivery has failed."""
    if attempts < 1 or attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempts - 1] * settings.RETRY_DELAY_SCALE


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: the receiver must answer 2xx at the address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST and return (status code, error text); the code is None when no answer came."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return None, str(exc) or exc.__class__.__name__


def _schedule_retry(delivery_id: int, run_after: datetime) -> None:
    """Ask the worker to come back at `run_after`, when its backend can defer; otherwise
    `webhook_deliveries_retry_due` (run every minute) picks the delivery up."""
    from muqeem.webhooks.tasks import webhook_deliver_task

    if webhook_deliver_task.get_backend().supports_defer:
        webhook_deliver_task.using(run_after=run_after).enqueue(delivery_id=delivery_id)


def webhook_deliver(*, delivery_id: int) -> bool:
    """Make one attempt at a pending delivery whose time has come. True when the receiver took it.

    The attempt is claimed with a conditional update, so a worker task and the retry sweep racing
    for the same delivery send it once."""
    now = timezone.now()
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
        return False
    attempt = delivery.attempts + 1
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=None)
    if not claimed:
        return False
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error="endpoint disabled"
        )
        return False
    body = json.dumps(
        delivery.payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Muqeem-Event": delivery.event_type,
        "Muqeem-Delivery": str(delivery.pk),
        "Muqeem-Event-Id": str(delivery.event_id),
        "Muqeem-Timestamp": str(timestamp),
        "Muqeem-Signature": signature_header(endpoint.secret, timestamp, body),
    }
    code, error = _post(endpoint.url, body, headers)
    if code is not None and 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUCCEEDED,
            last_response_code=code,
            last_error="",
            delivered_at=timezone.now(),
        )
        return True
    logger.info("webhook delivery %s attempt %s failed: %s", delivery.pk, attempt, error)
    delay = retry_delay(attempt)
    next_at = timezone.now() + delay if delay is not None else None
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING if delay is not None else DeliveryStatus.FAILED,
        last_response_code=code,
        last_error=(error or f"HTTP {code}")[:300],
        next_attempt_at=next_at,
    )
    if next_at is not None:
        _schedule_retry(delivery.pk, next_at)
    return False


def webhook_deliveries_retry_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Attempt every pending delivery whose retry time has come; the number attempted.
    The worker loop (or `manage.py webhooks_retry_due`) runs this every minute."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        webhook_deliver(delivery_id=delivery_id)
    return len(due)
