from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from muqeem.accounts.access import staff_required
from muqeem.accounts.models import User
from muqeem.core.dates import today
from muqeem.core.errors import DomainError

from .forms import CrossingForm
from .models import BorderCrossing
from .services import border_crossing_record

RECENT = 20


@staff_required
def crossings_view(request: HttpRequest) -> HttpResponse:
    form = CrossingForm(request.POST or None, initial={"crossed_on": today()})
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            border_crossing_record(
                iqama_number=form.cleaned_data["iqama_number"],
                direction=form.cleaned_data["direction"],
                on=form.cleaned_data["crossed_on"],
                port=form.cleaned_data["port"],
                user=cast(User, request.user),
            )
        except DomainError as exc:
            context["error"] = exc
            status = exc.http_status
        else:
            messages.success(request, _("The crossing was recorded."))
            return HttpResponseRedirect(reverse("border:crossings"))
    context["recent"] = BorderCrossing.objects.select_related(
        "resident", "visa", "final_exit"
    ).order_by("-id")[:RECENT]
    return render(request, "border/crossings.html", context, status=status)
