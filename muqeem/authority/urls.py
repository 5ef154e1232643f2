from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.access import staff_required


@staff_required
def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Staff console")})


@staff_required
def schedule_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Fees and rules")})


@staff_required
def establishments_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Establishments")})


@staff_required
def residents_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Residents")})


app_name = "authority"
urlpatterns = [
    path("", home_view, name="home"),
    path("schedule/", schedule_view, name="schedule"),
    path("establishments/", establishments_view, name="establishments"),
    path("residents/", residents_view, name="residents"),
]
