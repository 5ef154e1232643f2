"""Bulk transactions (المعاملات الجماعية): one uploaded file is a batch, each data line a row.

A row is checked (dry run) and later executed through the same service functions as the single
pages; this app only records what was asked, what the services answered, and the progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Operation(models.TextChoices):
    RENEW_IQAMA = "renew_iqama", _("Renew Iqama")
    ISSUE_EXIT_REENTRY = "issue_exit_reentry", _("Issue exit and re-entry visa")
    CANCEL_VISA = "cancel_visa", _("Cancel exit and re-entry visa")


class BatchStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking the rows")
    VALIDATED = "validated", _("Checked, waiting for confirmation")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Stopped by an error")


class RowStatus(models.TextChoices):
    PENDING = "pending", _("Not checked yet")
    VALID = "valid", _("Ready")
    INVALID = "invalid", _("Cannot be done")
    PROCESSING = "processing", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", pgettext_lazy("bulk row status", "Failed")
    SKIPPED = "skipped", _("Already done")


class FileFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (.xlsx)"
    CSV = "csv", "CSV"


class BulkBatch(models.Model):
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="bulk_batches"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(max_length=4, choices=FileFormat.choices)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.VALIDATING
    )
    created_at = models.DateTimeField(_("uploaded at"))
    validated_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last time a task reported progress; a long silence lets the officer resume a dead run.
    progress_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_pending = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    rows_processing = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    # Frozen when the run is confirmed: the denominator of the progress bar.
    rows_to_run = models.PositiveIntegerField(default=0)
    # The services' quotes of the valid rows at the end of the dry run, and what was really charged.
    fees_quoted_halalas = models.BigIntegerField(default=0)
    fees_charged_halalas = models.BigIntegerField(default=0)
    # Why a run stopped (status FAILED): {code, messages{ar, en}}.
    error = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("bulk batch")
        verbose_name_plural = _("bulk batches")
        indexes = [
            models.Index(
                fields=["establishment", "-created_at"], name="bulk_batch_est_created_idx"
            ),
            models.Index(fields=["establishment", "file_sha256"], name="bulk_batch_est_sha_idx"),
        ]

    def __str__(self) -> str:
        return f"bulk batch #{self.pk}"

    @property
    def in_progress(self) -> bool:
        return self.status in (BatchStatus.VALIDATING, BatchStatus.RUNNING)

    @property
    def rows_checked(self) -> int:
        return self.rows_total - self.rows_pending

    @property
    def rows_processed(self) -> int:
        """Rows of the confirmed run that have an outcome."""
        return max(self.rows_to_run - self.rows_valid - self.rows_processing, 0)

    @property
    def progress_percent(self) -> int:
        if self.status == BatchStatus.VALIDATING:
            done, total = self.rows_checked, self.rows_total
        elif self.status == BatchStatus.RUNNING:
            done, total = self.rows_processed, self.rows_to_run
        else:
            return 100
        return 100 if total == 0 else min(100, done * 100 // total)


class BulkRow(models.Model):
    batch = models.ForeignKey(BulkBatch, on_delete=models.CASCADE, related_name="rows")
    # The line number in the spreadsheet (the header is line 1), so the officer can find it.
    row_number = models.PositiveIntegerField(_("row"))
    operation = models.CharField(_("operation"), max_length=24, blank=True)
    # The cells as read (digits normalised); the input of the service call.
    input = models.JSONField(default=dict)
    # The iqama or visa number the row is about, for display and search.
    subject = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RowStatus.choices, default=RowStatus.PENDING
    )
    # [{code, messages{ar, en}, hints{ar, en} | None}], as the services returned them.
    violations = models.JSONField(default=list, blank=True)
    fee_quoted_halalas = models.BigIntegerField(null=True, blank=True)
    fee_charged_halalas = models.BigIntegerField(default=0)
    request_number = models.CharField(_("request number"), max_length=20, blank=True)
    # What the service answered besides the request: resident name, new expiry, visa number.
    detail = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bulk row")
        verbose_name_plural = _("bulk rows")
        ordering = ["row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="bulk_row_unique_number")
        ]
        indexes = [
            models.Index(fields=["batch", "status", "row_number"], name="bulk_row_batch_status_idx")
        ]

    def __str__(self) -> str:
        return f"row {self.row_number} of batch {self.batch_id}"

    @property
    def codes(self) -> list[str]:
        return [str(v.get("code", "")) for v in self.violations]

    @property
    def operation_label(self) -> str:
        if self.operation in Operation.values:
            return str(Operation(self.operation).label)
        return str(self.input.get("operation", "")) or "—"

    @property
    def resident_name(self) -> str:
        detail = self.detail or {}
        arabic = (get_language() or "ar").startswith("ar")
        first, second = ("name_ar", "name_en") if arabic else ("name_en", "name_ar")
        return str(detail.get(first) or detail.get(second) or "")

    @property
    def visa_number(self) -> str:
        return str((self.detail or {}).get("visa_number") or self.input.get("visa_number") or "")
