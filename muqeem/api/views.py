"""Portal pages (Settings → API keys): the main user lists, creates and revokes the establishment's
API keys. A new key is shown once, on the page that creates it, and never again."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.api.forms import ApiKeyCreateForm
from muqeem.api.services import api_key_create, api_key_revoke, api_keys_of_establishment
from muqeem.core.errors import DomainError, ErrorCode


@establishment_required
def api_key_list_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    return render(
        request, "api/keys/list.html", {"keys": list(api_keys_of_establishment(actor=officer))}
    )


@establishment_required
@require_http_methods(["GET", "POST"])
def api_key_create_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = ApiKeyCreateForm(request.POST or None, officer=officer)
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = api_key_create(
                actor=officer,
                name=form.cleaned_data["name"],
                permissions=form.cleaned_data["permissions"],
            )
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            # The secret is in this response only: never in a URL, a redirect or a cache.
            response = render(request, "api/keys/created.html", {"key": key, "secret": secret})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "api/keys/form.html", {"form": form})


@establishment_required
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    officer = current_officer(request)
    try:
        key = api_key_revoke(actor=officer, key_id=key_id)
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise Http404 from None
        raise
    messages.success(request, _("The key “{name}” was revoked.").format(name=key.name))
    return HttpResponseRedirect(reverse("api_keys:list"))
