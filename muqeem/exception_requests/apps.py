from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExceptionRequestsConfig(AppConfig):
    name = "muqeem.exception_requests"
    label = "exception_requests"
    verbose_name = _("Exception requests")
