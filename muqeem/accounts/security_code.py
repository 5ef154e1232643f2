"""The security code (رمز الأمان): a 6-digit one-time code sent by SMS to the establishment's
registered mobile when a session first enters the e-services. Valid for that session only, for a
few minutes, for a limited number of attempts; only an HMAC of it is stored."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.accounts.models import SecurityCode, SecurityCodePurpose, User
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.codes import digest_matches, keyed_digest, random_digits
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.i18n import in_both_languages
from muqeem.notifications.services import sms_send

SESSION_FLAG = "eservices_verified_at"


def _conf(name: str) -> int:
    return int(settings.SECURITY_CODE[name])


def _digest(value: str) -> str:
    return keyed_digest(value)


def session_fingerprint(session_key: str) -> str:
    return _digest(f"session:{session_key}")


def _code_digest(code_id: int, code: str) -> str:
    return _digest(f"code:{code_id}:{code}")


def mask_mobile(mobile: str) -> str:
    return mobile[:4] + "•" * max(len(mobile) - 7, 0) + mobile[-3:] if len(mobile) > 7 else mobile


def security_code_live(*, user: User, session_key: str) -> SecurityCode | None:
    """The code this session may still enter, if any."""
    return (
        SecurityCode.objects.filter(
            user=user,
            session_key_hash=session_fingerprint(session_key),
            purpose=SecurityCodePurpose.ESERVICES,
            used_at__isnull=True,
            invalidated_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def security_code_send(*, user: User, session_key: str, ip: str | None = None) -> SecurityCode:
    """Send a new code to the establishment's registered mobile, retiring this session's earlier one.

    The first code and up to MAX_RESENDS more may be sent per user within RESEND_WINDOW_SECONDS,
    counted under a lock on the user row so parallel requests cannot exceed it.
    """
    establishment = user.establishment
    if establishment is None or not establishment.registered_mobile:
        raise DomainError(ErrorCode.NO_REGISTERED_MOBILE)
    now = timezone.now()
    window_start = now - timedelta(seconds=_conf("RESEND_WINDOW_SECONDS"))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        sent_recently = SecurityCode.objects.filter(user=user, created_at__gte=window_start).count()
        if sent_recently > _conf("MAX_RESENDS"):
            raise DomainError(
                ErrorCode.SECURITY_CODE_RESEND_LIMIT,
                {"minutes": _conf("RESEND_WINDOW_SECONDS") // 60},
            )
        fingerprint = session_fingerprint(session_key)
        SecurityCode.objects.filter(
            user=user,
            session_key_hash=fingerprint,
            used_at__isnull=True,
            invalidated_at__isnull=True,
        ).update(invalidated_at=now)
        code = random_digits(_conf("LENGTH"))
        record = SecurityCode.objects.create(
            user=user,
            session_key_hash=fingerprint,
            purpose=SecurityCodePurpose.ESERVICES,
            code_hash="",
            sent_to=establishment.registered_mobile,
            created_at=now,
            expires_at=now + timedelta(seconds=_conf("LIFETIME_SECONDS")),
        )
        record.code_hash = _code_digest(record.pk, code)
        SecurityCode.objects.filter(pk=record.pk).update(code_hash=record.code_hash)
        minutes = _conf("LIFETIME_SECONDS") // 60
        body = in_both_languages(
            lambda: _(
                "Muqeem security code: {code}. Valid for {minutes} minutes, for this session only."
            ).format(code=code, minutes=minutes)
        )
        sms_send(to=establishment.registered_mobile, body=body, secret=code)
        audit_record(
            event_type=AuditEventType.SECURITY_CODE_SENT,
            actor=user,
            extra={"code_id": record.pk, "resend": sent_recently > 0},
            ip=ip,
        )
    return record


def security_code_verify(*, user: User, session_key: str, code: str, ip: str | None = None) -> None:
    """Accept the code once, for the session it was sent to; count every wrong attempt."""
    failure: DomainError | None = None
    submitted = "".join(ch for ch in code if not ch.isspace())
    with transaction.atomic():
        live = security_code_live(user=user, session_key=session_key)
        record = (
            SecurityCode.objects.select_for_update()
            .filter(pk=live.pk, used_at__isnull=True)
            .first()
            if live is not None
            else None
        )
        now = timezone.now()
        if record is None or record.invalidated_at is not None or record.expires_at <= now:
            failure = DomainError(ErrorCode.SECURITY_CODE_EXPIRED)
        elif digest_matches(record.code_hash, f"code:{record.pk}:{submitted}"):
            record.used_at = now
            record.save(update_fields=["used_at"])
            audit_record(
                event_type=AuditEventType.SECURITY_CODE_VERIFIED,
                actor=user,
                extra={"code_id": record.pk},
                ip=ip,
            )
        else:
            record.attempts += 1
            remaining = _conf("MAX_ATTEMPTS") - record.attempts
            fields = ["attempts"]
            if remaining <= 0:
                record.invalidated_at = now
                fields.append("invalidated_at")
                failure = DomainError(ErrorCode.SECURITY_CODE_ATTEMPTS_EXCEEDED)
            else:
                failure = DomainError(ErrorCode.SECURITY_CODE_INVALID, {"remaining": remaining})
            record.save(update_fields=fields)
            audit_record(
                event_type=AuditEventType.SECURITY_CODE_FAILED,
                actor=user,
                extra={"code_id": record.pk, "attempts": record.attempts},
                ip=ip,
            )
    # Raised after the block so the attempt counter is committed, not rolled back.
    if failure is not None:
        raise failure
