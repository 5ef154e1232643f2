from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "muqeem.delivery"
    label = "delivery"
    verbose_name = _("Wasel delivery")

    def ready(self) -> None:
        from muqeem.workflow.machine import INSTANT, ServiceType, register_transitions

        # A replacement card is ordered and charged in the transaction that submits it; the card's
        # own progress (printed, shipped…) lives on the delivery order, not on the request.
        register_transitions(ServiceType.CARD_DELIVERY, INSTANT)
