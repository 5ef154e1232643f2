"""API keys of establishments and the responses remembered for idempotent POSTs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A credential an establishment's HR system calls the API with.

    Only the SHA-256 of the key is stored (the key is shown once, at creation). Each key acts through
    its own service user of the establishment, so the services get a real `User` actor and the audit
    trail and request history show which key did what."""

    establishment = models.ForeignKey(
        "establishments.Establishment",
        on_delete=models.PROTECT,
        related_name="api_keys",
        verbose_name=_("establishment"),
    )
    name = models.CharField(_("name"), max_length=100)
    # Codes of `accounts.permissions.Permission`; never more than the creator held.
    permissions = models.JSONField(_("permissions"), default=list)
    # The key's first characters (`mqk_` + 8), shown in lists so officers can tell keys apart.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [models.Index(fields=["establishment", "created_at"], name="apikey_est_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first response to a POST with a given `Idempotency-Key`, per API key.

    A row with no `status_code` is a claim: a request with that key is executing right now. Only
    successful responses are kept; a refused request changed nothing and releases its key."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The rendered JSON, byte for byte, so a replay is identical to the first response.
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="api_idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.key}"
