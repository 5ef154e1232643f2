from django.urls import path

from . import views

app_name = "delivery"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("reprint/", views.reprint_view, name="reprint"),
    path("reprint/confirm/", views.reprint_confirm_view, name="reprint_confirm"),
    path("<str:tracking>/", views.detail_view, name="detail"),
]
