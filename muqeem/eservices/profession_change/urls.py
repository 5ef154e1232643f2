from django.urls import path

from . import views

app_name = "profession_change"
urlpatterns = [
    path("", views.change_view, name="change"),
    path("confirm/", views.confirm_view, name="confirm"),
    path("requests/<str:number>/", views.result_view, name="result"),
]
