from django.urls import path

from .apis import DeliveryEventCreateApi

urlpatterns = [
    path(
        "deliveries/<str:tracking>/events/",
        DeliveryEventCreateApi.as_view(),
        name="postal-delivery-event-create",
    )
]
