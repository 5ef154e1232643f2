from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import transaction

from muqeem.notifications.models import SmsMessage, SmsStatus
from muqeem.notifications.services import REDACTED, sms_deliver, sms_send

pytestmark = pytest.mark.django_db


def _outbox(settings) -> list[dict]:
    path = settings.SMS_FILE_PATH
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_message_leaves_only_after_commit(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.SMS_FILE_PATH = tmp_path / "out.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to="966500000001", body="hello")
    assert [m["body"] for m in _outbox(settings)] == ["hello"]
    assert SmsMessage.objects.get().status == SmsStatus.SENT


def test_rolled_back_transaction_sends_nothing(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SMS_FILE_PATH = tmp_path / "out.jsonl"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                sms_send(to="966500000001", body="never")
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert callbacks == []
    assert _outbox(settings) == []


def test_secret_is_redacted_in_the_outbox_but_delivered(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SMS_FILE_PATH = tmp_path / "out.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to="966500000001", body="code 123456", secret="123456")
    assert _outbox(settings)[0]["body"] == "code 123456"
    assert SmsMessage.objects.get().body == f"code {REDACTED}"


def test_delivery_is_idempotent(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.SMS_FILE_PATH = tmp_path / "out.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_send(to="966500000001", body="once")
    assert sms_deliver(message_id=message.pk) is False
    assert len(_outbox(settings)) == 1


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Gateway.received.append(
            {"auth": self.headers["Authorization"], "json": json.loads(self.rfile.read(length))}
        )
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received = []
    _Gateway.status = 200
    yield server
    server.shutdown()


def test_http_backend_posts_to_the_operator(settings, gateway, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{gateway.server_port}/send"
    settings.SMS_HTTP_TOKEN = "operator-token"
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to="966500000002", body="مرحبا")
    assert _Gateway.received == [
        {
            "auth": "Bearer operator-token",
            "json": {
                "sender": "MUQEEM",
                "to": "966500000002",
                "text": "مرحبا",
                "reference": str(SmsMessage.objects.get().pk),
            },
        }
    ]
    assert SmsMessage.objects.get().status == SmsStatus.SENT


def test_http_backend_failure_is_recorded_not_raised(
    settings, gateway, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{gateway.server_port}/send"
    _Gateway.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to="966500000002", body="x")
    message = SmsMessage.objects.get()
    assert message.status == SmsStatus.FAILED
    assert "503" in message.last_error
