from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from muqeem.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "establishment", "is_main_user", "is_staff", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Muqeem", {"fields": ("establishment", "is_main_user", "full_name_ar")}),
    )  # type: ignore[misc]
