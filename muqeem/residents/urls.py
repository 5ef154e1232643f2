from django.urls import path

from . import views

app_name = "residents"
urlpatterns = [
    path("find/", views.find_view, name="find"),
    path("<str:iqama_number>/", views.file_view, name="file"),
]
