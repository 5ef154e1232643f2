"""The residents list: filters, sort orders, keyset pages (no row repeated or skipped, ties on the
sort key included), a constant number of queries, and never another establishment's resident."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muqeem.accounts.permissions import Permission
from muqeem.eservices.exit_reentry.models import VisaStatus
from muqeem.reports.residents import PAGE_SIZE
from muqeem.reports.tests.builders import days, logged_in, resident, visa
from muqeem.residents.models import Nationality, Profession, Resident, ResidentStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("residents:list")


def listed(client, params=None) -> list[int]:
    response = client.get(LIST, params or {})
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-resident="(\d+)"', response.content.decode())]


def total(client, params=None) -> int:
    html = client.get(LIST, params or {}).content.decode()
    return int(re.search(r'id="residents-total" data-value="(\d+)"', html).group(1))


def walk(client, params: dict) -> tuple[list[list[int]], list[list[int]]]:
    """Every page following "next" from the first, then following "previous" back from the last."""
    forward: list[list[int]] = []
    url = LIST + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    while True:
        html = client.get(url).content.decode()
        forward.append([int(pk) for pk in re.findall(r'data-resident="(\d+)"', html)])
        nxt = re.search(r'href="([^"]+)" rel="next"', html)
        if not nxt:
            break
        url = LIST + unescape(nxt.group(1))
    backward: list[list[int]] = []
    while True:
        prev = re.search(r'href="([^"]+)" rel="prev"', html)
        if not prev:
            break
        url = LIST + unescape(prev.group(1))
        html = client.get(url).content.decode()
        backward.append([int(pk) for pk in re.findall(r'data-resident="(\d+)"', html)])
    return forward, backward


# --- Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["expiry", "-expiry", "name"])
def test_keyset_pages_neither_repeat_nor_skip_a_resident(
    officer_client, establishment, other_establishment, sort
):
    # 130 residents on only 6 distinct expiry days and 4 distinct names, plus 3 without an expiry.
    for i in range(130):
        resident(
            establishment,
            expires_in=(i % 6) * 10 - 15,
            name_en=f"Worker {i % 4}",
            name_ar=f"عامل {i % 4}",
        )
    for i in range(3):
        resident(
            establishment, expires_in=None, iqama_number=None, border_number=f"30000000{i:02d}"
        )
    for _ in range(5):
        resident(other_establishment, expires_in=0)
    forward, backward = walk(officer_client, {"sort": sort})
    assert [len(p) for p in forward] == [PAGE_SIZE, PAGE_SIZE, 33]
    seen = [pk for page in forward for pk in page]
    own = set(Resident.objects.filter(establishment=establishment).values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == len(own)
    assert set(seen) == own
    # The order is the sort order, ties broken by id.
    rows = {r.pk: r for r in Resident.objects.filter(pk__in=seen)}
    if sort == "name":
        keys = [(rows[pk].name_ar, pk) for pk in seen]
        assert keys == sorted(keys)
    else:
        far = days(100_000)
        keys = [(rows[pk].iqama_expiry_date or far, pk) for pk in seen]
        if sort == "expiry":
            assert keys == sorted(keys)
        else:
            # Latest first, unknown expiry still last.
            known = [k for k in keys if k[0] != far]
            assert known == sorted(known, reverse=True)
            assert [k[0] for k in keys[-3:]] == [far] * 3
    # "Previous" from the last page gives back the same pages in reverse.
    assert backward == list(reversed(forward[:-1]))


def test_a_single_page_has_no_page_links(officer_client, establishment):
    for _ in range(3):
        resident(establishment)
    html = officer_client.get(LIST).content.decode()
    assert 'rel="next"' not in html and 'rel="prev"' not in html


def test_a_forged_cursor_starts_from_the_first_page(officer_client, establishment):
    ids = [resident(establishment, expires_in=i).pk for i in range(3)]
    for cursor in ("garbage", "WyJuYW1lIiwxLDJd", "WyJleHBpcnkiLCJub3QtYS1kYXRlIiwxXQ"):
        assert listed(officer_client, {"after": cursor}) == ids
        assert listed(officer_client, {"before": cursor}) == ids


def test_list_queries_are_the_same_for_5_and_50_rows(officer_client, establishment):
    def queries(url=LIST, params=None) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert officer_client.get(url, params or {}).status_code == 200
        return len(ctx.captured_queries)

    # What any portal page costs (session, user, establishment, the menu's badges).
    frame = queries(reverse("reports:index"))
    for i in range(5):
        resident(establishment, expires_in=i)
    few = queries()
    for i in range(PAGE_SIZE + 10):
        resident(establishment, expires_in=i)
    many = queries()
    assert few == many
    # Nationality and profession options, the count, the page with its nationalities and professions.
    assert many - frame == 4
    html = officer_client.get(LIST).content.decode()
    after = unescape(re.search(r'href="\?([^"]+)" rel="next"', html).group(1))
    assert queries(params=dict(p.split("=", 1) for p in after.split("&"))) == many


# --- Filters -------------------------------------------------------------------------------------


@pytest.fixture
def mixed(establishment, other_establishment):
    egypt = Nationality.objects.get_or_create(
        code="EGY", defaults={"name_ar": "مصر", "name_en": "Egypt"}
    )[0]
    driver = Profession.objects.get_or_create(
        code="832201", defaults={"name_ar": "سائق", "name_en": "Driver"}
    )[0]
    r = {
        "salim": resident(
            establishment,
            name_ar="سليم كمال",
            name_en="Salim Kamal",
            expires_in=-5,
            passport_number="A1234567",
        ),
        "rahim": resident(
            establishment,
            name_ar="رحيم أنور",
            name_en="Rahim Anwar",
            expires_in=40,
            nationality=egypt,
            profession=driver,
            passport_expiry_date=days(90),
        ),
        "abroad": resident(
            establishment,
            name_en="Jose Abroad",
            status=ResidentStatus.OUTSIDE_KINGDOM,
            inside_kingdom=False,
            expires_in=100,
        ),
        "gone": resident(
            establishment,
            name_en="Tariq Gone",
            status=ResidentStatus.EXITED_NOT_RETURNED,
            inside_kingdom=False,
            expires_in=300,
        ),
    }
    # Another establishment's resident matching every filter above.
    r["foreign"] = resident(
        other_establishment,
        name_ar="سليم كمال",
        name_en="Salim Kamal",
        expires_in=-5,
        nationality=egypt,
        profession=driver,
        passport_number="A1234999",
    )
    return r


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "salim"}, ["salim"]),
        ({"name": "كمال"}, ["salim"]),
        ({"name": "an"}, ["rahim"]),
        ({"passport": "a1234"}, ["salim"]),
        ({"nationality": "EGY"}, ["rahim"]),
        ({"profession": "832201"}, ["rahim"]),
        ({"status": "exited_not_returned"}, ["gone"]),
        ({"status": "current"}, ["salim", "rahim", "abroad"]),
        ({"location": "outside"}, ["abroad", "gone"]),
        ({"location": "inside", "status": "current"}, ["salim", "rahim"]),
        ({"expiry_to": "TODAY-1"}, ["salim"]),
        ({"expiry_from": "TODAY", "expiry_to": "TODAY+100"}, ["rahim", "abroad"]),
        ({"passport_before": "TODAY+180"}, ["rahim"]),
        ({"name": "nobody"}, []),
    ],
)
def test_filters(officer_client, mixed, params, expected):
    def resolve(value: str) -> str:
        if value.startswith("TODAY"):
            offset = int(value[5:] or 0)
            return days(offset).isoformat()
        return value

    found = listed(officer_client, {k: resolve(v) for k, v in params.items()})
    assert sorted(found) == sorted(mixed[name].pk for name in expected)
    assert mixed["foreign"].pk not in found


def test_iqama_filter_takes_a_prefix_in_any_digits(officer_client, mixed):
    number = mixed["salim"].iqama_number
    assert listed(officer_client, {"iqama": number}) == [mixed["salim"].pk]
    arabic_digits = number[:6].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert mixed["salim"].pk in listed(officer_client, {"iqama": arabic_digits})
    assert listed(officer_client, {"iqama": mixed["foreign"].iqama_number}) == []


def test_visa_filters(officer_client, establishment, other_establishment):
    at_risk = resident(establishment)
    visa(at_risk, travel_by=days(5))
    later = resident(establishment)
    visa(later, travel_by=days(40))
    used = resident(establishment)
    visa(used, status=VisaStatus.USED)
    back = resident(establishment)
    visa(back, status=VisaStatus.RETURNED)
    foreign = resident(other_establishment)
    visa(foreign, travel_by=days(5))
    assert listed(officer_client, {"visa": "at_risk"}) == [at_risk.pk]
    assert sorted(listed(officer_client, {"visa": "outstanding"})) == sorted(
        [at_risk.pk, later.pk, used.pk]
    )


def test_invalid_filters_are_shown_and_the_valid_ones_still_apply(officer_client, mixed):
    response = officer_client.get(
        LIST,
        {"name": "salim", "expiry_from": "2030-01-01", "expiry_to": "2020-01-01", "status": "nope"},
    )
    html = response.content.decode()
    assert 'data-field-error="expiry_to"' in html
    assert 'data-field-error="status"' in html
    assert [
        int(pk) for pk in re.findall(r'data-resident="(\d+)"', html)
    ] == []  # expiry_from applies


def test_rows_link_to_the_resident_file(officer_client, mixed):
    html = officer_client.get(LIST).content.decode()
    assert reverse("residents:file", args=[mixed["salim"].iqama_number]) in html
    assert mixed["foreign"].iqama_number not in html


# --- Permission ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name", ["residents:list", "residents:export_xlsx", "residents:export_pdf"]
)
def test_the_list_and_exports_need_view_residents(establishment, url_name):
    user = UserFactory(establishment=establishment, service_permissions=[Permission.REPORTS])
    assert logged_in(user).get(reverse(url_name)).status_code == 403
    allowed = UserFactory(
        establishment=establishment, service_permissions=[Permission.VIEW_RESIDENTS]
    )
    assert logged_in(allowed).get(reverse(url_name)).status_code == 200


def test_the_list_needs_a_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
