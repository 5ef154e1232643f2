from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from muqeem.integrations.models import IntegrationCredential

PREFIX_LENGTH = 8


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def integration_credential_create(*, name: str, kind: str) -> tuple[IntegrationCredential, str]:
    """A new credential and its key, which is returned this once and never stored."""
    key = f"mqi_{secrets.token_urlsafe(32)}"
    credential = IntegrationCredential.objects.create(
        name=name, kind=kind, key_prefix=key[:PREFIX_LENGTH], key_hash=_hash(key)
    )
    return credential, key


def integration_credential_authenticate(*, key: str) -> IntegrationCredential | None:
    credential = IntegrationCredential.objects.filter(key_hash=_hash(key), is_active=True).first()
    if credential is not None:
        IntegrationCredential.objects.filter(pk=credential.pk).update(last_used_at=timezone.now())
    return credential


def integration_credential_revoke(*, credential: IntegrationCredential) -> None:
    IntegrationCredential.objects.filter(pk=credential.pk).update(is_active=False)
