from django.urls import path

from . import staff_views

app_name = "exception_requests_staff"
urlpatterns = [
    path("", staff_views.list_view, name="list"),
    path("<str:number>/", staff_views.detail_view, name="detail"),
    path(
        "<str:number>/attachments/<int:attachment_id>/",
        staff_views.attachment_view,
        name="attachment",
    ),
]
