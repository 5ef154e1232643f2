from django.urls import path

from . import views

app_name = "final_exit"
urlpatterns = [
    path("", views.issue_view, name="issue"),
    path("probation/", views.probation_view, name="probation"),
    path("confirm/", views.issue_confirm_view, name="issue_confirm"),
    path("<str:number>/", views.detail_view, name="detail"),
    path("<str:number>/cancel/", views.cancel_view, name="cancel"),
    path("<str:number>/print/", views.pdf_view, name="print"),
]
