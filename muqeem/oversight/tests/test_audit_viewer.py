from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.oversight.labels import EVENT_LABELS, event_type_choices
from tests.factories import EstablishmentFactory, ResidentFactory, UserFactory

from .conftest import riyadh

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def _ids(response: Any) -> list[int]:
    return [event.pk for event in response.context["page"].rows]


def test_every_event_type_has_a_label() -> None:
    assert set(EVENT_LABELS) == set(AuditEventType)
    values = [v for v, _label in event_type_choices()]
    assert sorted(values) == sorted(int(e) for e in AuditEventType)


@pytest.fixture
def history(make_event: Any) -> dict[str, Any]:
    """Two establishments with an officer and a resident each, a staff member, events on three days."""
    est_a, est_b = EstablishmentFactory(), EstablishmentFactory()
    officer_a = UserFactory(username="officer.a", establishment=est_a)
    officer_b = UserFactory(username="officer.b", establishment=est_b)
    resident_a = ResidentFactory(establishment=est_a)
    resident_b = ResidentFactory(establishment=est_b)
    newcomer = ResidentFactory(establishment=est_a, iqama_number=None, border_number="3123456789")
    e = {
        "login_a": make_event(
            AuditEventType.LOGIN, at=riyadh(DAY, 8), actor=officer_a, establishment=est_a
        ),
        "view_a": make_event(
            AuditEventType.RESIDENT_VIEWED,
            at=riyadh(DAY, 9),
            actor=officer_a,
            establishment=est_a,
            resident=resident_a,
        ),
        "renew_a": make_event(
            AuditEventType.IQAMA_RENEWED,
            at=riyadh(DAY + timedelta(days=1), 10),
            actor=officer_a,
            establishment=est_a,
            resident=resident_a,
        ),
        "login_b": make_event(
            AuditEventType.LOGIN,
            at=riyadh(DAY + timedelta(days=1), 0, 5),
            actor=officer_b,
            establishment=est_b,
        ),
        "view_b": make_event(
            AuditEventType.RESIDENT_VIEWED,
            at=riyadh(DAY + timedelta(days=2), 23, 55),
            actor=officer_b,
            establishment=est_b,
            resident=resident_b,
        ),
        "newcomer": make_event(
            AuditEventType.IQAMA_ISSUED,
            at=riyadh(DAY, 11),
            actor=officer_a,
            establishment=est_a,
            resident=newcomer,
        ),
        "system": make_event(
            AuditEventType.VISA_EXPIRED, at=riyadh(DAY + timedelta(days=2), 1), resident=resident_b
        ),
    }
    return {
        "events": e,
        "est_a": est_a,
        "est_b": est_b,
        "resident_a": resident_a,
        "resident_b": resident_b,
        "newcomer": newcomer,
    }


FILTER_CASES = [
    # (query builder, expected event names, newest first)
    (lambda h: {}, ["view_b", "system", "renew_a", "login_b", "newcomer", "view_a", "login_a"]),
    (lambda h: {"actor": "officer.a"}, ["renew_a", "newcomer", "view_a", "login_a"]),
    (lambda h: {"actor": " officer.b "}, ["view_b", "login_b"]),
    (lambda h: {"establishment": h["est_b"].moi_number}, ["view_b", "login_b"]),
    (lambda h: {"resident": h["resident_a"].iqama_number}, ["renew_a", "view_a"]),
    (lambda h: {"resident": h["resident_b"].iqama_number}, ["view_b", "system"]),
    (lambda h: {"resident": h["newcomer"].border_number}, ["newcomer"]),
    (lambda h: {"event_type": str(int(AuditEventType.LOGIN))}, ["login_b", "login_a"]),
    (
        lambda h: {"event_type": str(int(AuditEventType.RESIDENT_VIEWED)), "actor": "officer.a"},
        ["view_a"],
    ),
    # Whole days in the kingdom: 00:05 on the 11th (21:05 UTC on the 10th) is the 11th.
    (lambda h: {"date_from": "2026-03-11", "date_to": "2026-03-11"}, ["renew_a", "login_b"]),
    (lambda h: {"date_from": "2026-03-12"}, ["view_b", "system"]),
    (lambda h: {"date_to": "2026-03-10"}, ["newcomer", "view_a", "login_a"]),
    (lambda h: {"establishment": h["est_a"].moi_number, "date_from": "2026-03-11"}, ["renew_a"]),
    # An identifier that matches nothing shows nothing (never everything).
    (lambda h: {"actor": "nobody.here"}, []),
    (lambda h: {"establishment": "7999999999"}, []),
    (lambda h: {"resident": "2999999999"}, []),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_filters(
    auditor_client: Any, history: dict[str, Any], query: Any, expected: list[str]
) -> None:
    response = auditor_client.get(reverse("oversight:audit"), query(history))
    assert response.status_code == 200
    names = {e.pk: name for name, e in history["events"].items()}
    assert [names[pk] for pk in _ids(response) if pk in names] == expected
    # Nothing else than the history but the staff member's own login.
    others = AuditEvent.objects.filter(pk__in=[pk for pk in _ids(response) if pk not in names])
    assert all(o.event_type == AuditEventType.LOGIN and o.actor_user.is_staff for o in others)


def test_unknown_identifiers_say_so(auditor_client: Any, history: dict[str, Any]) -> None:
    response = auditor_client.get(reverse("oversight:audit"), {"actor": "nobody.here"})
    assert "actor" in response.context["form"].errors
    assert 'id="no-events"' in response.content.decode()


def test_reversed_range_is_an_error_and_ignored(
    auditor_client: Any, history: dict[str, Any]
) -> None:
    response = auditor_client.get(
        reverse("oversight:audit"), {"date_from": "2026-03-12", "date_to": "2026-03-10"}
    )
    assert "date_to" in response.context["form"].errors
    names = {e.pk: name for name, e in history["events"].items()}
    assert [names[pk] for pk in _ids(response) if pk in names] == ["view_b", "system"]


def test_event_type_select_has_readable_labels(auditor_client: Any) -> None:
    from django.utils import translation

    with translation.override("en"):
        auditor_client.cookies["muqeem_language"] = "en"
        html = auditor_client.get(reverse("oversight:audit")).content.decode()
    assert f'<option value="{int(AuditEventType.IQAMA_RENEWED)}">Iqama renewed</option>' in html


# --- Keyset pages --------------------------------------------------------------------------------


@pytest.fixture
def many_events(make_event: Any) -> list[int]:
    """70 events, many sharing the same instant (ties broken by id), newest first."""
    events = []
    for n in range(70):
        at = riyadh(DAY, 8 + n // 7)  # seven events per instant
        events.append(make_event(AuditEventType.LOGIN, at=at, extra={"n": n}))
    return [e.pk for e in sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)]


def _walk(client: Any, url: str, params: dict[str, str], link: str) -> list[list[int]]:
    pages = []
    response = client.get(url, params)
    pages.append(_ids(response))
    while True:
        match = re.search(rf'href="\?([^"]+)" rel="{link}"', response.content.decode())
        if not match:
            return pages
        response = client.get(url + "?" + match.group(1).replace("&amp;", "&"))
        pages.append(_ids(response))


def test_keyset_pages_neither_skip_nor_repeat(auditor_client: Any, many_events: list[int]) -> None:
    url = reverse("oversight:audit")
    on_day = {"size": "25", "date_from": DAY.isoformat(), "date_to": DAY.isoformat()}
    forward = _walk(auditor_client, url, on_day, "next")
    assert [len(p) for p in forward] == [25, 25, 20]
    assert [pk for page in forward for pk in page] == many_events

    # From the last page back to the first, through the "previous" links.
    last = auditor_client.get(url, on_day)
    for _ in range(2):
        nxt = re.search(r'href="\?([^"]+)" rel="next"', last.content.decode())
        assert nxt
        last = auditor_client.get(url + "?" + nxt.group(1).replace("&amp;", "&"))
    pages = [_ids(last)]
    response = last
    while m := re.search(r'href="\?([^"]+)" rel="prev"', response.content.decode()):
        response = auditor_client.get(url + "?" + m.group(1).replace("&amp;", "&"))
        pages.append(_ids(response))
    assert [pk for page in reversed(pages) for pk in page] == many_events


def test_a_damaged_cursor_shows_the_first_page(auditor_client: Any, many_events: list[int]) -> None:
    response = auditor_client.get(
        reverse("oversight:audit"),
        {"size": "25", "date_to": DAY.isoformat(), "after": "not-a-cursor"},
    )
    assert _ids(response) == many_events[:25]


def test_page_queries_do_not_grow_with_the_page_size(
    auditor_client: Any, make_event: Any, history: dict[str, Any]
) -> None:
    for n in range(230):
        make_event(
            AuditEventType.RESIDENT_VIEWED,
            at=riyadh(DAY, 7, n % 60),
            actor=history["events"]["login_a"].actor_user,
            establishment=history["est_a"],
            resident=history["resident_a"],
        )
    url = reverse("oversight:audit")
    auditor_client.get(url)  # the session's first request does its own bookkeeping
    counts = {}
    for size in ("25", "200", "25"):
        with CaptureQueriesContext(connection) as ctx:
            response = auditor_client.get(
                url, {"size": size, "establishment": history["est_a"].moi_number}
            )
        assert len(_ids(response)) == int(size)
        counts[size] = len(ctx.captured_queries)
    assert counts["25"] == counts["200"]
    assert counts["200"] <= 5


# --- Event details -------------------------------------------------------------------------------


def test_opening_an_event_naming_a_resident_is_an_audited_view(
    auditor_client: Any, auditor: Any, history: dict[str, Any]
) -> None:
    event = history["events"]["view_a"]
    before = AuditEvent.objects.count()
    response = auditor_client.get(reverse("oversight:audit_event", args=[event.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before + 1
    viewed = AuditEvent.objects.latest("pk")
    assert viewed.event_type == AuditEventType.RESIDENT_VIEWED
    assert viewed.actor_user == auditor
    assert viewed.actor_establishment is None
    assert viewed.resident == history["resident_a"]
    assert viewed.extra_data == {"via": "audit_event", "event": event.pk}
    # The staff member's view links back to the event that was opened.
    html = auditor_client.get(reverse("oversight:audit_event", args=[viewed.pk])).content.decode()
    assert f'data-linked-event="{event.pk}"' in html


def test_opening_an_event_without_a_resident_writes_nothing(
    auditor_client: Any, history: dict[str, Any]
) -> None:
    before = AuditEvent.objects.count()
    event = history["events"]["login_a"]
    assert auditor_client.get(reverse("oversight:audit_event", args=[event.pk])).status_code == 200
    assert AuditEvent.objects.count() == before


def test_event_details_show_extra_data_request_id_and_ip(
    auditor_client: Any, make_event: Any
) -> None:
    event = make_event(
        AuditEventType.LEDGER_POSTED,
        at=riyadh(DAY),
        extra={"journal": 17, "kind": "charge"},
        request_id="req-4f2a9c",
        ip="10.1.2.3",
    )
    html = auditor_client.get(reverse("oversight:audit_event", args=[event.pk])).content.decode()
    assert "req-4f2a9c" in html
    assert "10.1.2.3" in html
    assert "journal" in html and ">17<" in html


def test_viewing_the_log_itself_writes_nothing(
    auditor_client: Any, history: dict[str, Any]
) -> None:
    before = AuditEvent.objects.count()
    auditor_client.get(reverse("oversight:audit"), {"resident": history["resident_a"].iqama_number})
    assert AuditEvent.objects.count() == before


# --- Exports -------------------------------------------------------------------------------------


def _csv_rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_csv_export_holds_exactly_the_filtered_events_and_is_audited(
    auditor_client: Any, auditor: Any, history: dict[str, Any]
) -> None:
    query = {"establishment": history["est_a"].moi_number, "date_from": "2026-03-10"}
    response = auditor_client.get(reverse("oversight:audit_csv"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    e = history["events"]
    assert [int(r[0]) for r in rows[1:]] == [
        e["renew_a"].pk,
        e["newcomer"].pk,
        e["view_a"].pk,
        e["login_a"].pk,
    ]
    export = AuditEvent.objects.filter(event_type=AuditEventType.AUDIT_EXPORTED).get()
    assert export.actor_user == auditor
    assert export.extra_data == {"format": "csv", "filters": query}


def test_csv_export_without_filters_does_not_hold_itself(
    auditor_client: Any, history: dict[str, Any]
) -> None:
    rows = _csv_rows(auditor_client.get(reverse("oversight:audit_csv")))
    exported = {int(r[0]) for r in rows[1:]}
    assert exported == set(
        AuditEvent.objects.exclude(event_type=AuditEventType.AUDIT_EXPORTED).values_list(
            "pk", flat=True
        )
    )
    assert exported >= {e.pk for e in history["events"].values()}


def test_xlsx_export_holds_exactly_the_filtered_events_and_is_audited(
    auditor_client: Any, history: dict[str, Any]
) -> None:
    query = {"event_type": str(int(AuditEventType.RESIDENT_VIEWED))}
    response = auditor_client.get(reverse("oversight:audit_xlsx"), query)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    e = history["events"]
    assert [r[0] for r in rows[1:]] == [e["view_b"].pk, e["view_a"].pk]
    export = AuditEvent.objects.get(event_type=AuditEventType.AUDIT_EXPORTED)
    assert export.extra_data == {"format": "xlsx", "filters": query}


def test_exports_guard_against_formula_injection(auditor_client: Any, make_event: Any) -> None:
    actor = UserFactory(username="=HYPERLINK(1)", establishment=EstablishmentFactory())
    make_event(AuditEventType.LOGIN, at=riyadh(DAY), actor=actor)
    query = {"date_to": DAY.isoformat()}
    rows = _csv_rows(auditor_client.get(reverse("oversight:audit_csv"), query))
    assert rows[1][5] == "'=HYPERLINK(1)"
    response = auditor_client.get(reverse("oversight:audit_xlsx"), query)
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [r[5] for r in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(1)" in cells


def test_export_query_count_is_flat(auditor_client: Any, make_event: Any) -> None:
    est = EstablishmentFactory()
    for n in range(120):
        make_event(AuditEventType.LOGIN, at=riyadh(DAY, 9, n % 60), establishment=est)
    with CaptureQueriesContext(connection) as ctx:
        rows = _csv_rows(
            auditor_client.get(reverse("oversight:audit_csv"), {"establishment": est.moi_number})
        )
    assert len(rows) == 121
    assert len(ctx.captured_queries) <= 8
