from django.urls import path

from . import views

app_name = "passport_update"
urlpatterns = [
    path("", views.update_view, name="update"),
    path("confirm/", views.confirm_view, name="confirm"),
    path("requests/<str:number>/", views.result_view, name="result"),
]
