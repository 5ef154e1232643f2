"""Issued documents: their verification tokens, printouts and public look-ups.

A service that prints a document calls, after its own access check:

    token = verification_token_for(kind="exit_reentry_visa", object_id=visa.pk)
    pdf = render_pdf("exit_reentry/visa_document.html",
                     {..., "verification_url": verification_url(request, token)}, language="ar")
    document_print_recorded(actor=user, kind="exit_reentry_visa", object_id=visa.pk,
                            establishment=visa.establishment, resident=visa.resident)
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.documents.models import VerificationToken
from muqeem.documents.registry import (
    STATUS_EXPIRED,
    STATUS_VALID,
    PublicProjection,
    is_registered,
    projection_for,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from muqeem.accounts.models import User
    from muqeem.establishments.models import Establishment
    from muqeem.residents.models import Resident
    from muqeem.workflow.models import ServiceRequest

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
# Tokens are `secrets.token_urlsafe`; anything else is refused without a database query.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def verification_token_for(*, kind: str, object_id: int) -> str:
    """The document's verification token, created on its first printout and the same ever after,
    so a reprint carries the same QR code as the original."""
    if not is_registered(kind):
        # A QR code for a kind nobody answers for would print fine and never verify.
        raise ValueError(f"Document kind {kind!r} has no verification provider registered.")
    row, _created = VerificationToken.objects.get_or_create(kind=kind, object_id=object_id)
    return row.token


def verification_url(request: HttpRequest | None, token: str) -> str:
    """The absolute URL a document's QR code points to. `PUBLIC_BASE_URL` wins over the request's
    host: the printout must carry the public address, not whichever internal host name the
    officer's browser used."""
    path = reverse("documents:verify", kwargs={"token": token})
    base = str(getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return DEFAULT_PUBLIC_BASE_URL + path


def document_print_recorded(
    *,
    actor: User | None,
    kind: str,
    object_id: int,
    establishment: Establishment | None,
    resident: Resident | None = None,
    service_request: ServiceRequest | None = None,
) -> AuditEvent:
    """Audit one printout (OpenCRVS `PRINT_CERTIFICATE`). Call inside the printing transaction."""
    return audit_record(
        event_type=AuditEventType.DOCUMENT_PRINTED,
        actor=actor,
        establishment=establishment,
        resident=resident,
        service_request=service_request,
        extra={"kind": kind, "object_id": object_id},
    )


def _as_of_today(projection: PublicProjection) -> PublicProjection:
    # A provider whose expiry sweep has not run yet must not make a lapsed document look valid.
    if (
        projection.status_code == STATUS_VALID
        and projection.valid_until is not None
        and projection.valid_until < today()
    ):
        return replace(projection, status_code=STATUS_EXPIRED, status=gettext("Expired"))
    return projection


def document_verify(
    *, token: str, actor: User | None = None, ip: str | None = None
) -> PublicProjection | None:
    """Look a token up for the public verification page and audit the look-up (ids and outcome
    only; the token itself is not stored in the audit log). None when nothing can be shown."""
    row = (
        VerificationToken.objects.filter(token=token).only("kind", "object_id").first()
        if _TOKEN_RE.fullmatch(token)
        else None
    )
    projection = projection_for(row.kind, row.object_id) if row is not None else None
    if projection is not None:
        projection = _as_of_today(projection)
    extra: dict[str, Any] = {"found": projection is not None}
    if row is not None:
        extra.update(kind=row.kind, object_id=row.object_id)
    if projection is not None:
        extra["status_code"] = projection.status_code
    audit_record(
        event_type=AuditEventType.DOCUMENT_VERIFIED,
        actor=actor,
        extra=extra,
        ip=ip,
    )
    return projection
