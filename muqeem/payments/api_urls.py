from django.urls import path

from .apis import BillInquiryApi, PaymentConfirmApi

app_name = "bank_api"
urlpatterns = [
    path("bills/<str:number>/", BillInquiryApi.as_view(), name="bill"),
    path("payments/", PaymentConfirmApi.as_view(), name="payment-confirm"),
]
