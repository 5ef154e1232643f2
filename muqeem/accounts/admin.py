from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from muqeem.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "establishment", "is_main_user", "is_staff", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "Muqeem",
            {"fields": ("establishment", "is_main_user", "full_name_ar", "staff_role", "mobile")},
        ),
    )  # type: ignore[misc]


def _admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin has no login form of its own (it would take a password alone): administrators sign
    in on the portal's login page, password then security code (ASVS 4.3.1), and come back."""
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    return redirect_to_login(target, reverse("accounts:login"))


# Replaces the default site's login view before its URLs are built (admin autodiscovery runs before
# the URLconf is loaded).
admin.site.login = _admin_login  # type: ignore[method-assign]
