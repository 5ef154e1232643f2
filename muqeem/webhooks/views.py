"""Portal pages (Settings → Webhooks), for the main user only: endpoints, their delivery log, and a
manual redeliver. A new endpoint's signing secret is shown once, on the page that creates it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.webhooks.forms import WebhookEndpointForm
from muqeem.webhooks.models import WebhookEventType
from muqeem.webhooks.services import (
    access_endpoint,
    deliveries_of_endpoint,
    endpoints_of_establishment,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
    webhook_redeliver,
)

View = Callable[..., HttpResponse]


def main_user_required(view: View) -> View:
    @establishment_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not current_officer(request).is_main_user:
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.code == ErrorCode.NOT_FOUND:
                raise Http404 from None
            raise

    return wrapper


@main_user_required
def endpoint_list_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    return render(
        request,
        "webhooks/list.html",
        {"endpoints": list(endpoints_of_establishment(actor=officer))},
    )


@main_user_required
@require_http_methods(["GET", "POST"])
def endpoint_create_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhook_endpoint_create(
                actor=officer,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            )
        except DomainError as exc:
            if exc.code != ErrorCode.VALIDATION_FAILED:
                raise
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            # The secret is in this response only: never in a URL, a redirect or a cache.
            response = render(
                request, "webhooks/created.html", {"endpoint": endpoint, "secret": secret}
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "webhooks/form.html", {"form": form})


@main_user_required
def endpoint_detail_view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    officer = current_officer(request)
    endpoint = access_endpoint(actor=officer, endpoint_id=endpoint_id)
    labels = dict(WebhookEventType.choices)
    return render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "event_labels": [labels.get(e, e) for e in endpoint.event_types],
            "deliveries": deliveries_of_endpoint(endpoint=endpoint),
        },
    )


@main_user_required
@require_POST
def endpoint_toggle_view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    officer = current_officer(request)
    active = request.POST.get("active") == "1"
    endpoint = webhook_endpoint_set_active(actor=officer, endpoint_id=endpoint_id, active=active)
    if endpoint.is_active:
        messages.success(request, _("The endpoint was enabled."))
    else:
        messages.success(request, _("The endpoint was disabled."))
    return HttpResponseRedirect(reverse("webhooks:detail", args=[endpoint.pk]))


@main_user_required
@require_POST
def delivery_redeliver_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    officer = current_officer(request)
    delivery = webhook_redeliver(actor=officer, delivery_id=delivery_id)
    messages.success(request, _("The event was queued for delivery again."))
    return HttpResponseRedirect(reverse("webhooks:detail", args=[delivery.endpoint_id]))
