from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.access import staff_required


@staff_required
def list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Exception requests")})


app_name = "exception_requests_staff"
urlpatterns = [
    path("", list_view, name="list"),
]
