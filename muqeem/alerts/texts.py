"""The words of an alert, rendered in the active language: SMS, e-mail and in-portal notification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from muqeem.alerts.models import AlertDigest, AlertKind, Notification, NotificationKind
from muqeem.core.dates import format_dual
from muqeem.core.i18n import in_both_languages


def _arabic() -> bool:
    return (get_language() or "ar").startswith("ar")


@dataclass(frozen=True)
class DigestLine:
    """One item of a digest's snapshot, ready to show in the active language."""

    kind: str
    what: str
    name: str
    iqama_number: str
    identifier: str
    visa_number: str
    due_on: date
    days_left: int
    threshold: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return -self.days_left


def digest_lines(items: list[dict[str, Any]], *, on: date | None = None) -> list[DigestLine]:
    """`on` counts the days left from that day (a page read later); else from the run's day."""
    arabic = _arabic()
    labels = dict(AlertKind.choices)
    return [
        DigestLine(
            kind=item["kind"],
            what=str(labels.get(item["kind"], item["kind"])),
            name=item["name_ar"] if arabic else item["name_en"],
            iqama_number=item.get("iqama_number") or "",
            identifier=item.get("iqama_number") or item.get("border_number") or "",
            visa_number=item.get("visa_number") or "",
            due_on=date.fromisoformat(item["due_on"]),
            days_left=(
                (date.fromisoformat(item["due_on"]) - on).days
                if on is not None
                else int(item["days_left"])
            ),
            threshold=int(item["threshold"]),
        )
        for item in items
    ]


def _establishment_name(digest: AlertDigest) -> str:
    est = digest.establishment
    return est.name_ar if _arabic() else est.name_en


def sms_text(*, digest: AlertDigest, link: str) -> str:
    """Short: the counts in Arabic, then English, then one link."""

    def render() -> str:
        return _(
            "Muqeem: {total} new expiry alerts for {establishment}: iqamas {iqamas}, "
            "passports {passports}, unused exit and re-entry visas {visas}."
        ).format(
            total=digest.total,
            establishment=_establishment_name(digest),
            iqamas=digest.iqama_count,
            passports=digest.passport_count,
            visas=digest.visa_count,
        )

    return in_both_languages(render) + "\n" + link


def email_subject(*, digest: AlertDigest) -> str:
    return in_both_languages(
        lambda: _("Expiry alerts: {establishment}, {date}").format(
            establishment=_establishment_name(digest), date=format_dual(digest.run_on)
        ),
        separator=" / ",
    )


def email_body(*, digest: AlertDigest, link: str) -> str:
    """The full list (names, iqama numbers, dates in Gregorian and Hijri), Arabic then English."""

    def render() -> str:
        return render_to_string(
            "alerts/email/digest.txt",
            {
                "digest": digest,
                "establishment_name": _establishment_name(digest),
                "run_on": format_dual(digest.run_on),
                "lines": [
                    {"line": line, "due_on": format_dual(line.due_on)}
                    for line in digest_lines(digest.items)
                ],
                "link": link,
            },
        ).strip()

    return in_both_languages(render, separator="\n\n" + "—" * 20 + "\n\n") + "\n"


def notification_text(notification: Notification) -> tuple[str, str]:
    """(title, body) in the active language."""
    params = notification.params or {}
    if notification.kind == NotificationKind.EXPIRY_DIGEST:
        return (
            _("New expiry alerts"),
            _(
                "Iqamas: {iqamas} · Passports: {passports} · Unused exit and re-entry visas: {visas}"
            ).format(
                iqamas=params.get("iqama_expiry", 0),
                passports=params.get("passport_expiry", 0),
                visas=params.get("visa_unused", 0),
            ),
        )
    return (str(notification.get_kind_display()), "")
