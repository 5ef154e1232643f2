from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.staff import StaffRole
from muqeem.establishments.models import mobile_validator


class User(AbstractUser):
    """An establishment's officer (main user or sub-user) or, with no establishment, authority staff."""

    establishment = models.ForeignKey(
        "establishments.Establishment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("establishment"),
    )
    is_main_user = models.BooleanField(_("main user"), default=False)
    # Codes of `accounts.permissions.Permission` granted to a sub-user; the main user has them all.
    service_permissions = models.JSONField(_("permissions"), default=list, blank=True)
    full_name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    # Authority staff only (`accounts.staff`): operator, supervisor or auditor.
    staff_role = models.CharField(
        _("staff role"), max_length=12, blank=True, choices=StaffRole.choices
    )
    # Authority staff's own mobile for the security code at login (`accounts.security_code`); an
    # establishment's officers receive theirs on the establishment's registered mobile.
    mobile = models.CharField(_("mobile"), max_length=12, blank=True, validators=[mobile_validator])

    # `createsuperuser` asks for the mobile: an administrator cannot sign in without the code.
    REQUIRED_FIELDS = ["email", "mobile"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def has_service_permission(self, permission: str) -> bool:
        if not self.is_active or self.establishment_id is None:
            return False
        return self.is_main_user or permission in (self.service_permissions or [])

    def display_name(self) -> str:
        english = self.get_full_name()
        if (get_language() or "ar").startswith("ar"):
            return self.full_name_ar or english or self.username
        return english or self.full_name_ar or self.username


class SecurityCodePurpose(models.TextChoices):
    ESERVICES = "eservices", _("Entry to the e-services")
    # Staff and administrators: the second factor of the login itself (staff console, /admin/).
    LOGIN = "login", _("Staff login")


class SecurityCode(models.Model):
    """A one-time security code (رمز الأمان), bound to one login session. Only its HMAC is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_codes")
    session_key_hash = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=20, choices=SecurityCodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    sent_to = models.CharField(max_length=12)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"code #{self.pk} for user {self.user_id}"
