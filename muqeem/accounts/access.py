from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from muqeem.accounts.models import User
from muqeem.accounts.permissions import permission_for_namespace
from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.accounts.staff import StaffCapability, is_staff_member, staff_can, staff_role
from muqeem.core.access_log import log_access_denied

View = Callable[..., HttpResponse]

# Access-control failures (ASVS 7.2.2), one line each: who (user id), which page (URL name, never the
# path, which may hold an iqama number), why (a reason code) and the request id to find the rest.


class DeniedReason:
    NOT_ESTABLISHMENT_USER = "not_establishment_user"  # staff or a service user in the portal
    SERVICE_PERMISSION = "service_permission"  # a sub-user without the service's permission
    NOT_STAFF = "not_staff"  # anyone but authority staff with a role in the console
    STAFF_ROLE = "staff_role"  # a staff role without the capability (e.g. an auditor's POST)


# The home page and the officer's own account pages (security code) need no service permission.
PERMISSION_FREE_NAMESPACES = frozenset({"web", "accounts"})


def _check_namespace_permission(request: HttpRequest) -> None:
    """The permission the page's URL namespace needs (see `accounts.permissions`); a namespace with
    no entry is refused to sub-users."""
    match = request.resolver_match
    namespace = match.namespace if match is not None else ""
    if not namespace or namespace in PERMISSION_FREE_NAMESPACES:
        return
    user = cast(User, request.user)
    permission = permission_for_namespace(namespace)
    if user.is_main_user:
        return
    if permission is None or not user.has_service_permission(permission):
        log_access_denied(request, DeniedReason.SERVICE_PERMISSION)
        raise PermissionDenied


def establishment_required(view: View) -> View:
    """Logged in as an establishment's officer (staff accounts have no portal) who holds the
    permission of the page's service."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "establishment_id", None) is None:
            log_access_denied(request, DeniedReason.NOT_ESTABLISHMENT_USER)
            raise Http404
        _check_namespace_permission(request)
        return view(request, *args, **kwargs)

    return wrapper


def eservices_required(view: View) -> View:
    """Logged in, and this session has entered the security code (رمز الأمان)."""

    @establishment_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.session.get(SESSION_FLAG):
            url = (
                reverse("accounts:security_code")
                + "?"
                + urlencode({"next": request.get_full_path()})
            )
            return HttpResponseRedirect(url)
        return view(request, *args, **kwargs)

    return wrapper


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def current_officer(request: HttpRequest) -> User:
    """The logged-in establishment user of a view wrapped by `establishment_required`."""
    user = cast(User, request.user)
    if user.establishment_id is None:
        raise Http404
    return user


def staff_required(
    view: View | None = None, *, capability: StaffCapability = StaffCapability.OPERATE
) -> Any:
    """Authority staff only (no establishment); anyone else gets the same 404 as a missing page.
    Every staff role may read (GET/HEAD); a POST needs `capability` (operator by default), so an
    auditor can look at every console page and change nothing."""

    def decorate(func: View) -> View:
        @login_required
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not is_staff_member(user) or staff_role(user) is None:
                log_access_denied(request, DeniedReason.NOT_STAFF)
                raise Http404
            needed = (
                StaffCapability.READ if request.method in ("GET", "HEAD", "OPTIONS") else capability
            )
            if not staff_can(user, needed):
                log_access_denied(request, DeniedReason.STAFF_ROLE)
                raise PermissionDenied
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
