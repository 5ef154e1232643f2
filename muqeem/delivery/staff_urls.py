from django.urls import path

from . import staff_views

app_name = "delivery_staff"
urlpatterns = [path("", staff_views.orders_view, name="orders")]
