from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IntegrationKind(models.TextChoices):
    BORDER = "border", _("Border control")
    POSTAL = "postal", _("Postal service")
    BANK = "bank", _("Bank (SADAD)")
    AGENCY = "agency", _("Government agency data")
    # Each agency that feeds facts into the eligibility rules has its own credential kind.
    INSURANCE = "insurance", _("Health insurance council")
    TRAFFIC = "traffic", _("Traffic department (fines)")
    BIOMETRIC = "biometric", _("Fingerprint registry")
    VEHICLES = "vehicles", _("Vehicle registry")
    LABOUR = "labour", _("Labour office (absence reports)")


class IntegrationCredential(models.Model):
    """A machine credential of one of the authority's partner systems — never an establishment's.
    Only the key's SHA-256 is stored; the key is shown once when created."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=IntegrationKind.choices)
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("integration credential")
        verbose_name_plural = _("integration credentials")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.key_prefix}…)"
