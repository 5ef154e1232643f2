from django.urls import path

from . import views

app_name = "border"
urlpatterns = [path("", views.crossings_view, name="crossings")]
