from django.urls import path

from . import views

app_name = "iqama_issuance"
urlpatterns = [
    path("", views.issue_view, name="issue"),
    path("confirm/", views.confirm_view, name="confirm"),
    path("requests/<str:number>/", views.result_view, name="result"),
]
