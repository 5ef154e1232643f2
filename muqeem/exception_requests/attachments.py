"""Attachment checks: the type is read from the file's first bytes (PDF, JPEG or PNG), never from
its name or the browser's claim, and the size is capped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from muqeem.core.errors import DomainError, ErrorCode

MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_MB = 5
MAX_ATTACHMENT_BYTES = MAX_ATTACHMENT_MB * 1024 * 1024

# (leading bytes, content type)
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int


def sniff_content_type(head: bytes) -> str | None:
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def attachment_check(*, name: str, size: int, stream: IO[bytes]) -> CheckedFile:
    """The file's detected type, or ATTACHMENT_INVALID (wrong type, empty or too large)."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None or size <= 0 or size > MAX_ATTACHMENT_BYTES:
        raise DomainError(ErrorCode.ATTACHMENT_INVALID, {"size_mb": MAX_ATTACHMENT_MB})
    safe_name = (name or "attachment").replace("/", "_").replace("\\", "_")[-200:]
    return CheckedFile(name=safe_name, content_type=content_type, size=size)
