"""The staff console through HTTP: roles, tenant separation, suspension as officers see it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.api.services import api_key_create
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.authority import services
from muqeem.fees.models import ScheduleEntry
from muqeem.workflow.models import ServiceRequest
from tests.factories import UserFactory

from .conftest import logged_in, staff_user

pytestmark = pytest.mark.django_db

FEE = "renewal.iqama_fee_per_year"
# Every URL namespace of the staff console; each page must follow the role rules below.
STAFF_NAMESPACES = {
    "authority",
    "agency",
    "payments_staff",
    "exception_requests_staff",
    "oversight",
    "border",
    "delivery_staff",
}


def _officer_client(user) -> Client:
    client = logged_in(user)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def _staff_routes() -> list[tuple[str, str]]:
    """(namespace:name, path with placeholder arguments) for every staff console route."""
    routes = []

    def walk(resolver: URLResolver, namespace: str | None) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in STAFF_NAMESPACES and p.name:
                name = f"{namespace}:{p.name}"
                converters = p.pattern.converters
                args = [
                    "1" if type(c).__name__ == "IntConverter" else "x" for c in converters.values()
                ]
                try:
                    routes.append((name, reverse(name, args=args)))
                except Exception:  # noqa: S112 - a route with unusual converters: skip it
                    continue

    walk(get_resolver(), None)
    return routes


ROUTES = _staff_routes()


def test_the_sweep_sees_the_console():
    names = {name for name, _path in ROUTES}
    assert {"authority:home", "authority:schedule", "authority:establishments"} <= names


@pytest.mark.parametrize(("name", "path"), ROUTES, ids=[n for n, _ in ROUTES])
def test_an_establishment_user_cannot_reach_any_console_page(name, path, establishment):
    main = UserFactory(establishment=establishment, is_main_user=True)
    client = _officer_client(main)
    assert client.get(path).status_code in (404, 405)
    assert client.post(path, {"reason": "x", "value": "1"}).status_code in (404, 405)


@pytest.mark.parametrize(("name", "path"), ROUTES, ids=[n for n, _ in ROUTES])
def test_an_auditor_can_change_nothing(name, path, db):
    client = logged_in(staff_user("auditor"))
    # The refusal itself is recorded (ACCESS_DENIED); nothing else may be.
    changes = AuditEvent.objects.exclude(event_type=AuditEventType.ACCESS_DENIED)
    before = (changes.count(), ScheduleEntry.objects.count())
    response = client.post(path, {"reason": "x", "value": "1", "action": "suspend"})
    assert response.status_code in (403, 405)
    assert ScheduleEntry.objects.count() == before[1]
    assert changes.count() == before[0]


@pytest.mark.parametrize("role", ["auditor", "operator", "supervisor"])
@pytest.mark.parametrize(
    "name",
    ["authority:home", "authority:schedule", "authority:establishments", "authority:residents"],
)
def test_every_role_reads_the_console(role, name, db):
    response = logged_in(staff_user(role)).get(reverse(name))
    assert response.status_code == 200


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(reverse("authority:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_staff_without_a_role_get_404(db):
    user = UserFactory(establishment=None, is_staff=True, staff_role="")
    assert logged_in(user).get(reverse("authority:home")).status_code == 404


def test_an_operator_cannot_schedule_a_change_but_a_supervisor_can(operator, supervisor):
    path = reverse("authority:schedule_key", args=[FEE])
    day = (date.today() + timedelta(days=1)).isoformat()
    body = {"value": "700", "effective_from": day}
    assert logged_in(operator).post(path, body).status_code == 403
    assert not ScheduleEntry.objects.filter(key=FEE, effective_from=day).exists()
    response = logged_in(supervisor).post(path, body)
    assert response.status_code == 302
    assert ScheduleEntry.objects.get(key=FEE, effective_from=day).value == 70000


def test_a_refused_schedule_change_shows_a_bilingual_error(supervisor):
    path = reverse("authority:schedule_key", args=[FEE])
    client = logged_in(supervisor)
    client.cookies["muqeem_language"] = "en"
    response = client.post(path, {"value": "700", "effective_from": date.today().isoformat()})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-code="SCHEDULE_DATE_NOT_FUTURE"' in html
    assert 'lang="ar"' in html  # the Arabic text under the English one


def test_schedule_pages_render(supervisor):
    client = logged_in(supervisor)
    overview = client.get(reverse("authority:schedule")).content.decode()
    assert FEE in overview
    assert client.get(reverse("authority:schedule_key", args=[FEE])).status_code == 200
    assert client.get(reverse("authority:schedule_key", args=["no.such"])).status_code == 404


def test_the_schedule_overview_query_count_is_fixed(supervisor, django_assert_max_num_queries):
    client = logged_in(supervisor)
    for days in range(1, 6):
        services.schedule_change_schedule(
            actor=supervisor,
            key_name=FEE,
            value_text=str(700 + days),
            effective_from=date.today() + timedelta(days=days),
        )
    with django_assert_max_num_queries(8):
        client.get(reverse("authority:schedule"))


def test_suspend_from_the_console_then_the_officer_sees_it(supervisor, establishment, resident):
    path = reverse("authority:establishment", args=[establishment.moi_number])
    response = logged_in(supervisor).post(
        path, {"action": "suspend", "reason": "Court order 12/1448"}
    )
    assert response.status_code == 302
    officer = UserFactory(establishment=establishment, is_main_user=True)
    client = _officer_client(officer)
    home = client.get(reverse("web:home"))
    assert home.status_code == 200
    assert 'id="suspension-banner"' in home.content.decode()
    assert "Court order 12/1448" in home.content.decode()
    assert client.get(reverse("residents:list")).status_code == 200

    # The API refuses the transaction with the reason, in the one error envelope.
    _key, secret = api_key_create(actor=officer, name="HR", permissions=["iqama_renewal"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    refused = api.post(
        "/api/v1/iqama-renewals/",
        {"iqama_number": resident.iqama_number, "period_months": 12},
        format="json",
        HTTP_IDEMPOTENCY_KEY="suspended-1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "ESTABLISHMENT_SUSPENDED"
    assert "Court order 12/1448" in body["message"]
    assert "Court order 12/1448" in body["messages"]["ar"]
    assert not ServiceRequest.objects.exists()


def test_resident_search_view_and_correction_pages(operator, resident):
    client = logged_in(operator)
    found = client.get(reverse("authority:residents"), {"q": resident.iqama_number})
    assert reverse("authority:resident", args=[resident.pk]) in found.content.decode()
    page = client.get(reverse("authority:resident", args=[resident.pk]))
    assert page.status_code == 200
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.RESIDENT_VIEWED, actor_user=operator, resident=resident
    ).exists()
    form = client.get(reverse("authority:resident_correct", args=[resident.pk]))
    assert form.status_code == 200
    data = {
        "name_ar": resident.name_ar,
        "name_en": "Fixed Spelling",
        "gender": resident.gender,
        "date_of_birth": resident.date_of_birth.isoformat(),
        "nationality": resident.nationality_id,
        "religion": resident.religion,
        "mobile": resident.mobile,
        "reason": "Typo at entry",
    }
    done = client.post(reverse("authority:resident_correct", args=[resident.pk]), data)
    assert done.status_code == 302
    resident.refresh_from_db()
    assert resident.name_en == "Fixed Spelling"
    assert client.get(reverse("authority:resident", args=[999999])).status_code == 404


def test_establishment_search(supervisor, establishment, other_establishment):
    client = logged_in(supervisor)
    html = client.get(
        reverse("authority:establishments"), {"q": establishment.moi_number}
    ).content.decode()
    assert establishment.moi_number in html
    assert other_establishment.moi_number not in html


def test_a_malformed_mobile_is_refused_in_both_languages_and_changes_nothing(operator, resident):
    client = logged_in(operator)
    data = {
        "name_ar": resident.name_ar,
        "name_en": "Other",
        "gender": resident.gender,
        "date_of_birth": resident.date_of_birth.isoformat(),
        "nationality": resident.nationality_id,
        "mobile": "0501234567",
        "reason": "Typo",
    }
    response = client.post(reverse("authority:resident_correct", args=[resident.pk]), data)
    assert response.status_code == 400
    assert "9665XXXXXXXX" in response.content.decode()
    resident.refresh_from_db()
    assert resident.name_en != "Other"
