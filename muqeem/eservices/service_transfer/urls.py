from django.urls import path

from . import views

app_name = "service_transfer"
urlpatterns = [
    path("", views.request_view, name="request"),
    path("confirm/", views.request_confirm_view, name="confirm"),
    path("inbox/", views.inbox_view, name="inbox"),
    path("outgoing/", views.outgoing_view, name="outgoing"),
    path("<str:number>/", views.detail_view, name="detail"),
    path("<str:number>/approve/", views.approve_view, name="approve"),
    path("<str:number>/reject/", views.reject_view, name="reject"),
    path("<str:number>/withdraw/", views.withdraw_view, name="withdraw"),
    path("<str:number>/consent/", views.consent_view, name="consent"),
]
