from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExitReentryConfig(AppConfig):
    name = "muqeem.eservices.exit_reentry"
    label = "exit_reentry"
    verbose_name = _("Exit and re-entry visa")

    def ready(self) -> None:
        from muqeem.workflow.machine import INSTANT, ServiceType, register_transitions

        for service in (
            ServiceType.EXIT_REENTRY_ISSUE,
            ServiceType.EXIT_REENTRY_EXTEND,
            ServiceType.EXIT_REENTRY_CANCEL,
        ):
            register_transitions(service, INSTANT)

        from muqeem.documents.registry import register_verifiable

        from .providers import VISA_DOCUMENT_KIND, visa_projection

        register_verifiable(VISA_DOCUMENT_KIND, visa_projection)
