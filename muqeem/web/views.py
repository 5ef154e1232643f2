from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.accounts.models import User
from muqeem.accounts.permissions import Permission
from muqeem.core.cache import establishment_cached
from muqeem.core.dates import format_dual, today
from muqeem.reports.charts import Chart, Datum, bar_chart, column_chart
from muqeem.reports.residents import (
    LOCATION_OUTSIDE,
    STATUS_CURRENT,
    VISA_AT_RISK,
    VISA_OUTSTANDING,
)
from muqeem.residents.models import ResidentStatus
from muqeem.web.selectors import (
    CHART_NATIONALITIES,
    EXPIRING_SOON_DAYS,
    Dashboard,
    establishment_dashboard,
)


def _residents_url(**params: Any) -> str:
    values = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    return reverse("residents:list") + "?" + urlencode(values)


def _drill_downs(board: Dashboard) -> dict[str, str]:
    """Each figure's residents, as the residents list filtered to exactly what was counted."""
    on = board.on
    links = {
        "iqama_expired": _residents_url(status=STATUS_CURRENT, expiry_to=on - timedelta(days=1)),
        "passports_expiring": _residents_url(
            status=STATUS_CURRENT, passport_before=board.passport_until
        ),
        "abroad": _residents_url(status=STATUS_CURRENT, location=LOCATION_OUTSIDE),
        "not_returned": _residents_url(status=ResidentStatus.EXITED_NOT_RETURNED),
        "visas_outstanding": _residents_url(visa=VISA_OUTSTANDING),
        "visas_at_risk": _residents_url(visa=VISA_AT_RISK),
    }
    for window in board.windows:
        links[f"within_{window.days}"] = _residents_url(
            status=STATUS_CURRENT, expiry_from=on, expiry_to=window.until
        )
    return links


def _charts(board: Dashboard, *, link: bool) -> tuple[Chart, Chart]:
    arabic = (get_language() or "ar").startswith("ar")
    months = column_chart(
        [
            Datum(
                # Arabic month names are short; English ones are abbreviated to fit 12 columns.
                label=date_format(m.start, "F" if arabic else "M"),
                sublabel=str(m.start.year),
                value=m.count,
                detail=f"{format_dual(m.start)} – {format_dual(m.end)}",
                href=_residents_url(status=STATUS_CURRENT, expiry_from=m.start, expiry_to=m.end)
                if link
                else "",
            )
            for m in board.months
        ],
        chart_id="chart-expiries",
        title=_("Iqamas expiring per month, next 12 months"),
        label_header=_("Month"),
        value_header=_("Iqamas expiring"),
    )
    top = board.nationalities[:CHART_NATIONALITIES]
    data = [
        Datum(
            label=n.name_ar if arabic else n.name_en,
            value=n.count,
            href=_residents_url(status=STATUS_CURRENT, nationality=n.code) if link else "",
        )
        for n in top
    ]
    rest = sum(n.count for n in board.nationalities[CHART_NATIONALITIES:])
    if rest:
        data.append(Datum(label=_("Other nationalities"), value=rest))
    nationalities = bar_chart(
        data,
        chart_id="chart-nationalities",
        title=_("Current residents by nationality"),
        label_header=_("Nationality"),
        value_header=_("Residents"),
    )
    return months, nationalities


@establishment_required
def home(request: HttpRequest) -> HttpResponse:
    officer: User = current_officer(request)
    establishment = officer.establishment
    assert establishment is not None  # noqa: S101 - guaranteed by current_officer
    on = today()
    board = establishment_cached(
        establishment.pk,
        f"dashboard:{on.isoformat()}",
        lambda: establishment_dashboard(establishment=establishment, on=on),
    )
    can_view_residents = officer.has_service_permission(Permission.VIEW_RESIDENTS)
    months_chart, nationality_chart = _charts(board, link=can_view_residents)
    return render(
        request,
        "web/home.html",
        {
            "establishment": establishment,
            "board": board,
            "soon_days": EXPIRING_SOON_DAYS,
            "links": _drill_downs(board) if can_view_residents else {},
            "can_view_residents": can_view_residents,
            "can_view_reports": officer.has_service_permission(Permission.REPORTS),
            "can_view_transfers": officer.has_service_permission(Permission.SERVICE_TRANSFER),
            "can_view_deliveries": officer.has_service_permission(Permission.WASEL),
            "months_chart": months_chart,
            "nationality_chart": nationality_chart,
            "renewal_shortfall": max(
                0, board.renewal.total_halalas - establishment.balance_halalas
            ),
        },
    )
