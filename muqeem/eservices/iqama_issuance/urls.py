from django.urls import path  # noqa: F401

app_name = "iqama_issuance"
urlpatterns: list = []
