"""Reports read from the read replica; everything else stays on the primary.

A report marks its reads with `report_reads()` (a context manager) or `@reads_from_replica` (a view
decorator). While the mark is on, `ReportsReplicaRouter` sends reads to the alias named by
`settings.REPORTS_DATABASE` ("replica" when DATABASE_REPLICA_URL is set). Writes always go to
default, the audit records a report makes included, and so do the reads of locking querysets
(`select_for_update`, `get_or_create`), which Django routes as writes. Reads outside a report stay on
default, so a page shows what its own request has just written (a replica lags by a moment).

The mark is a context variable: it belongs to the request being served, never to another thread's.
A streamed response (a CSV download) runs its queries while it is being sent, after the view has
returned: the decorator carries the mark into each step of the stream."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)

REPLICA_ALIAS = "replica"

_report_reads: ContextVar[bool] = ContextVar("muqeem_report_reads", default=False)


def reports_database() -> str:
    """The alias reports read from now (default when no replica is configured)."""
    return str(getattr(settings, "REPORTS_DATABASE", DEFAULT_DB_ALIAS) or DEFAULT_DB_ALIAS)


def in_report() -> bool:
    return _report_reads.get()


@contextmanager
def report_reads() -> Iterator[None]:
    """Reads inside the block go to the reports database; writes still go to default."""
    token = _report_reads.set(True)
    try:
        yield
    finally:
        _report_reads.reset(token)


def _stream_on_replica(chunks: Iterable[Any]) -> Iterator[Any]:
    """The stream, each chunk produced with the mark on and the mark off between chunks (the
    server may serve something else meanwhile, or produce the next chunk in another context)."""
    iterator = iter(chunks)
    try:
        while True:
            with report_reads():
                try:
                    chunk = next(iterator)
                except StopIteration:
                    return
            yield chunk
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def reads_from_replica(view: Callable[P, R]) -> Callable[P, R]:
    """A report view: its reads, and those of a response it streams, go to the reports database.
    Put it under the access decorators, so that the user is loaded from default."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with report_reads():
            response = view(*args, **kwargs)
        if (
            isinstance(response, StreamingHttpResponse)
            and not isinstance(response, FileResponse)
            and not response.is_async
        ):
            content = cast(Iterator[bytes], response.streaming_content)
            response.streaming_content = _stream_on_replica(content)
        return response

    return wrapper


class ReportsReplicaRouter:
    """Reads marked as a report's go to `settings.REPORTS_DATABASE`; all else to default."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if _report_reads.get():
            alias = reports_database()
            if alias != DEFAULT_DB_ALIAS:
                return alias
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        # Explicit: an object read from the replica is still saved on the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as default: objects from either may be related.
        aliases = {DEFAULT_DB_ALIAS, reports_database()}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica follows the primary by replication; migrations run on default only.
        if db != DEFAULT_DB_ALIAS and db in {REPLICA_ALIAS, reports_database()}:
            return False
        return None
