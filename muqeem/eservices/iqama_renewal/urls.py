from django.urls import path

from muqeem.eservices.iqama_renewal import views

app_name = "iqama_renewal"
urlpatterns = [
    path("", views.renew_view, name="renew"),
    path("confirm/", views.confirm_view, name="confirm"),
    path("requests/<str:number>/", views.result_view, name="result"),
]
