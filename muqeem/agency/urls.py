from django.urls import path

from . import views

app_name = "agency"
urlpatterns = [
    path("", views.index_view, name="index"),
    path(
        "residents/<str:iqama_number>/<slug:fact>/",
        views.fact_update_view,
        name="fact_update",
    ),
    path("fines/", views.fines_view, name="fines"),
    path("fines/<str:number>/pay/", views.fine_pay_view, name="fine_pay"),
    path("imports/<slug:kind>/", views.import_view, name="import"),
    path("imports/<slug:kind>/template.csv", views.import_template_view, name="import_template"),
    path("imports/<slug:kind>/<int:pk>/", views.import_detail_view, name="import_detail"),
    path(
        "imports/<slug:kind>/<int:pk>/confirm/",
        views.import_confirm_view,
        name="import_confirm",
    ),
]
