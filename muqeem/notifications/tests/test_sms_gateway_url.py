"""The SMS gateway is reached over TLS (ASVS 9.2.1): security codes and the bearer token never travel
in clear, except to a relay on this machine; a redirect is a failure, not followed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from muqeem.notifications.models import SmsMessage, SmsStatus
from muqeem.notifications.services import sms_deliver
from muqeem.notifications.sms import gateway_url_problem

pytestmark = pytest.mark.django_db


def _security_code_message() -> SmsMessage:
    return SmsMessage.objects.create(
        to="966500000001", body="Security code: ••••••", sensitive=True
    )


@pytest.mark.parametrize(
    ("url", "usable"),
    [
        ("https://sms.example.sa/send", True),
        ("http://127.0.0.1:9000/send", True),
        ("http://localhost/send", True),
        ("http://sms.example.sa/send", False),
        ("http://127.0.0.1.evil.example/send", False),
        ("ftp://sms.example.sa/send", False),
        ("https:///send", False),
        ("", False),
    ],
)
def test_the_gateway_url_must_be_https_except_on_this_machine(url, usable):
    assert (gateway_url_problem(url) is None) is usable


def test_a_message_is_not_sent_to_a_plain_http_gateway(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://sms.example.sa/send"
    message = _security_code_message()
    assert sms_deliver(message_id=message.pk, body="Security code: 123456") is False
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED
    assert "https://" in message.last_error


def test_manage_py_check_refuses_a_plain_http_gateway(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://sms.example.sa/send"
    with pytest.raises(SystemCheckError, match=r"notifications\.E001"):
        call_command("check", tag=["security"])
    settings.SMS_HTTP_URL = "https://sms.example.sa/send"
    call_command("check", tag=["security"])


class _Redirecting(BaseHTTPRequestHandler):
    hits: list[str] = []  # shared by the server's handler instances

    def do_POST(self) -> None:
        self.hits.append(self.path)
        self.send_response(307)
        self.send_header("Location", "http://sms.example.sa/elsewhere")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_redirect_from_the_gateway_is_a_failure_not_followed(settings):
    server = HTTPServer(("127.0.0.1", 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.SMS_BACKEND = "http"
        settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/send"
        message = _security_code_message()
        assert sms_deliver(message_id=message.pk, body="Security code: 123456") is False
    finally:
        server.shutdown()
        server.server_close()
    assert _Redirecting.hits == ["/send"]
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED
