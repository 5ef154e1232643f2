from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    DEPARTURE = "departure", _("Departure")
    ARRIVAL = "arrival", _("Arrival")


class BorderCrossing(models.Model):
    """A departure or arrival recorded by border control or by authority staff."""

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="crossings"
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    crossed_on = models.DateField(_("date"))
    port = models.CharField(_("border port"), max_length=80, blank=True)
    visa = models.ForeignKey(
        "exit_reentry.Visa",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crossings",
    )
    final_exit = models.ForeignKey(
        "final_exit.FinalExit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crossings",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credential = models.ForeignKey(
        "integrations.IntegrationCredential",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The border system's own id for the event: a retried message is recorded once.
    external_id = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("border crossing")
        verbose_name_plural = _("border crossings")
        ordering = ["-crossed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.resident_id} {self.crossed_on}"
