from django.urls import path

from . import views

app_name = "exception_requests"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.file_view, name="file"),
    path("<str:number>/", views.detail_view, name="detail"),
    path("<str:number>/withdraw/", views.withdraw_view, name="withdraw"),
    path(
        "<str:number>/attachments/<int:attachment_id>/",
        views.attachment_view,
        name="attachment",
    ),
]
