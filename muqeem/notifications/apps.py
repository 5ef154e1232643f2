from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "muqeem.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        checks.register(sms_gateway_url_check, checks.Tags.security)


def sms_gateway_url_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`manage.py check` (and so `migrate`, `runserver`) refuses an SMS gateway reached in clear."""
    from muqeem.notifications.sms import gateway_url_problem

    if settings.SMS_BACKEND != "http":
        return []
    problem = gateway_url_problem(settings.SMS_HTTP_URL)
    if problem is None:
        return []
    return [checks.Error(problem, hint="Set SMS_HTTP_URL to https://...", id="notifications.E001")]
