"""The security code (رمز الأمان): a 6-digit one-time code sent by SMS when a session first enters
the e-services (to the establishment's registered mobile) and, for authority staff and
administrators, as the second step of the login itself (to the staff member's own mobile). Valid for
that session only, for a few minutes, for a limited number of attempts; only an HMAC of it is
stored."""

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


def login_needs_security_code(user: User) -> bool:
    """Staff and administrators (who reach the staff console or /admin/) are signed in only once
    the security code is in; establishment officers sign in with the password and enter the code
    before the e-services."""
    return bool(user.is_staff or user.is_superuser)


def security_code_recipient(user: User) -> str:
    """The mobile the user's codes go to: the establishment's registered mobile for its officers,
    the staff member's own mobile for authority staff."""
    if user.establishment_id is not None:
        establishment = user.establishment
        if establishment is None or not establishment.registered_mobile:
            raise DomainError(ErrorCode.NO_REGISTERED_MOBILE)
        return establishment.registered_mobile
    if not user.mobile:
        raise DomainError(ErrorCode.STAFF_NO_MOBILE)
    return user.mobile


def security_code_live(
    *, user: User, session_key: str, purpose: str = SecurityCodePurpose.ESERVICES
) -> SecurityCode | None:
    """The code this session may still enter, if any."""
    return (
        SecurityCode.objects.filter(
            user=user,
            session_key_hash=session_fingerprint(session_key),
            purpose=purpose,
            used_at__isnull=True,
            invalidated_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def security_code_send(
    *,
    user: User,
    session_key: str,
    ip: str | None = None,
    purpose: str = SecurityCodePurpose.ESERVICES,
) -> SecurityCode:
    """Send a new code to the user's mobile (`security_code_recipient`), retiring this session's
    earlier one.

    The first code and up to MAX_RESENDS more may be sent per user within RESEND_WINDOW_SECONDS,
    counted under a lock on the user row so parallel requests cannot exceed it.
    """
    mobile = security_code_recipient(user)
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
            purpose=purpose,
            code_hash="",
            sent_to=mobile,
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
        sms_send(to=mobile, body=body, secret=code)
        audit_record(
            event_type=AuditEventType.SECURITY_CODE_SENT,
            actor=user,
            extra={"code_id": record.pk, "resend": sent_recently > 0, "purpose": purpose},
            ip=ip,
        )
    return record


def security_code_verify(
    *,
    user: User,
    session_key: str,
    code: str,
    ip: str | None = None,
    purpose: str = SecurityCodePurpose.ESERVICES,
) -> None:
    """Accept the code once, for the session it was sent to; count every wrong attempt."""
    failure: DomainError | None = None
    submitted = "".join(ch for ch in code if not ch.isspace())
    with transaction.atomic():
        live = security_code_live(user=user, session_key=session_key, purpose=purpose)
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
