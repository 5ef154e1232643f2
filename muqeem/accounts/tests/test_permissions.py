"""The permission matrix: role × page × own/other establishment."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from muqeem.accounts.access import PERMISSION_FREE_NAMESPACES
from muqeem.accounts.permissions import NAMESPACE_PERMISSIONS, READ_ONLY, Permission
from muqeem.accounts.security_code import SESSION_FLAG
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# One page per permission-protected namespace (GET, no arguments needed).
PAGES = {
    Permission.IQAMA_RENEWAL: "iqama_renewal:renew",
    Permission.EXIT_REENTRY: "exit_reentry:issue",
    Permission.FINAL_EXIT: "final_exit:issue",
    Permission.SERVICE_TRANSFER: "service_transfer:inbox",
    Permission.USER_MANAGEMENT: "users:list",
}

ROLES = {
    "main user": {"is_main_user": True, "service_permissions": []},
    "renewal officer": {"service_permissions": [Permission.IQAMA_RENEWAL]},
    "read-only": {"service_permissions": [p.value for p in READ_ONLY]},
    "no permissions": {"service_permissions": []},
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("permission", list(PAGES))
def test_each_role_reaches_exactly_the_pages_it_holds(role, permission, establishment):
    spec = ROLES[role]
    user = UserFactory(establishment=establishment, **spec)
    allowed = spec.get("is_main_user") or permission in spec["service_permissions"]
    response = _client(user).get(reverse(PAGES[permission]))
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert b'data-code="PERMISSION_DENIED"' in response.content


@pytest.mark.parametrize("role", list(ROLES))
def test_resident_file_needs_view_permission(role, establishment, resident):
    spec = ROLES[role]
    user = UserFactory(establishment=establishment, **spec)
    allowed = spec.get("is_main_user") or Permission.VIEW_RESIDENTS in spec["service_permissions"]
    response = _client(user).get(reverse("residents:file", args=[resident.iqama_number]))
    assert response.status_code == (200 if allowed else 403)


def test_other_establishments_records_stay_404_even_for_a_main_user(other_resident, establishment):
    main = UserFactory(establishment=establishment, is_main_user=True)
    assert (
        _client(main).get(reverse("residents:file", args=[other_resident.iqama_number])).status_code
        == 404
    )


def test_the_menu_lists_only_permitted_services(establishment):
    user = UserFactory(establishment=establishment, service_permissions=[Permission.IQAMA_RENEWAL])
    html = _client(user).get(reverse("web:home")).content.decode()
    assert reverse("iqama_renewal:renew") in html
    assert reverse("exit_reentry:issue") not in html
    assert 'id="users-link"' not in html


def test_a_refused_action_does_not_happen(establishment, resident):
    from muqeem.workflow.models import ServiceRequest

    user = UserFactory(establishment=establishment, service_permissions=[Permission.VIEW_RESIDENTS])
    response = _client(user).post(
        reverse("iqama_renewal:renew"), {"iqama_number": resident.iqama_number, "period_months": 12}
    )
    assert response.status_code == 403
    assert not ServiceRequest.objects.exists()


def _namespaces(resolver: URLResolver, prefix: str = "") -> set[str]:
    found = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            full = f"{prefix}:{ns}" if prefix and ns else (ns or prefix)
            if full:
                found.add(full)
            found |= _namespaces(pattern, full)
        elif isinstance(pattern, URLPattern):
            continue
    return found


def test_every_portal_namespace_has_a_permission():
    # Namespaces served to other audiences: the authority's staff, machines, the public, the admin.
    other_audiences = {
        "admin",
        "border",
        "documents",
        "delivery_staff",
        "api",
        "authority",
        "agency",
        "payments_staff",
        "exception_requests_staff",
        "oversight",
        "agency_api",
        "bank_api",
    }
    unmapped = {
        ns
        for ns in _namespaces(get_resolver())
        if ns not in NAMESPACE_PERMISSIONS
        and ns not in PERMISSION_FREE_NAMESPACES
        and ns not in other_audiences
    }
    assert unmapped == set()
