"""The account statement (كشف الحساب): opening balance + the period's lines = closing balance, and
when the period ends today the closing balance is the stored balance, to the halala."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from conftest import fund
from muqeem.core.dates import today
from muqeem.establishments.models import Establishment
from muqeem.fees.models import FeeCode
from muqeem.fees.quotes import FeeLine
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.fees.services import ledger_post_charge
from muqeem.reports.selectors import fee_statement_lines, fee_statement_summary
from muqeem.reports.tests.builders import logged_in, service_request
from tests.factories import EstablishmentFactory, UserFactory

pytestmark = pytest.mark.django_db

STATEMENT = reverse("reports:statement")


def charge(est, *fees: tuple[FeeCode, int]) -> None:
    with transaction.atomic():
        locked = Establishment.objects.select_for_update().get(pk=est.pk)
        request = service_request(locked, fee_halalas=sum(a for _, a in fees) * 100)
        ledger_post_charge(
            actor=None,
            establishment=locked,
            service_request=request,
            lines=[FeeLine(code, riyals * 100) for code, riyals in fees],
            idempotency_key=f"charge-{request.pk}",
        )
    est.refresh_from_db()


@pytest.fixture
def history(db):
    """SAR 5,000 in 40 days ago; a 1,000 renewal (two fees) 35 days ago; SAR 2,000 in and a 300
    visa 5 days ago; a 200 fee today. Another establishment moves money all along."""
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=40), tick=False):
        est = EstablishmentFactory()
        other = EstablishmentFactory()
        fund(est, 5_000, key="bill-1")
        fund(other, 9_000, key="other-bill")
    with time_machine.travel(now - timedelta(days=35), tick=False):
        charge(est, (FeeCode.IQAMA_FEE, 650), (FeeCode.EXPAT_LEVY, 350))
        charge(other, (FeeCode.IQAMA_FEE, 777))
    with time_machine.travel(now - timedelta(days=5), tick=False):
        fund(est, 2_000, key="bill-2")
        charge(est, (FeeCode.EXIT_REENTRY_VISA_FEE, 300))
    charge(est, (FeeCode.WASEL_DELIVERY_FEE, 200))
    charge(other, (FeeCode.WASEL_DELIVERY_FEE, 111))
    est.refresh_from_db()
    return est, other


def lines_of(html: str) -> list[int]:
    return [int(a) for a in re.findall(r'data-journal="\d+" data-amount="(-?\d+)"', html)]


def value(html: str, fid: str) -> int:
    return int(re.search(rf'id="{fid}" data-value="(-?\d+)"', html).group(1))


def test_opening_plus_lines_is_closing_is_the_stored_balance(history):
    est, _other = history
    assert est.balance_halalas == (5_000 - 1_000 + 2_000 - 300 - 200) * 100
    client = logged_in(UserFactory(establishment=est))
    start = today() - timedelta(days=20)
    html = client.get(
        STATEMENT, {"date_from": start.isoformat(), "date_to": today().isoformat()}
    ).content.decode()
    opening, closing = value(html, "opening-balance"), value(html, "closing-balance")
    assert opening == 4_000 * 100
    assert lines_of(html) == [2_000 * 100, -300 * 100, -200 * 100]
    assert opening + sum(lines_of(html)) == closing == est.balance_halalas
    assert closing == establishment_ledger_balance(establishment=est)
    assert value(html, "debits") == -500 * 100
    assert value(html, "credits") == 2_000 * 100


def test_a_charge_is_itemised_by_fee_and_the_whole_history_adds_up(history):
    est, _other = history
    summary = fee_statement_summary(
        establishment=est, start=today() - timedelta(days=60), end=today()
    )
    lines = list(
        fee_statement_lines(
            establishment=est,
            start=summary.start,
            end=summary.end,
            opening_halalas=summary.opening_halalas,
        )
    )
    assert summary.opening_halalas == 0
    assert [(line.fee_code, line.amount_halalas // 100) for line in lines] == [
        ("", 5_000),
        (FeeCode.IQAMA_FEE, -650),
        (FeeCode.EXPAT_LEVY, -350),
        ("", 2_000),
        (FeeCode.EXIT_REENTRY_VISA_FEE, -300),
        (FeeCode.WASEL_DELIVERY_FEE, -200),
    ]
    # The running balance ends on the closing balance, which is the stored one.
    assert lines[-1].balance_halalas == summary.closing_halalas == est.balance_halalas
    assert [line.kind for line in lines] == [
        "payment",
        "charge",
        "charge",
        "payment",
        "charge",
        "charge",
    ]
    assert lines[0].reference == "bill-1"
    assert summary.journals == 5


def test_a_period_in_the_past_closes_on_that_days_balance(history):
    est, _other = history
    summary = fee_statement_summary(
        establishment=est, start=today() - timedelta(days=38), end=today() - timedelta(days=10)
    )
    assert summary.opening_halalas == 5_000 * 100
    assert summary.closing_halalas == 4_000 * 100
    assert summary.closing_halalas != est.balance_halalas


def test_the_default_period_is_this_month(history):
    est, _other = history
    response = logged_in(UserFactory(establishment=est)).get(STATEMENT)
    summary = response.context["summary"]
    assert summary.start == today().replace(day=1)
    assert summary.end == today()
    assert summary.closing_halalas == est.balance_halalas


def test_another_establishments_money_never_shows(history):
    est, other = history
    html = (
        logged_in(UserFactory(establishment=est))
        .get(STATEMENT, {"date_from": (today() - timedelta(days=60)).isoformat()})
        .content.decode()
    )
    assert -777 * 100 not in lines_of(html)
    assert -111 * 100 not in lines_of(html)
    assert "other-bill" not in html
    other_html = (
        logged_in(UserFactory(establishment=other))
        .get(STATEMENT, {"date_from": (today() - timedelta(days=60)).isoformat()})
        .content.decode()
    )
    assert (
        value(other_html, "closing-balance") == other.balance_halalas == (9_000 - 777 - 111) * 100
    )


def test_the_statement_xlsx_carries_the_same_balances_and_lines(history):
    est, _other = history
    client = logged_in(UserFactory(establishment=est))
    response = client.get(
        reverse("reports:statement_xlsx"),
        {"date_from": (today() - timedelta(days=20)).isoformat(), "date_to": today().isoformat()},
    )
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    opening = rows[2][1]
    closing = rows[3][1]
    assert float(opening) == 4_000
    assert float(closing) == est.balance_halalas / 100
    amounts = [float(r[5]) for r in rows[6:-1]]
    assert amounts == [2_000, -300, -200]
    assert float(rows[-1][6]) == est.balance_halalas / 100
    assert float(opening) + sum(amounts) == float(closing)


def test_the_statement_pdf_lists_the_movements(history):
    est, _other = history
    client = logged_in(UserFactory(establishment=est))
    response = client.get(
        reverse("reports:statement_pdf"),
        {"date_from": (today() - timedelta(days=60)).isoformat(), "date_to": today().isoformat()},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "bill-1" in text and "bill-2" in text
    assert "5,500.00" in text  # the closing balance
    assert "other-bill" not in text


def test_a_backwards_period_is_refused_and_this_month_shown(history):
    est, _other = history
    response = logged_in(UserFactory(establishment=est)).get(
        STATEMENT, {"date_from": "2026-05-10", "date_to": "2026-05-01"}
    )
    assert response.status_code == 200
    assert 'data-field-error="date_to"' in response.content.decode()
    assert response.context["summary"].start == today().replace(day=1)


def test_a_long_statement_shows_its_first_lines_and_keeps_the_whole_periods_balances(
    history, monkeypatch
):
    from muqeem.reports import views

    est, _other = history
    monkeypatch.setattr(views, "STATEMENT_PAGE_LINES", 2)
    html = (
        logged_in(UserFactory(establishment=est))
        .get(STATEMENT, {"date_from": (today() - timedelta(days=60)).isoformat()})
        .content.decode()
    )
    assert 'id="statement-cap-note"' in html
    assert lines_of(html) == [5_000 * 100, -650 * 100]
    assert value(html, "closing-balance") == est.balance_halalas
