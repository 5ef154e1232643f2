from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.access import staff_required


@staff_required
def audit_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Audit log")})


@staff_required
def statistics_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Statistics")})


app_name = "oversight"
urlpatterns = [
    path("", audit_view, name="audit"),
    path("statistics/", statistics_view, name="statistics"),
]
