"""API keys (create, revoke, authenticate) and the idempotency store of the REST API."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import DatabaseError, IntegrityError, connection, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.accounts.models import User
from muqeem.accounts.permissions import Permission
from muqeem.api.models import ApiKey, IdempotencyRecord
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.rows import ModelColumns
from muqeem.establishments.models import Establishment

if TYPE_CHECKING:
    from django.db.models import QuerySet

logger = logging.getLogger(__name__)

KEY_PREFIX = "mqk_"
# Characters of the secret shown as the key's prefix (after `mqk_`).
PREFIX_LENGTH = 8
# An officer's choice that means nothing to the API (it has no user-management endpoints).
NOT_GRANTABLE = frozenset({Permission.USER_MANAGEMENT.value})
# `last_used_at` is written at most this often per key: one write per request would make every
# read a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Keys are kept at least this long (the issue promises 24 hours).
IDEMPOTENCY_RETENTION = timedelta(hours=24)
# A claim whose request never finished (the process died) is taken over after this long; the
# service layer is idempotent on the same key, so the takeover cannot do the work twice.
STALE_CLAIM_AFTER = timedelta(minutes=2)


def hash_key(raw_key: str) -> str:
    """SHA-256 suffices: the key is 256 random bits, so nothing is gained by a slow hash."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def grantable_permissions(*, actor: User) -> list[Permission]:
    """What `actor` may put on a key: their own permissions, less those the API has no use for."""
    return [
        p
        for p in Permission
        if p.value not in NOT_GRANTABLE and actor.has_service_permission(p.value)
    ]


def api_keys_of_establishment(*, actor: User) -> QuerySet[ApiKey]:
    if actor.establishment_id is None:
        return ApiKey.objects.none()
    return (
        ApiKey.objects.filter(establishment_id=actor.establishment_id)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def access_api_key(*, actor: User, key_id: int) -> ApiKey:
    key = api_keys_of_establishment(actor=actor).filter(pk=key_id).first()
    if key is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return key


def api_key_create(*, actor: User, name: str, permissions: Iterable[str]) -> tuple[ApiKey, str]:
    """A new key and its secret, which is returned here once and never stored.

    The key's service user is an ordinary sub-user of the establishment with the key's permissions
    and no password, so it can act through the services but can never log in to the portal."""
    if actor.establishment_id is None:
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    allowed = {p.value for p in grantable_permissions(actor=actor)}
    chosen = sorted(set(permissions))
    if not chosen or any(p not in allowed for p in chosen):
        raise DomainError(
            ErrorCode.VALIDATION_FAILED,
            fields={"permissions": [_("Choose one or more of the permissions you hold.")]},
        )
    name = name.strip()
    if not name:
        raise DomainError(ErrorCode.VALIDATION_FAILED, fields={"name": [_("Enter a name.")]})
    for _attempt in range(5):
        secret = secrets.token_urlsafe(32)
        raw_key = KEY_PREFIX + secret
        prefix = raw_key[: len(KEY_PREFIX) + PREFIX_LENGTH]
        try:
            with transaction.atomic():
                user = User(
                    username=f"api-{secret[:PREFIX_LENGTH]}",
                    establishment_id=actor.establishment_id,
                    is_main_user=False,
                    is_active=True,
                    service_permissions=chosen,
                    first_name=name[:150],
                )
                user.set_unusable_password()
                user.save()
                key = ApiKey.objects.create(
                    establishment_id=actor.establishment_id,
                    name=name,
                    permissions=chosen,
                    prefix=prefix,
                    key_hash=hash_key(raw_key),
                    service_user=user,
                    created_by=actor,
                    created_at=timezone.now(),
                )
                audit_record(
                    event_type=AuditEventType.API_KEY_CREATED,
                    actor=actor,
                    extra={"user": user.pk, "api_key": key.pk, "permissions": chosen},
                )
        except IntegrityError:
            # Two keys sharing their first 48 random bits: draw again.
            continue
        return key, raw_key
    raise RuntimeError("could not draw a unique API key")


def api_key_revoke(*, actor: User, key_id: int) -> ApiKey:
    """Revoke at once and for good; revoking twice is harmless."""
    with transaction.atomic():
        key = access_api_key(actor=actor, key_id=key_id)
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        User.objects.filter(pk=key.service_user_id).update(is_active=False)
        audit_record(
            event_type=AuditEventType.API_KEY_REVOKED,
            actor=actor,
            extra={"user": key.service_user_id, "api_key": key.pk, "revoked": True},
        )
    return key


_KEY = ModelColumns(ApiKey, "k")
_USER = ModelColumns(User, "u")
_ESTABLISHMENT = ModelColumns(Establishment, "e")
_key_sql: dict[str, str] = {}


def _api_key_sql(connection: BaseDatabaseWrapper) -> str:
    """The key by its hash, unrevoked, with its service user and its establishment: what
    `ApiKey.objects.select_related("service_user", "establishment").get(key_hash=…,
    revoked_at__isnull=True)` reads, written once (`muqeem.core.rows`) instead of compiled again on
    every request of the API."""
    sql = _key_sql.get(connection.vendor)
    if sql is None:
        qn = connection.ops.quote_name
        key, user, establishment = ApiKey._meta, User._meta, Establishment._meta
        sql = (
            f"SELECT {_KEY.select(connection)}, {_USER.select(connection)},"  # noqa: S608 - names from the models
            f" {_ESTABLISHMENT.select(connection)}"
            f" FROM {qn(key.db_table)} k"
            f" INNER JOIN {qn(user.db_table)} u"
            f" ON u.{qn(user.pk.column)} = k.{qn(key.get_field('service_user').column)}"
            f" INNER JOIN {qn(establishment.db_table)} e"
            f" ON e.{qn(establishment.pk.column)} = k.{qn(key.get_field('establishment').column)}"
            f" WHERE k.{qn(key.get_field('key_hash').column)} = %s"
            f" AND k.{qn(key.get_field('revoked_at').column)} IS NULL"
        )
        _key_sql[connection.vendor] = sql
    return sql


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key with this secret (and its service user and establishment), or None."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 100:
        return None
    connection = connections[router.db_for_read(ApiKey)]
    with connection.cursor() as cursor:
        cursor.execute(_api_key_sql(connection), [hash_key(raw_key)])
        row = cursor.fetchone()
    if row is None:
        return None
    key = _KEY.load(connection, row)
    service_user = _USER.load(connection, row, _KEY.width)
    if not service_user.is_active:
        return None
    establishment = _ESTABLISHMENT.load(connection, row, _KEY.width + _USER.width)
    # As select_related sets them: the key's user (and the user's key: a one-to-one), its
    # establishment.
    service_user_field = ApiKey._meta.get_field("service_user")
    service_user_field.set_cached_value(key, service_user)
    service_user_field.remote_field.set_cached_value(service_user, key)
    ApiKey._meta.get_field("establishment").set_cached_value(key, establishment)
    if service_user.establishment_id == key.establishment_id:
        # The actor's establishment is the key's, already loaded: the services and the audit read
        # `actor.establishment`, which would otherwise be one more query per request.
        service_user.establishment = establishment
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- Idempotency --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """The outcome of presenting an idempotency key: run the request (`record` is ours to complete),
    replay a stored response, or refuse (same key, other request; or the first is still running)."""

    record: IdempotencyRecord | None = None
    replay: IdempotencyRecord | None = None
    conflict: bool = False
    in_progress: bool = False


def idempotency_claim(*, api_key: ApiKey, key: str, request_hash: str) -> Claim:
    now = timezone.now()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                api_key=api_key, key=key, request_hash=request_hash, created_at=now
            )
        return Claim(record=record)
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
    if existing is None:
        # Released between our insert and our read; the client may simply retry.
        return Claim(in_progress=True)
    if existing.request_hash != request_hash:
        return Claim(conflict=True)
    if existing.status_code is not None:
        return Claim(replay=existing)
    taken = IdempotencyRecord.objects.filter(
        pk=existing.pk, status_code__isnull=True, created_at__lt=now - STALE_CLAIM_AFTER
    ).update(created_at=now)
    if taken:
        existing.created_at = now
        return Claim(record=existing)
    return Claim(in_progress=True)


def idempotency_complete(*, record: IdempotencyRecord, status_code: int, body: str) -> None:
    """Keep the response for replays. Guarded on the claim still being open, so a late writer never
    overwrites a response another request already stored.

    The work is committed by now: if the connection was lost since, the response is stored over a
    fresh one; if that fails too, the client still gets its answer, and a retry with the key waits
    for the claim to go stale and is then replayed by the service's own idempotency."""

    def store() -> None:
        IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).update(
            status_code=status_code, response_body=body, completed_at=timezone.now()
        )

    _on_a_live_connection(store, record=record)


def _on_a_live_connection(write: Callable[[], None], *, record: IdempotencyRecord) -> None:
    try:
        write()
        return
    except DatabaseError:
        if connection.in_atomic_block:
            raise
    connection.close()
    try:
        write()
    except DatabaseError:
        logger.warning(
            "idempotency key of api key %s left claimed until it goes stale", record.api_key_id
        )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Free the key of a request that was refused or failed, so the client's retry runs it.

    When the failure was the loss of the database connection (a restart, a dropped session), the
    request's connection is dead: the release opens a fresh one. If that fails too, the claim is
    left to go stale (`STALE_CLAIM_AFTER`) rather than turning the answer into another failure."""

    def free() -> None:
        IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()

    _on_a_live_connection(free, record=record)


def idempotency_records_purge(*, older_than: timedelta = IDEMPOTENCY_RETENTION) -> int:
    """Forget keys older than `older_than` (never less than the 24 hours promised to clients)."""
    cutoff = timezone.now() - max(older_than, IDEMPOTENCY_RETENTION)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
