from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "muqeem.demo"
    label = "demo"
    verbose_name = "Demo data"
