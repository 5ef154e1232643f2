from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IqamaIssuanceConfig(AppConfig):
    name = "muqeem.eservices.iqama_issuance"
    label = "iqama_issuance"
    verbose_name = _("Issue iqama")

    def ready(self) -> None:
        from muqeem.workflow.machine import INSTANT, ServiceType, register_transitions

        register_transitions(ServiceType.IQAMA_ISSUANCE, INSTANT)
