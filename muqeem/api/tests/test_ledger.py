"""The ledger by API: the statement's balances, date range, paging, isolation and scope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import fund
from muqeem.accounts.permissions import Permission
from muqeem.api.tests.conftest import ALL_API_PERMISSIONS
from muqeem.core.dates import today

pytestmark = pytest.mark.django_db


def test_ledger_pages_the_period_with_opening_and_closing_balances(
    make_client, establishment, other_establishment
):
    fund(establishment, 10, key="second")
    fund(establishment, 20, key="third")
    fund(other_establishment, 30, key="theirs")
    establishment.refresh_from_db()
    client = make_client([Permission.REPORTS])

    first = client.get("/api/v1/ledger/", {"limit": 2})
    assert first.status_code == 200, first.content
    page = first.json()
    assert page["opening_halalas"] == 0
    assert page["closing_halalas"] == establishment.balance_halalas
    assert page["credits_halalas"] == establishment.balance_halalas
    assert len(page["results"]) == 2 and page["next_cursor"]

    second = client.get("/api/v1/ledger/", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(second["results"]) == 1 and second["next_cursor"] is None
    lines = page["results"] + second["results"]
    # Only the establishment's own lines, with the running balance ending at the closing one.
    assert [line["amount_halalas"] for line in lines] == [10_000_000, 1_000, 2_000]
    assert lines[-1]["balance_halalas"] == page["closing_halalas"]

    yesterday = (today() - timedelta(days=1)).isoformat()
    before = client.get("/api/v1/ledger/", {"date_from": yesterday, "date_to": yesterday}).json()
    assert before["results"] == [] and before["closing_halalas"] == 0

    tomorrow = (today() + timedelta(days=1)).isoformat()
    after = client.get("/api/v1/ledger/", {"date_from": tomorrow, "date_to": tomorrow}).json()
    assert after["results"] == []
    assert after["opening_halalas"] == after["closing_halalas"] == establishment.balance_halalas


def test_bad_filters_are_400(api):
    for params in (
        {"cursor": "nonsense"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
        {"date_from": "1900-01-01"},
        {"date_from": "2020-01-01", "date_to": "2026-01-01"},
    ):
        response = api.get("/api/v1/ledger/", params)
        assert response.status_code == 400, params
        assert response.json()["code"] == "VALIDATION_FAILED"


def test_a_key_without_reports_is_refused(make_client):
    client = make_client([p for p in ALL_API_PERMISSIONS if p != Permission.REPORTS])
    response = client.get("/api/v1/ledger/")
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
