from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "muqeem.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from muqeem.accounts import passwords, signals  # noqa: F401
