from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceTransferConfig(AppConfig):
    name = "muqeem.eservices.service_transfer"
    label = "service_transfer"
    verbose_name = _("Transfer of services")

    def ready(self) -> None:
        from .machine import register

        register()
