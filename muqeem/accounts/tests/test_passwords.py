"""Passwords set through the one-time activation link (ASVS 2.1.2, 2.1.7, 2.5.x): long passphrases
are accepted and work, common passwords are refused, and the link works once, for three days."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from muqeem.accounts.models import User
from muqeem.accounts.services import activation_link

pytestmark = pytest.mark.django_db


def _activate(client: Client, user: User, password: str):
    # Django moves the link's token into the session and redirects to the form.
    page = client.get(urlsplit(activation_link(user)).path, follow=True)
    assert b'id="activate-form"' in page.content
    form_url = page.redirect_chain[-1][0]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def _logs_in(username: str, password: str) -> bool:
    client = Client()
    client.post(reverse("accounts:login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


def test_a_128_character_password_is_accepted_and_signs_in(newcomer):
    passphrase = ("correct horse battery staple, " * 5)[:127] + "!"
    assert len(passphrase) == 128
    response = _activate(Client(), newcomer, passphrase)
    assert response.status_code == 302 and response.url == reverse("accounts:activated")
    assert _logs_in(newcomer.username, passphrase)
    # Every character counts: the same passphrase cut short is wrong.
    assert not _logs_in(newcomer.username, passphrase[:64])


@pytest.mark.parametrize("common", ["password1234", "qwertyuiop123", "123456789012"])
def test_a_common_password_is_refused_when_activating(newcomer, common):
    response = _activate(Client(), newcomer, common)
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_the_activation_link_works_once(newcomer):
    link = urlsplit(activation_link(newcomer)).path
    assert _activate(Client(), newcomer, "A-good-pass-2026").status_code == 302
    again = Client().get(link, follow=True)
    assert b'id="invalid-link"' in again.content


def test_the_activation_link_expires_after_three_days(newcomer):
    assert settings.PASSWORD_RESET_TIMEOUT == 3 * 24 * 60 * 60
    link = urlsplit(activation_link(newcomer)).path
    # An epoch timestamp, not an aware datetime: the token counts in the server's local time, which
    # travelling to a UTC datetime would also move.
    later = time.time() + settings.PASSWORD_RESET_TIMEOUT
    with time_machine.travel(later - 60, tick=False):
        page = Client().get(link, follow=True)
        assert b'id="activate-form"' in page.content
    with time_machine.travel(later + 60, tick=False):
        page = Client().get(link, follow=True)
        assert b'id="invalid-link"' in page.content
