from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "muqeem.core"
    label = "core"
    verbose_name = "Core"
