"""Users of an establishment: the main user (or a user granted users management) adds sub-users,
grants per-service permissions and deactivates them. New users set their own password through a
one-time activation link."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from muqeem.accounts.models import User
from muqeem.accounts.permissions import Permission
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.i18n import in_both_languages

if TYPE_CHECKING:
    from django.db.models import QuerySet


def _clean_permissions(permissions: Iterable[str]) -> list[str]:
    valid = {p.value for p in Permission}
    return sorted({p for p in permissions if p in valid})


def users_of_establishment(*, actor: User) -> QuerySet[User]:
    if actor.establishment_id is None:
        return User.objects.none()
    # API keys act through service users of their own; they are managed on the API keys page.
    return User.objects.filter(
        establishment_id=actor.establishment_id, api_key__isnull=True
    ).order_by("-is_main_user", "username")


def access_user(*, actor: User, user_id: int) -> User:
    user = users_of_establishment(actor=actor).filter(pk=user_id).first()
    if user is None or actor.establishment_id is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return user


def activation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("accounts:activate", args=[uid, token])


def _send_activation(user: User) -> None:
    link = activation_link(user)
    subject = in_both_languages(lambda: _("Activate your Muqeem account"), separator=" / ")
    body = in_both_languages(
        lambda: _("Hello {name}. Set your password to activate your account: {link}").format(
            name=user.display_name(), link=link
        ),
        separator="\n\n",
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def password_set_notify(*, user: User) -> None:
    """Tell the user their password was set (ASVS 2.2.3): a change they did not make is something to
    report at once. The e-mail carries no link and no secret."""
    if not user.email:
        return
    subject = in_both_languages(lambda: _("Your Muqeem password was set"), separator=" / ")
    body = in_both_languages(
        lambda: _(
            "Hello {name}. The password of your Muqeem account {username} was set just now. If "
            "this was not you, tell your establishment's main user at once so that they "
            "deactivate the account."
        ).format(name=user.display_name(), username=user.username),
        separator="\n\n",
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def user_create(
    *,
    actor: User,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    full_name_ar: str,
    permissions: Iterable[str],
) -> User:
    """A sub-user with an unusable password; the activation e-mail leaves after commit."""
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, fields={"username": [_("This username is taken.")]}
        )
    with transaction.atomic():
        user = User(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            full_name_ar=full_name_ar,
            establishment_id=actor.establishment_id,
            is_main_user=False,
            service_permissions=_clean_permissions(permissions),
        )
        user.set_unusable_password()
        user.save()
        audit_record(
            event_type=AuditEventType.USER_CREATED,
            actor=actor,
            extra={"user": user.pk, "permissions": user.service_permissions},
        )
        transaction.on_commit(lambda: _send_activation(user))
    return user


def user_update(*, actor: User, user_id: int, permissions: Iterable[str], is_active: bool) -> User:
    with transaction.atomic():
        user = access_user(actor=actor, user_id=user_id)
        if user.is_main_user or user.pk == actor.pk:
            # The main user's rights come with the role, and nobody locks themselves out.
            raise DomainError(ErrorCode.PERMISSION_DENIED)
        old = {"permissions": user.service_permissions, "is_active": user.is_active}
        user.service_permissions = _clean_permissions(permissions)
        user.is_active = is_active
        user.save(update_fields=["service_permissions", "is_active"])
        audit_record(
            event_type=AuditEventType.USER_UPDATED,
            actor=actor,
            extra={
                "user": user.pk,
                "old": old,
                "new": {"permissions": user.service_permissions, "is_active": is_active},
            },
        )
    return user


def user_resend_activation(*, actor: User, user_id: int) -> None:
    user = access_user(actor=actor, user_id=user_id)
    if user.has_usable_password():
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, fields={"user": [_("This user is already active.")]}
        )
    _send_activation(user)
