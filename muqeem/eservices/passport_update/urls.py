from django.urls import path  # noqa: F401

app_name = "passport_update"
urlpatterns: list = []
