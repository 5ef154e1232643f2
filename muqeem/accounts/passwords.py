"""Refusing passwords known from data breaches (ASVS 2.1.7), offline.

`BREACHED_PASSWORDS_FILE` names a copy of Have I Been Pwned's "Pwned Passwords" list in its SHA-1,
ordered-by-hash form: one line per password, `SHA1HEX:COUNT` (40 upper-case hex digits), sorted by
hash. The file is tens of gigabytes, so it is never loaded: a password's SHA-1 is looked up by binary
search over byte offsets (about 35 seeks for the full list). Nothing is ever sent over the network;
the password leaves the process only as a SHA-1 compared in memory. Without the setting the check
does nothing, and `manage.py check` warns about it where the settings expect the file (production).
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import IO, Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SHA1_HEX_LENGTH = 40
_LINE = re.compile(rb"^[0-9A-Fa-f]{40}(:\d+)?\r?\n?$")


def password_sha1(password: str) -> bytes:
    # SHA-1 because it is the list's format, not to protect anything: the password is never stored.
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper().encode()


def _key(line: bytes) -> bytes | None:
    """The hash of a line, upper case; None at the end of the file (or a blank last line)."""
    key = line.split(b":", 1)[0].strip().upper()
    return key or None


def _line_at(handle: IO[bytes], offset: int) -> tuple[int, bytes]:
    """The first line starting at or after `offset`, and where it starts."""
    if offset == 0:
        handle.seek(0)
    else:
        # Finish the line holding the byte before `offset`: what follows starts at or after it.
        handle.seek(offset - 1)
        handle.readline()
    start = handle.tell()
    return start, handle.readline()


def sorted_file_contains(handle: IO[bytes], sha1_hex: bytes) -> bool:
    """Whether a file of lines `HASH[:COUNT]`, sorted by hash, has a line for `sha1_hex`
    (upper case). Invariants: every line starting before `low` has a smaller hash; the first line
    starting at or after `high` has a hash at least as large (or there is none)."""
    handle.seek(0, os.SEEK_END)
    low, high = 0, handle.tell()
    while low < high:
        middle = (low + high) // 2
        start, line = _line_at(handle, middle)
        key = _key(line)
        if key is None or key >= sha1_hex:
            high = middle
        else:
            low = start + 1
    _start, line = _line_at(handle, low)
    return _key(line) == sha1_hex


def is_breached(password: str, path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as handle:
        return sorted_file_contains(handle, password_sha1(password))


class BreachedPasswordValidator:
    """Refuses a password found in the breach list named by `BREACHED_PASSWORDS_FILE` (or the
    validator's `path` option); does nothing when neither is set."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path

    def _file(self) -> str:
        return self.path or getattr(settings, "BREACHED_PASSWORDS_FILE", "") or ""

    def validate(self, password: str, user: Any = None) -> None:
        path = self._file()
        if path and is_breached(password, path):
            raise ValidationError(
                _(
                    "This password has appeared in a known data breach, so others may try it. "
                    "Choose another one."
                ),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be one that has appeared in a known data breach.")


@checks.register()
def breached_passwords_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A named list that cannot be read, or is not in the SHA-1 format, is an error (every password
    change would fail, or nothing would ever match); no list where the settings expect one
    (`BREACHED_PASSWORDS_EXPECTED`, production) is a warning."""
    path = getattr(settings, "BREACHED_PASSWORDS_FILE", "") or ""
    if not path:
        if getattr(settings, "BREACHED_PASSWORDS_EXPECTED", False):
            return [
                checks.Warning(
                    "Passwords are not checked against a breach list.",
                    hint="Set BREACHED_PASSWORDS_FILE to the Pwned Passwords SHA-1 file "
                    "ordered by hash (docs/deploy.md).",
                    id="accounts.W001",
                )
            ]
        return []
    try:
        with open(path, "rb") as handle:
            first = handle.readline()
    except OSError as error:
        return [
            checks.Error(
                f"BREACHED_PASSWORDS_FILE cannot be read: {error.strerror}.",
                hint="Name the Pwned Passwords SHA-1 file ordered by hash, readable by the server.",
                id="accounts.E001",
            )
        ]
    if not _LINE.match(first):
        return [
            checks.Error(
                "BREACHED_PASSWORDS_FILE is not a list of SHA-1 hashes (HASH:COUNT per line).",
                hint="Download the SHA-1 version ordered by hash, not the NTLM one (docs/deploy.md).",
                id="accounts.E002",
            )
        ]
    return []
