from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from muqeem.accounts.access import client_ip, current_officer, establishment_required
from muqeem.accounts.forms import LoginForm, SecurityCodeForm
from muqeem.accounts.models import SecurityCodePurpose, User
from muqeem.accounts.security_code import (
    SESSION_FLAG,
    login_needs_security_code,
    mask_mobile,
    security_code_live,
    security_code_recipient,
    security_code_send,
    security_code_verify,
)
from muqeem.accounts.services import password_set_notify
from muqeem.core.errors import DomainError

# Session key of a login whose password was right but whose security code is not in yet (staff and
# administrators): {"user": pk, "backend": dotted path, "at": epoch seconds}. The session is not
# signed in until the code is verified.
PENDING_LOGIN = "pending_login"
PENDING_LOGIN_SECONDS = 15 * 60


def _default_landing(user: Any) -> str:
    if getattr(user, "is_staff", False) and getattr(user, "establishment_id", None) is None:
        return reverse("authority:home")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return _default_landing(self.request.user)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not login_needs_security_code(user):
            return super().form_valid(form)
        # Staff console and /admin/ (ASVS 4.3.1): the password alone signs nobody in; the security
        # code sent to the staff member's mobile completes the login. A fresh session id now, so
        # an id planted before the password was typed is worthless.
        session = self.request.session
        session.cycle_key()
        session[PENDING_LOGIN] = {"user": user.pk, "backend": user.backend, "at": int(time.time())}
        next_url = self.get_redirect_url() or _default_landing(user)
        return HttpResponseRedirect(
            reverse("accounts:security_code") + "?" + urlencode({"next": next_url})
        )


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def _safe_next(request: HttpRequest, default: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default or reverse("web:home")


def _pending_login(request: HttpRequest) -> tuple[User, str] | None:
    """The staff member (and authentication backend) whose password this session entered within
    PENDING_LOGIN_SECONDS, still active; None otherwise."""
    pending = request.session.get(PENDING_LOGIN)
    if not isinstance(pending, dict):
        return None
    if request.user.is_authenticated or time.time() - pending.get("at", 0) > PENDING_LOGIN_SECONDS:
        del request.session[PENDING_LOGIN]
        return None
    user_id = pending.get("user")
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        del request.session[PENDING_LOGIN]
        return None
    return user, str(pending.get("backend", ""))


def security_code_view(request: HttpRequest) -> HttpResponse:
    """The security code page: the second step of a staff login, or the e-services' entry."""
    pending = _pending_login(request)
    if pending is None:
        return _eservices_security_code(request)
    user, backend = pending

    def complete_login() -> None:
        del request.session[PENDING_LOGIN]
        login(request, user, backend=backend)  # a new session id, signed in from here
        request.session[SESSION_FLAG] = timezone.now().isoformat()

    return _security_code_page(
        request,
        user=user,
        purpose=SecurityCodePurpose.LOGIN,
        next_url=_safe_next(request, _default_landing(user)),
        on_verified=complete_login,
    )


@establishment_required
def _eservices_security_code(request: HttpRequest) -> HttpResponse:
    user = current_officer(request)
    next_url = _safe_next(request)
    if request.session.get(SESSION_FLAG):
        return HttpResponseRedirect(next_url)

    def open_eservices() -> None:
        # A new session id once the second factor is in, so a stolen pre-code id is worthless.
        request.session.cycle_key()
        request.session[SESSION_FLAG] = timezone.now().isoformat()

    return _security_code_page(
        request,
        user=user,
        purpose=SecurityCodePurpose.ESERVICES,
        next_url=next_url,
        on_verified=open_eservices,
    )


def _security_code_page(
    request: HttpRequest,
    *,
    user: User,
    purpose: str,
    next_url: str,
    on_verified: Callable[[], None],
) -> HttpResponse:
    if request.session.session_key is None:
        request.session.save()
    session_key = request.session.session_key or ""
    form = SecurityCodeForm(request.POST or None)
    error: DomainError | None = None
    ip = client_ip(request)

    def send() -> None:
        security_code_send(user=user, session_key=session_key, ip=ip, purpose=purpose)

    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            send()
            messages.success(request, _("A new security code was sent."))
        except DomainError as exc:
            error = exc
        form = SecurityCodeForm()
    elif request.method == "POST" and form.is_valid():
        try:
            security_code_verify(
                user=user,
                session_key=session_key,
                code=form.cleaned_data["code"],
                ip=ip,
                purpose=purpose,
            )
        except DomainError as exc:
            error = exc
        else:
            on_verified()
            messages.success(request, _("The security code was verified successfully."))
            return HttpResponseRedirect(next_url)
    elif (
        request.method == "GET"
        and security_code_live(user=user, session_key=session_key, purpose=purpose) is None
    ):
        try:
            send()
        except DomainError as exc:
            error = exc
    try:
        masked_mobile = mask_mobile(security_code_recipient(user))
    except DomainError:
        masked_mobile = ""
    return render(
        request,
        "accounts/security_code.html",
        {
            "form": form,
            "error": error,
            "next": next_url,
            "masked_mobile": masked_mobile,
            "staff_login": purpose == SecurityCodePurpose.LOGIN,
        },
        status=400 if error is not None else 200,
    )


class ActivateView(auth_views.PasswordResetConfirmView):
    """Setting a password from an activation link; the account's owner is told by e-mail."""

    template_name = "accounts/activate.html"
    success_url = reverse_lazy("accounts:activated")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_set_notify(user=form.user)
        return response
