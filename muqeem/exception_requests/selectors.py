"""Reads of exception requests. An establishment sees only its own (another's is the same 404 as a
missing one); staff see all of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode

from .models import ExceptionAttachment, ExceptionRequest, ExceptionStatus

if TYPE_CHECKING:
    from muqeem.accounts.models import User


def _status_q(status: str) -> Q:
    """Filter by the status a reader sees: an approval past its validity is shown as expired."""
    on = today()
    if status == ExceptionStatus.APPROVED:
        return Q(status=status, valid_until__gte=on)
    if status == ExceptionStatus.EXPIRED:
        return Q(status=status) | Q(status=ExceptionStatus.APPROVED, valid_until__lt=on)
    return Q(status=status)


def _base() -> QuerySet[ExceptionRequest]:
    return ExceptionRequest.objects.select_related(
        "resident", "establishment", "used_by_request"
    ).order_by("-filed_at", "-pk")


def exception_request_list_for_establishment(
    *, actor: User, status: str = ""
) -> QuerySet[ExceptionRequest]:
    if actor.establishment_id is None:
        return ExceptionRequest.objects.none()
    qs = _base().filter(establishment_id=actor.establishment_id)
    return qs.filter(_status_q(status)) if status else qs


def access_exception_request_by_number(
    *, actor: User, number: str, for_update: bool = False
) -> ExceptionRequest:
    pk = ExceptionRequest.pk_from_number(number)
    if pk is None or actor.establishment_id is None:
        raise DomainError(ErrorCode.EXCEPTION_REQUEST_NOT_FOUND)
    qs = _base()
    if for_update:
        qs = qs.select_for_update(of=("self",))
    exception = qs.filter(pk=pk, establishment_id=actor.establishment_id).first()
    if exception is None:
        raise DomainError(ErrorCode.EXCEPTION_REQUEST_NOT_FOUND)
    return exception


def exception_request_queue(
    *, status: str = "", service_type: str = "", q: str = ""
) -> QuerySet[ExceptionRequest]:
    """The staff queue: requests under review first, then the rest; newest first within each."""
    qs = ExceptionRequest.objects.select_related("resident", "establishment").annotate(
        pending_rank=Case(
            When(status=ExceptionStatus.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    if status:
        qs = qs.filter(_status_q(status))
    if service_type:
        qs = qs.filter(service_type=service_type)
    q = q.strip()
    if q:
        pk = ExceptionRequest.pk_from_number(q)
        match = (
            Q(resident__iqama_number=q)
            | Q(establishment__moi_number=q)
            | Q(establishment__name_ar__icontains=q)
            | Q(establishment__name_en__icontains=q)
        )
        if pk is not None:
            match |= Q(pk=pk)
        qs = qs.filter(match)
    return qs.order_by("pending_rank", "-filed_at", "-pk")


def exception_request_get_for_staff(*, number: str) -> ExceptionRequest:
    pk = ExceptionRequest.pk_from_number(number)
    exception = (
        ExceptionRequest.objects.select_related(
            "resident",
            "resident__nationality",
            "resident__profession",
            "establishment",
            "filed_by",
            "decided_by",
            "used_by_request",
        )
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if exception is None:
        raise DomainError(ErrorCode.EXCEPTION_REQUEST_NOT_FOUND)
    return exception


def attachments_of(exception: ExceptionRequest) -> list[ExceptionAttachment]:
    return list(exception.attachments.order_by("pk"))


def attachment_of(exception: ExceptionRequest, attachment_id: int) -> ExceptionAttachment:
    attachment = exception.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    return attachment
