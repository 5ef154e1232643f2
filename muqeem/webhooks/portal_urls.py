"""Portal pages for webhooks, mounted at `/settings/webhooks/` (namespace `webhooks`)."""

from django.urls import path

from muqeem.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list_view, name="list"),
    path("new/", views.endpoint_create_view, name="create"),
    path("<int:endpoint_id>/", views.endpoint_detail_view, name="detail"),
    path("<int:endpoint_id>/active/", views.endpoint_toggle_view, name="toggle"),
    path(
        "deliveries/<int:delivery_id>/redeliver/", views.delivery_redeliver_view, name="redeliver"
    ),
]
