from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("transactions/", views.transactions_view, name="transactions"),
    path("transactions.xlsx", views.transactions_xlsx_view, name="transactions_xlsx"),
    path("statement/", views.statement_view, name="statement"),
    path("statement.xlsx", views.statement_xlsx_view, name="statement_xlsx"),
    path("statement.pdf", views.statement_pdf_view, name="statement_pdf"),
    path("visas/", views.visas_view, name="visas"),
]
