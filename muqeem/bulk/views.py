from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from muqeem.accounts.access import current_officer, eservices_required
from muqeem.bulk.errors import BulkError, BulkErrorCode
from muqeem.bulk.exports import bulk_result_workbook
from muqeem.bulk.forms import UploadForm
from muqeem.bulk.models import BatchStatus, BulkBatch, Operation
from muqeem.bulk.selectors import (
    ROW_FILTERS,
    access_bulk_batch,
    bulk_batch_earlier_uploads,
    bulk_batch_list_recent,
    bulk_rows_for,
)
from muqeem.bulk.services import (
    batch_can_resume,
    bulk_batch_confirm,
    bulk_batch_resume,
    bulk_batch_upload,
)
from muqeem.bulk.spreadsheet import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    template_csv,
    template_xlsx,
)
from muqeem.core.errors import DomainError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_PER_PAGE = 100
# Seconds between two polls of the progress bar.
POLL_SECONDS = 1


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading a file part past the size limit, so 50 MB of junk is neither kept in memory
    nor written to disk; the view then refuses it by its size."""

    def __init__(self, request: HttpRequest | None = None, limit: int = MAX_FILE_BYTES) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _index_context(request: HttpRequest, form: UploadForm) -> dict[str, Any]:
    return {
        "form": form,
        "batches": bulk_batch_list_recent(actor=current_officer(request)),
        "max_mb": MAX_FILE_BYTES // 2**20,
        "max_rows": MAX_ROWS,
        "operations": [
            {"code": op.value, "label": op.label, "columns": REQUIRED_COLUMNS[op]}
            for op in Operation
        ],
    }


@csrf_exempt
@eservices_required
@require_http_methods(["GET", "POST"])
def index_view(request: HttpRequest) -> HttpResponse:
    # The size limit must see the upload before anything reads the body: CSRF is checked after.
    limiter = SizeLimitUploadHandler(request)
    if request.method == "POST":
        request.upload_handlers = [limiter, *request.upload_handlers]
    return _index(request, limiter)


@csrf_protect
def _index(request: HttpRequest, limiter: SizeLimitUploadHandler) -> HttpResponse:
    if request.method != "POST":
        return render(request, "bulk/index.html", _index_context(request, UploadForm()))
    form = UploadForm(request.POST, request.FILES)
    error: BulkError | DomainError | None = None
    if limiter.exceeded:
        error = BulkError(BulkErrorCode.BULK_FILE_TOO_LARGE, {"max_mb": MAX_FILE_BYTES // 2**20})
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = bulk_batch_upload(
                actor=current_officer(request),
                filename=upload.name or "",
                size=upload.size or 0,
                content=upload,
            )
        except (BulkError, DomainError) as exc:
            error = exc
        else:
            return HttpResponseRedirect(reverse("bulk:batch", args=[batch.pk]))
    context = _index_context(request, form) | {"error": error}
    status = error.http_status if error is not None else 400
    return render(request, "bulk/index.html", context, status=status)


def _batch_or_404(request: HttpRequest, batch_id: int) -> BulkBatch:
    try:
        return access_bulk_batch(actor=current_officer(request), batch_id=batch_id)
    except DomainError:
        raise Http404 from None


def _progress_context(batch: BulkBatch) -> dict[str, Any]:
    return {"batch": batch, "poll_seconds": POLL_SECONDS, "can_resume": batch_can_resume(batch)}


def _batch_context(request: HttpRequest, batch: BulkBatch) -> dict[str, Any]:
    row_filter = request.GET.get("rows", "all")
    if row_filter not in ROW_FILTERS:
        row_filter = "all"
    page = Paginator(bulk_rows_for(batch=batch, row_filter=row_filter), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    balance = batch.establishment.balance_halalas
    return _progress_context(batch) | {
        "page": page,
        "row_filter": row_filter,
        "row_filters": list(ROW_FILTERS),
        "query": f"rows={row_filter}&",
        "earlier": bulk_batch_earlier_uploads(batch=batch),
        "balance": balance,
        "short_of_balance": batch.status == BatchStatus.VALIDATED
        and batch.fees_quoted_halalas > balance,
    }


@eservices_required
@require_GET
def batch_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request, batch_id)
    return render(request, "bulk/batch.html", _batch_context(request, batch))


@eservices_required
@require_GET
def progress_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The progress bar alone, polled by htmx. When the phase is over the page reloads itself to
    show the results (HX-Refresh)."""
    batch = _batch_or_404(request, batch_id)
    response = render(request, "bulk/_progress.html", _progress_context(batch))
    if not batch.in_progress and getattr(request, "htmx", False):
        response["HX-Refresh"] = "true"
    return response


@eservices_required
@require_POST
def confirm_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    _batch_or_404(request, batch_id)
    try:
        bulk_batch_confirm(actor=current_officer(request), batch_id=batch_id)
    except (BulkError, DomainError) as exc:
        return _batch_error(request, batch_id, exc)
    return HttpResponseRedirect(reverse("bulk:batch", args=[batch_id]))


@eservices_required
@require_POST
def resume_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    _batch_or_404(request, batch_id)
    try:
        bulk_batch_resume(actor=current_officer(request), batch_id=batch_id)
    except (BulkError, DomainError) as exc:
        return _batch_error(request, batch_id, exc)
    return HttpResponseRedirect(reverse("bulk:batch", args=[batch_id]))


def _batch_error(request: HttpRequest, batch_id: int, exc: BulkError | DomainError) -> HttpResponse:
    batch = _batch_or_404(request, batch_id)
    context = _batch_context(request, batch) | {"error": exc}
    return render(request, "bulk/batch.html", context, status=exc.http_status)


@eservices_required
@require_GET
def template_view(request: HttpRequest, file_format: str) -> HttpResponse:
    if file_format == "xlsx":
        response = HttpResponse(template_xlsx(), content_type=XLSX_TYPE)
    elif file_format == "csv":
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="muqeem-bulk-template.{file_format}"'
    return response


@eservices_required
@require_GET
def result_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request, batch_id)
    if batch.status == BatchStatus.VALIDATING:
        raise Http404
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(bulk_result_workbook(batch=batch), content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="muqeem-bulk-{batch.pk}-{batch.status}-{stamp}.xlsx"'
    )
    return response
