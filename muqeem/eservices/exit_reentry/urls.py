from django.urls import path

from . import views

app_name = "exit_reentry"
urlpatterns = [
    path("", views.issue_view, name="issue"),
    path("confirm/", views.issue_confirm_view, name="issue_confirm"),
    path("visas/<str:number>/", views.visa_view, name="visa"),
    path("visas/<str:number>/extend/", views.extend_view, name="extend"),
    path("visas/<str:number>/extend/confirm/", views.extend_confirm_view, name="extend_confirm"),
    path("visas/<str:number>/cancel/", views.cancel_view, name="cancel"),
    path("visas/<str:number>/print/", views.visa_pdf_view, name="print"),
    path("visas/<str:number>/pay-fine/", views.fine_pay_view, name="pay_fine"),
]
