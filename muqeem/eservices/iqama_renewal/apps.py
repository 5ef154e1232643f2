from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IqamaRenewalConfig(AppConfig):
    name = "muqeem.eservices.iqama_renewal"
    label = "iqama_renewal"
    verbose_name = _("Renew Iqama")

    def ready(self) -> None:
        from muqeem.eservices.iqama_renewal.machine import register

        register()
