from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassportUpdateConfig(AppConfig):
    name = "muqeem.eservices.passport_update"
    label = "passport_update"
    verbose_name = _("Passport information update")

    def ready(self) -> None:
        from muqeem.workflow.machine import INSTANT, ServiceType, register_transitions

        register_transitions(ServiceType.PASSPORT_UPDATE, INSTANT)
