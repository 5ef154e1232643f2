from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from muqeem.core.ids import pk_from_public_number, public_number

TRACKING_NUMBER_BASE = 8_000_000_000


class DeliveryReason(models.TextChoices):
    NEW_ISSUANCE = "new_issuance", _("First issuance")
    LOST = "lost", _("Replacement of a lost card")
    DAMAGED = "damaged", _("Replacement of a damaged card")
    PROFESSION_CHANGE = "profession_change", _("New card after a profession change")


class DeliveryStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PRINTED = "printed", _("Printed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned to sender")


# The only moves a delivery can make; anything else (out of order, backwards) is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    DeliveryStatus.REQUESTED: frozenset({DeliveryStatus.PRINTED}),
    DeliveryStatus.PRINTED: frozenset({DeliveryStatus.SHIPPED}),
    DeliveryStatus.SHIPPED: frozenset(
        {DeliveryStatus.DELIVERED, DeliveryStatus.RETURNED_TO_SENDER}
    ),
    DeliveryStatus.DELIVERED: frozenset(),
    DeliveryStatus.RETURNED_TO_SENDER: frozenset(),
}
OPEN_STATUSES = (DeliveryStatus.REQUESTED, DeliveryStatus.PRINTED, DeliveryStatus.SHIPPED)


class DeliverySource(models.TextChoices):
    PORTAL = "portal", _("Muqeem portal")
    POSTAL = "postal", _("Saudi Post")
    STAFF = "staff", _("Passports directorate")


class DeliveryOrder(models.Model):
    """A Wasel (Saudi Post) delivery of an iqama card to the establishment's national address."""

    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="deliveries"
    )
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="deliveries"
    )
    service_request = models.ForeignKey(
        "workflow.ServiceRequest", on_delete=models.PROTECT, related_name="deliveries"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=DeliveryReason.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.REQUESTED
    )
    card_version = models.PositiveSmallIntegerField(_("card version"))
    # The national address as it was when the order was placed.
    building_number = models.CharField(_("building no."), max_length=4)
    street = models.CharField(_("street"), max_length=120)
    district = models.CharField(_("district"), max_length=120)
    city = models.CharField(_("city"), max_length=120)
    postal_code = models.CharField(_("postal code"), max_length=5)
    additional_number = models.CharField(_("additional no."), max_length=4)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("ordered at"))
    updated_at = models.DateTimeField(_("updated at"))
    # When the current status was reached (the postal system's time when it reported one).
    status_changed_at = models.DateTimeField(_("last change"))

    class Meta:
        verbose_name = _("delivery order")
        verbose_name_plural = _("delivery orders")
        indexes = [
            models.Index(fields=["establishment", "status"], name="delivery_est_status_idx"),
            models.Index(fields=["resident", "status"], name="delivery_resident_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="delivery_order_status_valid",
            ),
            # One card in the post per resident at a time, even if two services race to order one.
            models.UniqueConstraint(
                fields=["resident"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="delivery_one_open_per_resident",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def tracking_number(self) -> str:
        return "WSL" + public_number(self.pk, TRACKING_NUMBER_BASE)

    @staticmethod
    def pk_from_tracking_number(tracking: str) -> int | None:
        tracking = (tracking or "").strip().upper()
        if not tracking.startswith("WSL"):
            return None
        return pk_from_public_number(tracking[3:], TRACKING_NUMBER_BASE)


class DeliveryEvent(models.Model):
    """Each status a delivery went through, who reported it, and the postal system's event id."""

    order = models.ForeignKey(DeliveryOrder, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices)
    occurred_at = models.DateTimeField(_("time"))
    source = models.CharField(_("source"), max_length=10, choices=DeliverySource.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The reporter's own event id (namespaced by source): a retried message is recorded once.
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
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

    class Meta:
        # Processing order is the status order; a reported `occurred_at` may lag behind.
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="delivery_event_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.status}"
