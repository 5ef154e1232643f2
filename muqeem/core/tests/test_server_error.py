"""The portal's 500 page prints the request id for the user to quote, the same id as the response's
`X-Request-ID` (ASVS 7.4.1), without needing the database or the session; and every log line written
while a request is served carries that id (ASVS 7.1.4)."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import get_resolver, path

from config.urls import handler500 as portal_handler500
from muqeem.core.server_error import server_error

# No database marker: any query made while failing or drawing the page would raise.


class _Boom(Exception):
    pass


def _failing_view(request: HttpRequest) -> HttpResponse:
    raise _Boom("secret-detail-in-the-exception")


def _logging_view(request: HttpRequest) -> HttpResponse:
    logging.getLogger("muqeem.tests.request_log").warning("something worth a line")
    return HttpResponse("ok")


urlpatterns = [path("__boom__/", _failing_view), path("__log__/", _logging_view)]
# This module is the URL conf of the tests below: the portal's own 500 handler.
handler500 = portal_handler500


class _FailingMiddleware:
    """Fails before `RequestIdMiddleware` has given the request an id."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raise _Boom("failed early")


class _Untouchable:
    """A session or user that must not be read while drawing the 500 page."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the 500 page read {name}")


def test_the_portal_uses_the_500_page_with_the_request_id() -> None:
    assert get_resolver("config.urls").resolve_error_handler(500) is server_error


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("incoming", [None, "support-ticket-0042"])
def test_a_failing_page_shows_the_same_request_id_as_its_header(incoming: str | None) -> None:
    client = Client(raise_request_exception=False)
    headers = {"HTTP_X_REQUEST_ID": incoming} if incoming else {}
    response = client.get("/__boom__/", **headers)
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    if incoming:
        assert request_id == incoming
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert f"<code>{request_id}</code>" in body
    assert body.count(request_id) == 2  # the Arabic and the English line
    for leak in ("Traceback", "secret-detail-in-the-exception", "_Boom"):
        assert leak not in body


@pytest.mark.urls(__name__)
def test_a_failure_before_the_request_has_an_id_shows_the_page_without_one(settings: Any) -> None:
    settings.MIDDLEWARE = [f"{__name__}._FailingMiddleware", *settings.MIDDLEWARE]
    response = Client(raise_request_exception=False).get("/__log__/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert 'id="request-id"' not in body and "quote this reference" not in body
    assert "X-Request-ID" not in response


@pytest.mark.urls(__name__)
def test_a_failure_in_any_middleware_after_the_first_has_the_id(settings: Any) -> None:
    first, *rest = settings.MIDDLEWARE
    assert first == "muqeem.core.middleware.RequestIdMiddleware"
    settings.MIDDLEWARE = [first, f"{__name__}._FailingMiddleware", *rest]
    response = Client(raise_request_exception=False).get("/__log__/")
    assert response.status_code == 500
    assert f"<code>{response['X-Request-ID']}</code>" in response.content.decode()


def test_the_page_needs_neither_the_session_nor_the_user() -> None:
    request = RequestFactory().get("/anything/")
    request.session = _Untouchable()  # type: ignore[assignment]
    request.user = _Untouchable()  # type: ignore[assignment]
    request.request_id = "abcdef0123456789"  # type: ignore[attr-defined]
    response = server_error(request)
    assert response.status_code == 500
    assert "<code>abcdef0123456789</code>" in response.content.decode()


def test_a_broken_template_still_gives_a_generic_500(settings: Any) -> None:
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "APP_DIRS": False, "DIRS": [], "OPTIONS": {}},
    ]
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.fixture
def console_output() -> Any:
    """What the configured console handler writes, formatted as in production."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


@pytest.mark.urls(__name__)
def test_a_log_line_written_during_a_request_carries_its_id(console_output: io.StringIO) -> None:
    response = Client().get("/__log__/")
    assert response.status_code == 200
    (line,) = [
        entry for entry in console_output.getvalue().splitlines() if "something worth" in entry
    ]
    assert f"[{response['X-Request-ID']}]" in line
    assert "muqeem.tests.request_log" in line

    logging.getLogger("muqeem.tests.request_log").warning("outside any request")
    (outside,) = [e for e in console_output.getvalue().splitlines() if "outside any" in e]
    assert "[-]" in outside
