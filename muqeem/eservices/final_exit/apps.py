from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinalExitConfig(AppConfig):
    name = "muqeem.eservices.final_exit"
    label = "final_exit"
    verbose_name = _("Final exit")

    def ready(self) -> None:
        from muqeem.workflow.machine import INSTANT, ServiceType, register_transitions

        register_transitions(ServiceType.FINAL_EXIT_ISSUE, INSTANT)
        register_transitions(ServiceType.FINAL_EXIT_CANCEL, INSTANT)

        from muqeem.documents.registry import register_verifiable

        from .providers import FINAL_EXIT_DOCUMENT_KIND, final_exit_projection

        register_verifiable(FINAL_EXIT_DOCUMENT_KIND, final_exit_projection)
