from django.urls import path

from . import views

app_name = "oversight"
urlpatterns = [
    path("", views.audit_view, name="audit"),
    path("events/<int:pk>/", views.audit_event_view, name="audit_event"),
    path("audit.csv", views.audit_csv_view, name="audit_csv"),
    path("audit.xlsx", views.audit_xlsx_view, name="audit_xlsx"),
    path("statistics/", views.statistics_view, name="statistics"),
    path("statistics/<slug:table>.csv", views.statistics_csv_view, name="statistics_csv"),
]
