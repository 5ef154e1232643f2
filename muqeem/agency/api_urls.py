from django.urls import path

from .apis import (
    AbsenceReportApi,
    FingerprintApi,
    ImportConfirmApi,
    ImportCreateApi,
    ImportDetailApi,
    InsuranceApi,
    TrafficFineCreateApi,
    TrafficFineDetailApi,
    TrafficFinePaymentApi,
    VehiclesApi,
)

app_name = "agency_api"
urlpatterns = [
    path("residents/<str:iqama_number>/insurance/", InsuranceApi.as_view(), name="insurance"),
    path("residents/<str:iqama_number>/fingerprint/", FingerprintApi.as_view(), name="fingerprint"),
    path("residents/<str:iqama_number>/vehicles/", VehiclesApi.as_view(), name="vehicles"),
    path(
        "residents/<str:iqama_number>/absence-report/",
        AbsenceReportApi.as_view(),
        name="absence-report",
    ),
    path("traffic-fines/", TrafficFineCreateApi.as_view(), name="traffic-fines"),
    path("traffic-fines/<str:number>/", TrafficFineDetailApi.as_view(), name="traffic-fine"),
    path(
        "traffic-fines/<str:number>/payment/",
        TrafficFinePaymentApi.as_view(),
        name="traffic-fine-payment",
    ),
    path("imports/<slug:kind>/", ImportCreateApi.as_view(), name="imports"),
    path("imports/<slug:kind>/<int:pk>/", ImportDetailApi.as_view(), name="import"),
    path(
        "imports/<slug:kind>/<int:pk>/confirm/", ImportConfirmApi.as_view(), name="import-confirm"
    ),
]
