from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.web.selectors import EXPIRING_SOON_DAYS, establishment_home_figures


@establishment_required
def home(request: HttpRequest) -> HttpResponse:
    establishment = current_officer(request).establishment
    assert establishment is not None  # noqa: S101 - guaranteed by current_officer
    figures = establishment_home_figures(establishment=establishment)
    return render(
        request,
        "web/home.html",
        {"establishment": establishment, "figures": figures, "soon_days": EXPIRING_SOON_DAYS},
    )
