"""Expiry alerts: the daily run that tells each establishment what reached its thresholds, the
settings officers choose, and the in-portal notifications' read state."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.alerts.models import (
    AlertDigest,
    AlertKind,
    AlertSent,
    AlertSettings,
    EmailStatus,
    Notification,
    NotificationKind,
    default_thresholds,
    new_feed_token,
)
from muqeem.alerts.selectors import can_manage_alerts, residents_expiring_between
from muqeem.alerts.texts import email_body, email_subject, sms_text
from muqeem.alerts.thresholds import (
    MAX_THRESHOLDS,
    Candidate,
    DueAlert,
    ItemKey,
    clean_thresholds,
    due_alerts,
)
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.eservices.exit_reentry.models import Visa, VisaStatus
from muqeem.establishments.models import Establishment
from muqeem.notifications.services import sms_send
from muqeem.webhooks.services import webhook_event_emit

if TYPE_CHECKING:
    from muqeem.accounts.models import User

logger = logging.getLogger(__name__)

KIND_ORDER = {AlertKind.IQAMA_EXPIRY: 0, AlertKind.PASSPORT_EXPIRY: 1, AlertKind.VISA_UNUSED: 2}


# --- Settings -----------------------------------------------------------------------------------


def alert_settings_for(*, establishment_id: int) -> AlertSettings:
    """The establishment's settings, created with the defaults the first time they are needed."""
    row, _created = AlertSettings.objects.get_or_create(establishment_id=establishment_id)
    return row


def _require_manager(actor: User) -> int:
    if not can_manage_alerts(actor) or actor.establishment_id is None:
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    return actor.establishment_id


def _locked_settings(establishment_id: int) -> AlertSettings:
    alert_settings_for(establishment_id=establishment_id)
    return (
        AlertSettings.objects.select_for_update(of=("self",))
        .select_related("establishment")
        .get(establishment_id=establishment_id)
    )


def alert_settings_update(
    *,
    actor: User,
    thresholds: Iterable[int],
    sms_enabled: bool,
    email_enabled: bool,
    email: str,
) -> AlertSettings:
    establishment_id = _require_manager(actor)
    fields: dict[str, list[str]] = {}
    try:
        cleaned = clean_thresholds(thresholds)
    except (TypeError, ValueError):
        cleaned = []
        fields["thresholds"] = [
            _("Choose between 1 and {count} thresholds.").format(count=MAX_THRESHOLDS)
        ]
    email = email.strip()
    if email_enabled and not email:
        fields["email"] = [_("Enter the e-mail address the alerts go to.")]
    if fields:
        raise DomainError(ErrorCode.VALIDATION_FAILED, fields=fields)
    with transaction.atomic():
        row = _locked_settings(establishment_id)
        row.thresholds = cleaned
        row.sms_enabled = sms_enabled
        row.email_enabled = email_enabled
        row.email = email
        row.updated_by = actor
        row.save(
            update_fields=[
                "thresholds",
                "sms_enabled",
                "email_enabled",
                "email",
                "updated_by",
                "updated_at",
            ]
        )
        audit_record(
            event_type=AuditEventType.ALERT_SETTINGS_CHANGED,
            actor=actor,
            extra={"thresholds": cleaned, "sms": sms_enabled, "email": email_enabled},
        )
    return row


def alert_feed_token_regenerate(*, actor: User) -> AlertSettings:
    """A new calendar link; the old one stops working at once (a colleague left, a link leaked)."""
    establishment_id = _require_manager(actor)
    with transaction.atomic():
        row = _locked_settings(establishment_id)
        row.feed_token = new_feed_token()
        row.updated_by = actor
        row.save(update_fields=["feed_token", "updated_by", "updated_at"])
        audit_record(event_type=AuditEventType.ALERT_FEED_LINK_REPLACED, actor=actor)
    return row


# --- Notifications' read state -------------------------------------------------------------------


def notifications_mark_all_read(*, actor: User) -> int:
    if actor.establishment_id is None:
        return 0
    return Notification.objects.filter(
        establishment_id=actor.establishment_id, read_at__isnull=True
    ).update(read_at=timezone.now())


def digest_mark_read(*, actor: User, digest: AlertDigest) -> int:
    """Opening a digest reads its notification. `digest` comes from `access_digest`."""
    if actor.establishment_id != digest.establishment_id:
        raise DomainError(ErrorCode.NOT_FOUND)
    return Notification.objects.filter(
        establishment_id=digest.establishment_id, digest=digest, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- The daily run ------------------------------------------------------------------------------


def alerts_daily_run(*, on: date) -> dict[str, Any]:
    """Tell every active establishment, in one digest, what reached its alert thresholds on `on`.

    Idempotent: every reported item is recorded in `AlertSent` under a unique constraint, in the same
    transaction as the digest, so a second run the same day or any later day reports nothing again
    for the same (item, expiry date, threshold). Late runs are safe: after a gap, an item is reported
    once at the threshold it is in now, and what expired during the gap is still reported. Each
    establishment is handled in its own short transaction in a fixed number of queries; SMS and
    e-mail leave only after it commits."""
    report: dict[str, Any] = {
        "establishments": 0,
        "digests": 0,
        AlertKind.IQAMA_EXPIRY.value: 0,
        AlertKind.PASSPORT_EXPIRY.value: 0,
        AlertKind.VISA_UNUSED.value: 0,
        "failed": [],
    }
    establishment_ids = list(
        Establishment.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    for establishment_id in establishment_ids:
        report["establishments"] += 1
        try:
            digest = _run_for_establishment(establishment_id=establishment_id, on=on)
        except Exception:
            # One establishment's failure must not starve the others; the next run retries it.
            logger.exception("expiry alerts failed for establishment %s", establishment_id)
            report["failed"].append(establishment_id)
            continue
        if digest is not None:
            report["digests"] += 1
            report[AlertKind.IQAMA_EXPIRY.value] += digest.iqama_count
            report[AlertKind.PASSPORT_EXPIRY.value] += digest.passport_count
            report[AlertKind.VISA_UNUSED.value] += digest.visa_count
    return report


def _run_for_establishment(*, establishment_id: int, on: date) -> AlertDigest | None:
    with transaction.atomic():
        # The lock serialises two runs for the same establishment, so the read of what was already
        # sent and the insert below cannot interleave; the unique constraint is the backstop.
        row = _locked_settings(establishment_id)
        establishment = row.establishment
        try:
            thresholds = clean_thresholds(row.thresholds)
        except (TypeError, ValueError):
            thresholds = default_thresholds()
        # After a gap, also what expired since the last covered day; never earlier than that.
        since = on if row.last_run_on is None else min(on, row.last_run_on + timedelta(days=1))
        horizon = on + timedelta(days=max(thresholds))
        visa_threshold = min(thresholds)

        residents = {
            r["pk"]: r
            for r in residents_expiring_between(
                establishment_id=establishment_id, start=since, end=horizon
            )
        }
        # The fine for an unused visa falls the day after its travel-before date; the daily visa
        # job has already expired the ones whose day passed, so only the coming days count.
        visas = {
            v["pk"]: v
            for v in Visa.objects.filter(
                establishment_id=establishment_id,
                status=VisaStatus.ISSUED,
                travel_by__range=(on, on + timedelta(days=visa_threshold)),
            ).values(
                "pk",
                "travel_by",
                "resident_id",
                "resident__name_ar",
                "resident__name_en",
                "resident__iqama_number",
                "resident__border_number",
            )
        }
        already: dict[ItemKey, int] = {
            (a["kind"], a["object_id"], a["expiry_date"]): a["smallest"]
            for a in AlertSent.objects.filter(
                establishment_id=establishment_id, expiry_date__gte=since
            )
            .values("kind", "object_id", "expiry_date")
            .annotate(smallest=Min("threshold"))
            .order_by()
        }

        resident_candidates = []
        for r in residents.values():
            for kind, field in (
                (AlertKind.IQAMA_EXPIRY, "iqama_expiry_date"),
                (AlertKind.PASSPORT_EXPIRY, "passport_expiry_date"),
            ):
                due_on = r[field]
                if due_on is not None and since <= due_on <= horizon:
                    resident_candidates.append(Candidate(kind.value, r["pk"], due_on))
        due = due_alerts(resident_candidates, on=on, thresholds=thresholds, already=already)
        due += due_alerts(
            (
                Candidate(AlertKind.VISA_UNUSED.value, v["pk"], v["travel_by"])
                for v in visas.values()
            ),
            on=on,
            thresholds=[visa_threshold],
            already=already,
        )

        row.last_run_on = max(on, row.last_run_on or on)
        row.save(update_fields=["last_run_on"])
        if not due:
            return None

        due.sort(
            key=lambda d: (
                KIND_ORDER[AlertKind(d.candidate.kind)],
                d.candidate.due_on,
                d.candidate.object_id,
            )
        )
        items = [_snapshot(d, residents=residents, visas=visas) for d in due]
        counts = {kind.value: 0 for kind in AlertKind}
        for d in due:
            counts[d.candidate.kind] += 1
        email_to = row.email if row.email_enabled and row.email else ""
        digest = AlertDigest.objects.create(
            establishment=establishment,
            run_on=on,
            items=items,
            iqama_count=counts[AlertKind.IQAMA_EXPIRY],
            passport_count=counts[AlertKind.PASSPORT_EXPIRY],
            visa_count=counts[AlertKind.VISA_UNUSED],
            email_to=email_to,
            email_status=EmailStatus.QUEUED if email_to else EmailStatus.NOT_REQUESTED,
        )
        AlertSent.objects.bulk_create(
            [
                AlertSent(
                    establishment_id=establishment_id,
                    digest=digest,
                    kind=d.candidate.kind,
                    object_id=d.candidate.object_id,
                    expiry_date=d.candidate.due_on,
                    threshold=d.threshold,
                    sent_on=on,
                )
                for d in due
            ]
        )
        webhook_event_emit(
            establishment_id=establishment_id,
            event_type="iqama.expiring",
            data={
                "run_on": on.isoformat(),
                "items": [
                    {
                        "kind": d.candidate.kind,
                        "due_on": d.candidate.due_on.isoformat(),
                        "threshold": d.threshold,
                    }
                    for d in due
                ],
                "counts": counts,
            },
        )
        Notification.objects.create(
            establishment=establishment,
            kind=NotificationKind.EXPIRY_DIGEST,
            params={**counts, "run_on": on.isoformat()},
            link=reverse("alerts:digest", args=[digest.pk]),
            digest=digest,
        )
        if row.sms_enabled and establishment.registered_mobile:
            # Counts only: an SMS carries no names or iqama numbers.
            message = sms_send(
                to=establishment.registered_mobile,
                body=sms_text(digest=digest, link=_absolute(reverse("alerts:list"))),
            )
            AlertDigest.objects.filter(pk=digest.pk).update(sms=message)
        if email_to:
            from muqeem.alerts.tasks import alert_digest_email_task

            digest_id = digest.pk
            transaction.on_commit(lambda: alert_digest_email_task.enqueue(digest_id=digest_id))
    return digest


def _snapshot(
    due: DueAlert,
    *,
    residents: Mapping[int, Mapping[str, Any]],
    visas: Mapping[int, Mapping[str, Any]],
) -> dict[str, Any]:
    c = due.candidate
    if c.kind == AlertKind.VISA_UNUSED:
        v = visas[c.object_id]
        person = {
            "resident_id": v["resident_id"],
            "name_ar": v["resident__name_ar"],
            "name_en": v["resident__name_en"],
            "iqama_number": v["resident__iqama_number"] or "",
            "border_number": v["resident__border_number"] or "",
            "visa_number": Visa(pk=c.object_id).number,
        }
    else:
        r = residents[c.object_id]
        person = {
            "resident_id": r["pk"],
            "name_ar": r["name_ar"],
            "name_en": r["name_en"],
            "iqama_number": r["iqama_number"] or "",
            "border_number": r["border_number"] or "",
            "visa_number": "",
        }
    return {
        "kind": c.kind,
        "object_id": c.object_id,
        **person,
        "due_on": c.due_on.isoformat(),
        "days_left": due.days_left,
        "threshold": due.threshold,
    }


def _absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


# --- E-mail (from the worker) -------------------------------------------------------------------


def alert_digest_email_send(*, digest_id: int) -> bool:
    """Send one digest's e-mail. Idempotent: only a queued digest is claimed, by one worker."""
    claimed = AlertDigest.objects.filter(pk=digest_id, email_status=EmailStatus.QUEUED).update(
        email_status=EmailStatus.SENDING
    )
    if not claimed:
        return False
    digest = AlertDigest.objects.select_related("establishment").get(pk=digest_id)
    link = _absolute(reverse("alerts:digest", args=[digest.pk]))
    try:
        send_mail(
            email_subject(digest=digest),
            email_body(digest=digest, link=link),
            settings.DEFAULT_FROM_EMAIL,
            [digest.email_to],
        )
    except Exception as exc:
        logger.warning("alert digest %s e-mail failed: %s", digest_id, exc)
        AlertDigest.objects.filter(pk=digest_id).update(
            email_status=EmailStatus.FAILED, email_error=str(exc)[:200]
        )
        return False
    AlertDigest.objects.filter(pk=digest_id).update(
        email_status=EmailStatus.SENT, email_sent_at=timezone.now()
    )
    return True
