"""Reports for management (التقارير): transactions by period and type, the account statement (كشف
الحساب) with its opening and closing balance, and exit/re-entry visas. The `reports` namespace needs
the REPORTS permission (checked by `establishment_required`); every read is the actor's own
establishment's."""

from __future__ import annotations

from datetime import date
from itertools import islice
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.accounts.models import User
from muqeem.accounts.permissions import Permission
from muqeem.audit.models import AuditEventType
from muqeem.audit.services import audit_record
from muqeem.core.dates import today
from muqeem.documents.pdf import render_pdf
from muqeem.establishments.models import Establishment

from .charts import Datum, bar_chart
from .exports import SheetWriter, hijri_text, new_workbook, riyals, workbook_response
from .forms import DateRangeForm
from .selectors import (
    VISA_PROBLEMS_SHOWN,
    StatementLine,
    StatementSummary,
    fee_statement_lines,
    fee_statement_summary,
    transactions_report,
    visas_report,
)

# The page and the PDF show the first lines of a long statement; the spreadsheet has every line.
STATEMENT_PAGE_LINES = 500
STATEMENT_PDF_LINES = 1_000


def _officer_and_establishment(request: HttpRequest) -> tuple[User, Establishment]:
    officer = current_officer(request)
    establishment = officer.establishment
    assert establishment is not None  # noqa: S101 - guaranteed by current_officer
    return officer, establishment


def _period(request: HttpRequest) -> tuple[DateRangeForm, date, date, dict[str, str]]:
    form = DateRangeForm(request.GET or None)
    start, end = form.period()
    params = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    return form, start, end, params


def _filename(stem: str, start: date, end: date, extension: str) -> str:
    return f"{stem}-{start.isoformat()}-{end.isoformat()}.{extension}"


def _record_export(request: HttpRequest, report: str, fmt: str) -> None:
    """Exports carry personal data out of the portal; each one is audited (never its contents)."""
    audit_record(
        event_type=AuditEventType.REPORT_EXPORTED,
        actor=current_officer(request),
        extra={"report": report, "format": fmt},
    )


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@establishment_required
def index_view(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html")


# --- Transactions --------------------------------------------------------------------------------


@establishment_required
def transactions_view(request: HttpRequest) -> HttpResponse:
    officer, _establishment = _officer_and_establishment(request)
    form, start, end, params = _period(request)
    report = transactions_report(actor=officer, start=start, end=end)
    services = report.by_service()
    chart = bar_chart(
        [Datum(label=s.service_label, value=s.count) for s in services],
        chart_id="chart-transactions",
        title=_("Requests per service"),
        label_header=_("Service"),
        value_header=_("Requests"),
        label_room=230,
    )
    return render(
        request,
        "reports/transactions.html",
        {"form": form, "report": report, "services": services, "chart": chart, "params": params},
    )


@establishment_required
def transactions_xlsx_view(request: HttpRequest) -> HttpResponse:
    officer, _establishment = _officer_and_establishment(request)
    _form, start, end, _params = _period(request)
    report = transactions_report(actor=officer, start=start, end=end)
    workbook = new_workbook()
    sheet = SheetWriter(workbook, _("Transactions"))
    sheet.widths((34, 20, 12, 16, 20, 20))
    sheet.header(
        [
            _("Service"),
            _("Status"),
            _("Requests"),
            _("Fees (SAR)"),
            _("Service code"),
            _("Status code"),
        ]
    )
    for g in report.groups:
        sheet.row(
            [
                g.service_label,
                g.status_label,
                g.count,
                riyals(g.fees_halalas),
                g.service_type,
                g.status,
            ]
        )
    sheet.row([_("Total"), "", report.count, riyals(report.fees_halalas), "", ""])
    _record_export(request, "transactions", "xlsx")
    return workbook_response(workbook, filename=_filename("transactions", start, end, "xlsx"))


# --- Account statement ---------------------------------------------------------------------------


def _statement(
    establishment: Establishment, start: date, end: date
) -> tuple[StatementSummary, Any]:
    summary = fee_statement_summary(establishment=establishment, start=start, end=end)
    lines = fee_statement_lines(
        establishment=establishment,
        start=start,
        end=end,
        opening_halalas=summary.opening_halalas,
    )
    return summary, lines


@establishment_required
def statement_view(request: HttpRequest) -> HttpResponse:
    _officer, establishment = _officer_and_establishment(request)
    form, start, end, params = _period(request)
    summary, lines = _statement(establishment, start, end)
    shown: list[StatementLine] = list(islice(lines, STATEMENT_PAGE_LINES + 1))
    more = len(shown) > STATEMENT_PAGE_LINES
    return render(
        request,
        "reports/statement.html",
        {
            "form": form,
            "establishment": establishment,
            "summary": summary,
            "lines": shown[:STATEMENT_PAGE_LINES],
            "more": more,
            "page_lines": STATEMENT_PAGE_LINES,
            "pdf_lines": STATEMENT_PDF_LINES,
            "params": params,
            "ends_today": end >= today(),
        },
    )


@establishment_required
def statement_xlsx_view(request: HttpRequest) -> HttpResponse:
    _officer, establishment = _officer_and_establishment(request)
    _form, start, end, _params = _period(request)
    summary, lines = _statement(establishment, start, end)
    workbook = new_workbook()
    sheet = SheetWriter(workbook, _("Account statement"), header_row=6)
    sheet.widths((18, 14, 16, 14, 34, 16, 16))
    sheet.row([_("Account statement"), establishment.name, establishment.moi_number])
    sheet.row(
        [_("From"), start, hijri_text(start), _("To"), end, hijri_text(end)],
    )
    sheet.row([_("Opening balance"), riyals(summary.opening_halalas)])
    sheet.row([_("Closing balance"), riyals(summary.closing_halalas)])
    sheet.row([])
    sheet.header(
        [
            _("Date"),
            _("Date (Hijri)"),
            _("Reference"),
            _("Kind"),
            _("Fee"),
            _("Amount (SAR)"),
            _("Balance (SAR)"),
        ]
    )
    for line in lines:
        sheet.row(
            [
                line.day,
                hijri_text(line.day),
                line.reference,
                line.kind_label,
                line.fee_label,
                riyals(line.amount_halalas),
                riyals(line.balance_halalas),
            ]
        )
    sheet.row([_("Closing balance"), "", "", "", "", "", riyals(summary.closing_halalas)])
    _record_export(request, "statement", "xlsx")
    return workbook_response(workbook, filename=_filename("statement", start, end, "xlsx"))


@establishment_required
def statement_pdf_view(request: HttpRequest) -> HttpResponse:
    _officer, establishment = _officer_and_establishment(request)
    _form, start, end, _params = _period(request)
    summary, lines = _statement(establishment, start, end)
    shown = list(islice(lines, STATEMENT_PDF_LINES + 1))
    pdf = render_pdf(
        "reports/statement_pdf.html",
        {
            "establishment": establishment,
            "summary": summary,
            "lines": shown[:STATEMENT_PDF_LINES],
            "more": len(shown) > STATEMENT_PDF_LINES,
            "pdf_lines": STATEMENT_PDF_LINES,
            "issued_on": today(),
        },
        language=get_language() or "ar",
    )
    _record_export(request, "statement", "pdf")
    return _pdf_response(pdf, _filename("statement", start, end, "pdf"))


# --- Visas ---------------------------------------------------------------------------------------


@establishment_required
def visas_view(request: HttpRequest) -> HttpResponse:
    officer, _establishment = _officer_and_establishment(request)
    form, start, end, params = _period(request)
    report = visas_report(actor=officer, start=start, end=end)
    return render(
        request,
        "reports/visas.html",
        {
            "form": form,
            "report": report,
            "params": params,
            "shown_max": VISA_PROBLEMS_SHOWN,
            "can_open_visas": officer.has_service_permission(Permission.EXIT_REENTRY),
        },
    )
