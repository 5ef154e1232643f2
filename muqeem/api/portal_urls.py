"""Portal pages for API keys, mounted at `/settings/api-keys/` (namespace `api_keys`)."""

from django.urls import path

from muqeem.api import views

app_name = "api_keys"
urlpatterns = [
    path("", views.api_key_list_view, name="list"),
    path("new/", views.api_key_create_view, name="create"),
    path("<int:key_id>/revoke/", views.api_key_revoke_view, name="revoke"),
]
