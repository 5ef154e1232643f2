"""A real HTTP receiver on 127.0.0.1, endpoints, and the main users of two establishments."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from muqeem.webhooks.models import WebhookEndpoint, WebhookEventType
from muqeem.webhooks.services import webhook_endpoint_create
from tests.factories import UserFactory


class Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    # Answered in turn; the last one repeats.
    statuses: list[int] = [200]

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        Receiver.received.append({"headers": dict(self.headers.items()), "body": body})
        status = Receiver.statuses[0] if len(Receiver.statuses) == 1 else Receiver.statuses.pop(0)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Receiver.received = []
    Receiver.statuses = [200]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def main_user(establishment: Any) -> Any:
    return UserFactory(establishment=establishment, is_main_user=True)


@pytest.fixture
def other_main_user(other_establishment: Any) -> Any:
    return UserFactory(establishment=other_establishment, is_main_user=True)


@pytest.fixture
def make_endpoint(receiver: HTTPServer) -> Any:
    def make(actor: Any, events: list[str] | None = None) -> tuple[WebhookEndpoint, str]:
        return webhook_endpoint_create(
            actor=actor,
            url=f"http://127.0.0.1:{receiver.server_port}/hook",
            event_types=events or list(WebhookEventType.values),
        )

    return make
