from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.access import establishment_required


@establishment_required
def bills_view(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/placeholder.html", {"title": _("Balance top-up")})


app_name = "payments"
urlpatterns = [
    path("", bills_view, name="bills"),
]
