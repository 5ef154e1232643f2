from django.urls import path

from . import staff_views

app_name = "payments_staff"
urlpatterns = [
    path("", staff_views.bills_view, name="bills"),
    path("bills/<str:number>/", staff_views.bill_detail_view, name="detail"),
    path("bills/<str:number>/confirm/", staff_views.bill_confirm_view, name="confirm"),
    path("bills/<str:number>/reverse/", staff_views.bill_reverse_view, name="reverse"),
    path("establishments/<str:moi_number>/refund/", staff_views.refund_view, name="refund"),
]
