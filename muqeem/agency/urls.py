from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.access import staff_required


@staff_required
def index_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Agency data")})


app_name = "agency"
urlpatterns = [
    path("", index_view, name="index"),
]
