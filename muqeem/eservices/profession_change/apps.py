from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfessionChangeConfig(AppConfig):
    name = "muqeem.eservices.profession_change"
    label = "profession_change"
    verbose_name = _("Profession change")

    def ready(self) -> None:
        from muqeem.workflow.machine import INSTANT, ServiceType, register_transitions

        register_transitions(ServiceType.PROFESSION_CHANGE, INSTANT)
