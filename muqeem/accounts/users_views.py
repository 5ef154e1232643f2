from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.accounts.permissions import READ_ONLY
from muqeem.accounts.services import (
    access_user,
    user_create,
    user_resend_activation,
    user_update,
    users_of_establishment,
)
from muqeem.accounts.users_forms import ROLE_OFFICER, ROLE_READ_ONLY, UserCreateForm, UserUpdateForm
from muqeem.core.errors import DomainError


@establishment_required
def user_list_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    return render(
        request, "accounts/users/list.html", {"users": list(users_of_establishment(actor=officer))}
    )


@establishment_required
@require_http_methods(["GET", "POST"])
def user_create_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(
                actor=officer,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                full_name_ar=form.cleaned_data["full_name_ar"],
                permissions=form.chosen_permissions(),
            )
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request, _("The user was created and an activation link was e-mailed.")
            )
            return HttpResponseRedirect(reverse("users:detail", args=[user.pk]))
    return render(request, "accounts/users/form.html", {"form": form, "creating": True})


@establishment_required
@require_http_methods(["GET", "POST"])
def user_detail_view(request: HttpRequest, user_id: int) -> HttpResponse:
    officer = current_officer(request)
    try:
        user = access_user(actor=officer, user_id=user_id)
    except DomainError:
        raise Http404 from None
    read_only = sorted(user.service_permissions or []) == sorted(p.value for p in READ_ONLY)
    initial = {
        "role": ROLE_READ_ONLY if read_only else ROLE_OFFICER,
        "permissions": user.service_permissions,
        "is_active": user.is_active,
    }
    form = UserUpdateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user_update(
                actor=officer,
                user_id=user.pk,
                permissions=form.chosen_permissions(),
                is_active=form.cleaned_data["is_active"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.http_status
        else:
            messages.success(request, _("The user's permissions were saved."))
            return HttpResponseRedirect(reverse("users:detail", args=[user.pk]))
    return render(
        request,
        "accounts/users/form.html",
        {
            "form": form,
            "creating": False,
            "managed": user,
            "editable": not user.is_main_user and user.pk != officer.pk,
        },
        status=status,
    )


@establishment_required
@require_POST
def user_resend_view(request: HttpRequest, user_id: int) -> HttpResponse:
    officer = current_officer(request)
    try:
        user_resend_activation(actor=officer, user_id=user_id)
    except DomainError as exc:
        if exc.code == "NOT_FOUND":
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The activation link was sent again."))
    return HttpResponseRedirect(reverse("users:detail", args=[user_id]))
