"""The residents list: filters, keyset pagination, and a query count that does not grow with the
page (ARCHITECTURE.md rule 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from muqeem.api.apis.residents import decode_cursor, encode_cursor
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.residents.models import ResidentStatus
from tests.factories import DependentFactory, ResidentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/residents/"


def _all_pages(api, **params):
    seen, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = api.get(URL, query).json()
        seen += [r["iqama_number"] for r in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def test_keyset_pages_cover_everyone_once_in_order(api, establishment):
    residents = ResidentFactory.create_batch(7, establishment=establishment)
    seen, pages = _all_pages(api, limit=3)
    assert seen == [r.iqama_number for r in residents]
    assert pages == 3


def test_a_resident_added_while_paging_does_not_shift_the_pages(api, establishment):
    first = ResidentFactory.create_batch(4, establishment=establishment)
    page1 = api.get(URL, {"limit": 2}).json()
    ResidentFactory(establishment=establishment)
    page2 = api.get(URL, {"limit": 2, "cursor": page1["next_cursor"]}).json()
    assert [r["iqama_number"] for r in page2["results"]] == [r.iqama_number for r in first[2:4]]


def test_filters(api, establishment):
    today = timezone.localdate()
    soon = ResidentFactory(
        establishment=establishment, iqama_expiry_date=today + timedelta(days=10)
    )
    later = ResidentFactory(
        establishment=establishment, iqama_expiry_date=today + timedelta(days=300)
    )
    abroad = ResidentFactory(
        establishment=establishment,
        inside_kingdom=False,
        status=ResidentStatus.OUTSIDE_KINGDOM,
        iqama_expiry_date=today + timedelta(days=100),
    )

    def numbers(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.content
        return [r["iqama_number"] for r in response.json()["results"]]

    assert numbers(iqama_number=later.iqama_number) == [later.iqama_number]
    assert numbers(expiry_before=(today + timedelta(days=30)).isoformat()) == [soon.iqama_number]
    assert numbers(expiry_after=(today + timedelta(days=200)).isoformat()) == [later.iqama_number]
    assert numbers(inside_kingdom="false") == [abroad.iqama_number]
    assert numbers(inside_kingdom="true") == [soon.iqama_number, later.iqama_number]
    assert numbers(status="outside_kingdom") == [abroad.iqama_number]
    assert numbers() == [soon.iqama_number, later.iqama_number, abroad.iqama_number]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1000"}, "limit"),
        ({"status": "flying"}, "status"),
        ({"expiry_before": "tomorrow"}, "expiry_before"),
    ],
)
def test_bad_filters_are_400_with_the_field(api, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert field in response.json()["fields"]


def test_a_malformed_iqama_filter_is_its_own_code(api):
    response = api.get(URL, {"iqama_number": "12345"})
    assert response.status_code == 400
    assert response.json()["code"] == "IQAMA_NUMBER_INVALID"


def test_cursor_round_trip():
    assert decode_cursor(encode_cursor(42)) == 42
    assert decode_cursor("") is None
    assert decode_cursor(encode_cursor(42) + "!") is None


def test_query_count_does_not_grow_with_the_page(api, establishment):
    ResidentFactory.create_batch(3, establishment=establishment)
    api.get(URL)  # warm-up: records the key's last use
    with CaptureQueriesContext(connection) as few:
        assert api.get(URL).status_code == 200
    more = ResidentFactory.create_batch(30, establishment=establishment)
    for resident in more[:5]:
        DependentFactory(resident=resident)
    with CaptureQueriesContext(connection) as many:
        body = api.get(URL, {"limit": 100}).json()
    assert len(body["results"]) == 33
    assert len(many) == len(few)
    # Key + list + audit row (+ savepoints, which depend on the database).
    assert len([q for q in many.captured_queries if "SAVEPOINT" not in q["sql"]]) <= 4


def test_listing_and_viewing_are_audited(api, resident):
    api.get(URL, {"status": "active"})
    api.get(f"{URL}{resident.iqama_number}/")
    search = AuditEvent.objects.get(event_type=AuditEventType.RESIDENT_SEARCHED)
    assert search.actor_user == api.api_key.service_user
    assert search.extra_data["filters"] == ["status"]
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.RESIDENT_VIEWED, resident=resident
    ).exists()


def test_detail_includes_dependents_and_blockers(api, resident):
    dependent = DependentFactory(resident=resident)
    body = api.get(f"{URL}{resident.iqama_number}/").json()
    assert body["iqama_number"] == resident.iqama_number
    assert [d["id"] for d in body["dependents"]] == [dependent.pk]
    assert body["insurance_active"] is True
    assert body["unpaid_traffic_fines_halalas"] == 0


def test_history_lists_the_renewal(api, resident):
    from muqeem.api.tests.conftest import idem

    renewed = api.post(
        "/api/v1/iqama-renewals/",
        {"iqama_number": resident.iqama_number, "period_months": 12},
        format="json",
        **idem(),
    ).json()
    history = api.get(f"{URL}{resident.iqama_number}/history/").json()
    assert history["entries"][0]["kind"] == "iqama_renewed"
    assert history["entries"][0]["request_number"] == renewed["request_number"]


def test_a_resident_file_by_api_takes_three_statements(api, resident):
    """The key (with its user and establishment), the resident (with nationality, profession and
    dependents) and the audit row: the establishment is not read a second time."""
    DependentFactory(resident=resident)
    api.get(f"{URL}{resident.iqama_number}/")  # warm-up: records the key's last use
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(f"{URL}{resident.iqama_number}/").status_code == 200
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 3, statements
    assert sum('FROM "establishments_establishment"' in s for s in statements) == 0
    assert not any("ORDER BY" in s for s in statements if 'FROM "residents_resident"' in s)
    viewed = AuditEvent.objects.filter(event_type=AuditEventType.RESIDENT_VIEWED, resident=resident)
    assert [e.actor_establishment_id for e in viewed] == [resident.establishment_id] * 2


def test_another_establishments_resident_is_not_found_and_not_audited(api, other_establishment):
    stranger = ResidentFactory(establishment=other_establishment)
    response = api.get(f"{URL}{stranger.iqama_number}/")
    assert response.status_code == 404
    assert response.json()["code"] == "RESIDENT_NOT_FOUND"
    assert not AuditEvent.objects.filter(resident=stranger).exists()
