from django.urls import path

from . import views

app_name = "residents"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("export.xlsx", views.export_xlsx_view, name="export_xlsx"),
    path("export.pdf", views.export_pdf_view, name="export_pdf"),
    path("find/", views.find_view, name="find"),
    path("<str:iqama_number>/", views.file_view, name="file"),
]
