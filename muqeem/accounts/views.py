from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from muqeem.accounts.access import client_ip, current_officer, establishment_required
from muqeem.accounts.forms import LoginForm, SecurityCodeForm
from muqeem.accounts.security_code import (
    SESSION_FLAG,
    mask_mobile,
    security_code_live,
    security_code_send,
    security_code_verify,
)
from muqeem.core.errors import DomainError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        if getattr(user, "is_staff", False) and getattr(user, "establishment_id", None) is None:
            return reverse("authority:home")
        return super().get_default_redirect_url()


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("web:home")


@establishment_required
def security_code_view(request: HttpRequest) -> HttpResponse:
    user = current_officer(request)
    next_url = _safe_next(request)
    if request.session.get(SESSION_FLAG):
        return HttpResponseRedirect(next_url)
    if request.session.session_key is None:
        request.session.save()
    session_key = request.session.session_key or ""
    form = SecurityCodeForm(request.POST or None)
    error: DomainError | None = None
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            security_code_send(user=user, session_key=session_key, ip=client_ip(request))
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
                ip=client_ip(request),
            )
        except DomainError as exc:
            error = exc
        else:
            # A new session id once the second factor is in, so a stolen pre-code id is worthless.
            request.session.cycle_key()
            request.session[SESSION_FLAG] = timezone.now().isoformat()
            messages.success(request, _("The security code was verified successfully."))
            return HttpResponseRedirect(next_url)
    elif request.method == "GET" and security_code_live(user=user, session_key=session_key) is None:
        try:
            security_code_send(user=user, session_key=session_key, ip=client_ip(request))
        except DomainError as exc:
            error = exc
    establishment = user.establishment
    return render(
        request,
        "accounts/security_code.html",
        {
            "form": form,
            "error": error,
            "next": next_url,
            "masked_mobile": mask_mobile(establishment.registered_mobile) if establishment else "",
        },
        status=400 if error is not None else 200,
    )
