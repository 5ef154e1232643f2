from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "muqeem.fees"
    label = "fees"
    verbose_name = _("Fees and payments")

    def ready(self) -> None:
        from muqeem.workflow.machine import INSTANT, ServiceType, register_transitions

        register_transitions(ServiceType.FINE_PAYMENT, INSTANT)
