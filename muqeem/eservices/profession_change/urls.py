from django.urls import path  # noqa: F401

app_name = "profession_change"
urlpatterns: list = []
