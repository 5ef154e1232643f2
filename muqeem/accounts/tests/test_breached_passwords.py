"""Passwords known from data breaches are refused (ASVS 2.1.7), by a binary search over an offline
copy of the Pwned Passwords SHA-1 list ordered by hash: never loaded into memory, never a network
call; without the list nothing is checked and production's `manage.py check` says so."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from muqeem.accounts.passwords import (
    BreachedPasswordValidator,
    breached_passwords_check,
    is_breached,
    password_sha1,
    sorted_file_contains,
)
from muqeem.accounts.services import activation_link

ROOT = Path(__file__).resolve().parents[3]
BREACHED = "Correct-horse-battery-2026"  # long and uncommon: only the breach list refuses it
NOT_BREACHED = "Quiet-lantern-orchard-2026"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest().upper()


def write_list(path: Path, hashes: list[str], newline: str = "\n") -> Path:
    """A file in the list's format: `HASH:COUNT` lines sorted by hash."""
    lines = [f"{h}:{(int(h[:4], 16) % 9000) + 1}" for h in sorted(set(hashes))]
    path.write_bytes((newline.join(lines) + newline).encode() if lines else b"")
    return path


@pytest.fixture
def breach_list(tmp_path: Path) -> Path:
    hashes = [sha1(f"leaked-password-{n}") for n in range(2_000)] + [sha1(BREACHED)]
    return write_list(tmp_path / "pwned-passwords-sha1-ordered-by-hash.txt", hashes)


def _contains(path: Path, hex_hash: str) -> bool:
    with path.open("rb") as handle:
        return sorted_file_contains(handle, hex_hash.upper().encode())


# --- The search ------------------------------------------------------------------------------


def test_the_first_and_last_lines_are_found_and_hashes_outside_them_are_not(
    breach_list: Path,
) -> None:
    hashes = [line.split(":")[0] for line in breach_list.read_text().splitlines()]
    members = set(hashes)
    first, last = hashes[0], hashes[-1]
    assert _contains(breach_list, first)
    assert _contains(breach_list, last)
    assert _contains(breach_list, hashes[len(hashes) // 2])
    assert not _contains(breach_list, "0" * 40) or first == "0" * 40
    assert not _contains(breach_list, "F" * 40) or last == "F" * 40
    # Neighbours differing in the last digit only.
    for known in (first, last):
        for digit in "0123456789ABCDEF":
            neighbour = known[:-1] + digit
            assert _contains(breach_list, neighbour) == (neighbour in members)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_one_line_list_and_windows_line_ends(tmp_path: Path, newline: str) -> None:
    only = sha1("only one")
    path = write_list(tmp_path / "one.txt", [only], newline)
    assert _contains(path, only)
    assert _contains(path, only.lower())
    assert not _contains(path, sha1("another"))


def test_an_empty_list_holds_nothing(tmp_path: Path) -> None:
    path = write_list(tmp_path / "empty.txt", [])
    assert not _contains(path, sha1("anything"))


HEX40 = st.binary(min_size=20, max_size=20).map(lambda b: b.hex().upper())


@given(
    members=st.lists(HEX40, max_size=60),
    strangers=st.lists(HEX40, max_size=10),
    newline=st.sampled_from(["\n", "\r\n"]),
    tweak=st.integers(min_value=0, max_value=15),
)
def test_the_binary_search_agrees_with_a_set_lookup(
    members: list[str], strangers: list[str], newline: str, tweak: int
) -> None:
    handle = io.BytesIO()
    lines = [f"{h}:{n + 1}" for n, h in enumerate(sorted(set(members)))]
    handle.write((newline.join(lines) + newline).encode() if lines else b"")
    known = set(members)
    # Members, strangers and near misses (a member with its last digit changed).
    near = [m[:-1] + "0123456789ABCDEF"[tweak] for m in members]
    for query in [*members, *strangers, *near]:
        assert sorted_file_contains(handle, query.encode()) == (query in known)


class _CountingFile(io.FileIO):
    bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        _CountingFile.bytes_read += len(data)
        return data


def test_the_list_is_searched_not_loaded(tmp_path: Path) -> None:
    hashes = [sha1(f"many-{n}") for n in range(50_000)]
    path = write_list(tmp_path / "big.txt", hashes)
    size = path.stat().st_size
    _CountingFile.bytes_read = 0
    with _CountingFile(path, "r") as handle:
        assert sorted_file_contains(handle, sha1("many-31337").encode())  # type: ignore[arg-type]
        assert not sorted_file_contains(handle, sha1("absent").encode())  # type: ignore[arg-type]
    assert _CountingFile.bytes_read < size // 100


def test_no_network_is_used(breach_list: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the breach check opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert is_breached(BREACHED, breach_list)
    assert not is_breached(NOT_BREACHED, breach_list)


# --- The validator ---------------------------------------------------------------------------


def test_the_validator_refuses_a_breached_password_with_a_bilingual_message(
    breach_list: Path,
) -> None:
    from django.utils import translation

    with override_settings(BREACHED_PASSWORDS_FILE=str(breach_list)):
        validate_password(NOT_BREACHED)
        with translation.override("en"), pytest.raises(ValidationError) as refused:
            validate_password(BREACHED)
    (error,) = refused.value.error_list
    assert error.code == "password_breached"
    assert "data breach" in str(error.message)
    assert password_sha1(BREACHED) == sha1(BREACHED).encode()


def test_without_the_list_nothing_is_checked(breach_list: Path) -> None:
    with override_settings(BREACHED_PASSWORDS_FILE=""):
        BreachedPasswordValidator().validate(BREACHED)
        validate_password(BREACHED)
    # The validator's own option names a list too.
    with pytest.raises(ValidationError):
        BreachedPasswordValidator(path=str(breach_list)).validate(BREACHED)


@pytest.mark.django_db
def test_a_breached_password_is_refused_when_activating(newcomer: Any, breach_list: Path) -> None:
    client = Client()
    page = client.get(urlsplit(activation_link(newcomer)).path, follow=True)
    form_url = page.redirect_chain[-1][0]
    with override_settings(BREACHED_PASSWORDS_FILE=str(breach_list)):
        response = client.post(form_url, {"new_password1": BREACHED, "new_password2": BREACHED})
        assert response.status_code == 200
        assert response.context["form"].errors["new_password2"]
        newcomer.refresh_from_db()
        assert not newcomer.has_usable_password()
        response = client.post(
            form_url, {"new_password1": NOT_BREACHED, "new_password2": NOT_BREACHED}
        )
    assert response.status_code == 302 and response.url == reverse("accounts:activated")


# --- The checks ------------------------------------------------------------------------------


def test_the_check_warns_only_where_the_list_is_expected(tmp_path: Path, breach_list: Path) -> None:
    with override_settings(BREACHED_PASSWORDS_FILE="", BREACHED_PASSWORDS_EXPECTED=True):
        assert [m.id for m in breached_passwords_check()] == ["accounts.W001"]
    with override_settings(BREACHED_PASSWORDS_FILE="", BREACHED_PASSWORDS_EXPECTED=False):
        assert breached_passwords_check() == []
    with override_settings(BREACHED_PASSWORDS_FILE=str(breach_list)):
        assert breached_passwords_check() == []
    with override_settings(BREACHED_PASSWORDS_FILE=str(tmp_path / "missing.txt")):
        assert [m.id for m in breached_passwords_check()] == ["accounts.E001"]
    ntlm = tmp_path / "pwned-passwords-ntlm.txt"
    ntlm.write_text("00000011059407D743D40689940F858C:3\n")
    with override_settings(BREACHED_PASSWORDS_FILE=str(ntlm)):
        assert [m.id for m in breached_passwords_check()] == ["accounts.E002"]


def test_production_check_warns_without_the_list_and_is_quiet_with_it(breach_list: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "muqeem.example.sa",
            "DATABASE_URL": "sqlite:///:memory:",
        }
    )

    def check(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "check"],
            check=False,
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    without = check({"BREACHED_PASSWORDS_FILE": ""})
    assert without.returncode == 0, without.stderr
    assert "accounts.W001" in without.stdout + without.stderr
    with_list = check({"BREACHED_PASSWORDS_FILE": str(breach_list)})
    assert with_list.returncode == 0, with_list.stderr
    assert "accounts.W001" not in with_list.stdout + with_list.stderr
