"""The staff console's oversight pages: the audit log viewer (read-only for every staff role) and
the authority's statistics of how the portal is used.

Reading the log is not reading a resident's record, but opening an event that names a resident shows
whose record was touched, so that is audited as a view of the resident by the staff member. Exports
and statistics downloads are audited with the filters or the period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from muqeem.accounts.access import client_ip, staff_required
from muqeem.accounts.models import User
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.db_router import reads_from_replica
from muqeem.reports.charts import Chart, Datum, bar_chart, column_chart
from muqeem.reports.exports import workbook_response
from muqeem.workflow.machine import RequestStatus

from .exports import (
    audit_headers,
    audit_rows,
    audit_workbook,
    csv_response,
    table_csv_header,
    table_csv_rows,
)
from .forms import AuditFilterForm, StatisticsPeriodForm
from .labels import event_label, rule_label
from .selectors import (
    DEFAULT_PAGE_SIZE,
    AuditFilters,
    Refusals,
    audit_events,
    audit_export_rows,
    audit_page,
    refusals_by_rule,
    revenue_by_fee,
    top_ups_per_day,
    transaction_counts,
)
from .tables import (
    TABLE_BUILDERS,
    Table,
    fee_label,
    outcome_label,
    refusals_table,
    revenue_table,
    service_label,
    top_ups_table,
    transactions_daily_table,
    transactions_services_table,
)

# A chart shows at most this many bars; the table under it has every row.
CHART_MAX_BARS = 15


def _staff(request: HttpRequest) -> User:
    return cast(User, request.user)


# --- Audit log -----------------------------------------------------------------------------------


def _audit_search(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilters, dict[str, str]]:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    return form, filters, filters.used()


@staff_required
def audit_view(request: HttpRequest) -> HttpResponse:
    form, filters, params = _audit_search(request)
    size = form.page_size()
    page = audit_page(
        audit_events(filters),
        size=size,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    page_params = {**params, "size": str(size)} if size != DEFAULT_PAGE_SIZE else params
    return render(
        request,
        "oversight/audit.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "rows": [(event, event_label(event.event_type)) for event in page.rows],
            "params": params,
            "page_params": page_params,
            "size": size,
        },
    )


@staff_required
def audit_event_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(
        AuditEvent.objects.select_related(
            "actor_user", "actor_establishment", "resident", "service_request"
        ),
        pk=pk,
    )
    if event.resident_id is not None:
        audit_record(
            event_type=AuditEventType.RESIDENT_VIEWED,
            actor=_staff(request),
            resident=event.resident,
            extra={"via": "audit_event", "event": event.pk},
            ip=client_ip(request),
        )
    extra = event.extra_data if isinstance(event.extra_data, dict) else {"value": event.extra_data}
    return render(
        request,
        "oversight/audit_event.html",
        {
            "event": event,
            "label": event_label(event.event_type),
            "type_name": _type_name(event.event_type),
            "local_time": timezone.localtime(event.occurred_at),
            "extra": sorted(extra.items()),
            "back": request.GET.get("back", ""),
        },
    )


def _type_name(value: int) -> str:
    try:
        return AuditEventType(value).name
    except ValueError:
        return str(value)


def _audit_export(request: HttpRequest, filters: AuditFilters, fmt: str) -> AuditEvent:
    """Record the export before it runs; the file then holds the events recorded before it."""
    return audit_record(
        event_type=AuditEventType.AUDIT_EXPORTED,
        actor=_staff(request),
        extra={"format": fmt, "filters": filters.used()},
        ip=client_ip(request),
    )


@staff_required
@reads_from_replica
def audit_csv_view(request: HttpRequest) -> HttpResponse:
    _form, filters, _params = _audit_search(request)
    export = _audit_export(request, filters, "csv")
    values = audit_export_rows(audit_events(filters).filter(pk__lt=export.pk))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return cast(
        HttpResponse,
        csv_response(
            audit_headers(), audit_rows(values, for_csv=True), filename=f"audit-{stamp}.csv"
        ),
    )


@staff_required
@reads_from_replica
def audit_xlsx_view(request: HttpRequest) -> HttpResponse:
    _form, filters, _params = _audit_search(request)
    export = _audit_export(request, filters, "xlsx")
    workbook, _count = audit_workbook(
        audit_export_rows(audit_events(filters).filter(pk__lt=export.pk))
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return workbook_response(workbook, filename=f"audit-{stamp}.xlsx")


# --- Statistics ----------------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[StatisticsPeriodForm, date, date, dict[str, str]]:
    form = StatisticsPeriodForm(request.GET or None)
    start, end = form.period()
    return form, start, end, {"date_from": start.isoformat(), "date_to": end.isoformat()}


def _day_data(days: list[tuple[date, int]]) -> list[Datum]:
    """One column per day; with many days only every few are labelled (each keeps its tooltip)."""
    step = max(1, -(-len(days) // 12))
    return [
        Datum(
            label=f"{day.day:02d}/{day.month:02d}" if index % step == 0 else "",
            value=value,
            detail=day.isoformat(),
        )
        for index, (day, value) in enumerate(days)
    ]


def _top(data: list[Datum]) -> list[Datum]:
    return sorted(data, key=lambda d: -d.value)[:CHART_MAX_BARS]


@dataclass(frozen=True)
class Section:
    title: str
    # Each chart with the grid columns it takes (sized so that its text is at reading size).
    charts: list[tuple[Chart, str]]
    tables: list[Table]
    # A short table sits beside its chart.
    beside: bool = False


def _sections(start: date, end: date) -> tuple[list[Section], Refusals]:
    """The page's charts and tables (four aggregate queries and one bounded scan)."""
    counts = transaction_counts(start=start, end=end)
    daily = transactions_daily_table(counts, start, end)
    services = transactions_services_table(counts)
    per_day: dict[date, int] = {}
    per_service: dict[str, int] = {}
    per_outcome: dict[str, int] = {}
    for c in counts:
        per_day[c.day] = per_day.get(c.day, 0) + c.count
        per_service[c.service_type] = per_service.get(c.service_type, 0) + c.count
        per_outcome[c.status] = per_outcome.get(c.status, 0) + c.count
    transactions_charts = [
        column_chart(
            _day_data([(row[0], per_day.get(row[0], 0)) for row in daily.rows]),
            chart_id="chart-transactions-daily",
            title=_("Transactions per day"),
            label_header=_("Date"),
            value_header=_("Requests"),
        ),
        bar_chart(
            _top([Datum(service_label(s), n) for s, n in per_service.items()]),
            chart_id="chart-transactions-services",
            title=_("Transactions by service"),
            label_header=_("Service"),
            value_header=_("Requests"),
            label_room=230,
        ),
        bar_chart(
            [
                Datum(outcome_label(s), per_outcome[s])
                for s in (*RequestStatus, *sorted(set(per_outcome) - set(RequestStatus)))
                if s in per_outcome
            ],
            chart_id="chart-transactions-outcomes",
            title=_("Transactions by outcome"),
            label_header=_("Outcome"),
            value_header=_("Requests"),
            label_room=160,
        ),
    ]

    revenue = revenue_by_fee(start=start, end=end)
    revenue_chart = bar_chart(
        _top([Datum(fee_label(r.fee_code), max(r.amount_halalas, 0) // 100) for r in revenue]),
        chart_id="chart-revenue",
        title=_("Revenue by fee (SAR)"),
        label_header=_("Fee"),
        value_header=_("SAR"),
        label_room=250,
    )

    refusals = refusals_by_rule(start=start, end=end)
    per_rule: dict[str, int] = {}
    for (code, _service), n in refusals.by_rule.items():
        per_rule[code] = per_rule.get(code, 0) + n
    refusals_chart = bar_chart(
        _top([Datum(rule_label(code), n) for code, n in per_rule.items()]),
        chart_id="chart-refusals",
        title=_("Refusals by rule"),
        label_header=_("Rule"),
        value_header=_("Refused checks"),
        width=720,
        label_room=400,
    )

    top_ups = top_ups_per_day(start=start, end=end)
    top_ups_chart = column_chart(
        _day_data([(d.day, max(d.amount_halalas, 0) // 100) for d in top_ups]),
        chart_id="chart-top-ups",
        title=_("Balance top-ups per day (SAR)"),
        label_header=_("Date"),
        value_header=_("SAR"),
    )
    refusal_table = refusals_table(refusals)
    sections = [
        Section(
            _("Transactions"),
            list(zip(transactions_charts, ("col-12", "col-lg-6", "col-lg-6"), strict=True)),
            [daily, services],
        ),
        Section(_("Revenue"), [(revenue_chart, "col-12")], [revenue_table(revenue)], beside=True),
        Section(_("Eligibility refusals"), [(refusals_chart, "col-xl-9")], [refusal_table]),
        Section(_("Balance top-ups"), [(top_ups_chart, "col-12")], [top_ups_table(top_ups)]),
    ]
    return sections, refusals


@staff_required
@reads_from_replica
def statistics_view(request: HttpRequest) -> HttpResponse:
    form, start, end, params = _period(request)
    sections, refusals = _sections(start, end)
    audit_record(
        event_type=AuditEventType.STATISTICS_VIEWED,
        actor=_staff(request),
        extra={"from": params["date_from"], "to": params["date_to"]},
        ip=client_ip(request),
    )
    context: dict[str, Any] = {
        "form": form,
        "start": start,
        "end": end,
        "params": params,
        "sections": sections,
        "refusals": refusals,
        "total_requests": sum(row[-1] for row in sections[0].tables[0].rows),
        "total_top_ups": sum(row[1] for row in sections[3].tables[0].rows),
    }
    return render(request, "oversight/statistics.html", context)


@staff_required
@reads_from_replica
def statistics_csv_view(request: HttpRequest, table: str) -> HttpResponse:
    builder = TABLE_BUILDERS.get(table)
    if builder is None:
        raise Http404
    _form, start, end, params = _period(request)
    built = builder(start, end)
    audit_record(
        event_type=AuditEventType.STATISTICS_VIEWED,
        actor=_staff(request),
        extra={"from": params["date_from"], "to": params["date_to"], "table": table},
        ip=client_ip(request),
    )
    filename = f"{table}-{start.isoformat()}-{end.isoformat()}.csv"
    return cast(
        HttpResponse,
        csv_response(table_csv_header(built), table_csv_rows(built), filename=filename),
    )
