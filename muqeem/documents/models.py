from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    """32 URL-safe characters from 24 random bytes: unguessable, and unrelated to the object's id
    or to any number printed on the document (STYLE.md 8.12)."""
    return secrets.token_urlsafe(24)


class VerificationToken(models.Model):
    """The opaque key in a document's QR code. One per document, kept for as long as the document
    may be presented, so every printout of the same document carries the same code."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("verification token")
        verbose_name_plural = _("verification tokens")
        constraints = [
            # Also the (kind, object_id) index; unique so that concurrent first printouts of one
            # document cannot mint two different codes.
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="documents_token_one_per_document"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id}"
