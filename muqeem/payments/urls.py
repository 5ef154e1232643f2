from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("", views.bills_view, name="bills"),
    path("bills/<str:number>/", views.bill_detail_view, name="detail"),
    path("bills/<str:number>/cancel/", views.bill_cancel_view, name="cancel"),
    path("bills/<str:number>/receipt.pdf", views.bill_receipt_view, name="receipt"),
]
