"""Which kinds of document can be verified publicly, and what the public may see of each.

Each service that issues a printable document registers a provider for its kind, usually in its
`AppConfig.ready()`:

    register_verifiable("exit_reentry_visa", visa_public_projection)

The provider gets the object's id and returns a `PublicProjection` computed *now* (a visa printed as
valid shows "cancelled" once cancelled), or None when the object no longer exists. The projection is
all the verification page shows: no iqama, passport or request numbers, and the name masked.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

from django.core.exceptions import ImproperlyConfigured

STATUS_VALID: Final = "valid"
STATUS_USED: Final = "used"
STATUS_CANCELLED: Final = "cancelled"
STATUS_EXPIRED: Final = "expired"
STATUS_CODES: Final = frozenset({STATUS_VALID, STATUS_USED, STATUS_CANCELLED, STATUS_EXPIRED})

MASK_CHAR: Final = "•"


@dataclass(frozen=True)
class PublicProjection:
    """What anyone holding the printed document may learn by scanning its QR code."""

    document_type: str
    status: str
    status_code: str  # one of "valid", "used", "cancelled", "expired"
    valid_from: date | None
    valid_until: date | None
    masked_name: str
    establishment_name: str

    def __post_init__(self) -> None:
        if self.status_code not in STATUS_CODES:
            raise ValueError(f"status_code must be one of {sorted(STATUS_CODES)}")


Provider = Callable[[int], PublicProjection | None]

_providers: dict[str, Provider] = {}


def register_verifiable(kind: str, provider: Provider) -> None:
    """Make documents of `kind` verifiable. Registering the same provider again is harmless; a
    second, different provider for a kind already taken is a configuration error (two services
    would be answering for each other's documents)."""
    if not kind or len(kind) > 40:
        raise ImproperlyConfigured("A document kind is 1 to 40 characters.")
    existing = _providers.get(kind)
    if existing is not None and existing is not provider:
        raise ImproperlyConfigured(f"Document kind {kind!r} already has a verification provider.")
    _providers[kind] = provider


def unregister_verifiable(kind: str) -> None:
    """For tests that register a provider of their own."""
    _providers.pop(kind, None)


def is_registered(kind: str) -> bool:
    return kind in _providers


def projection_for(kind: str, object_id: int) -> PublicProjection | None:
    """The public projection of one document, or None if the kind is unknown or the object gone."""
    provider = _providers.get(kind)
    if provider is None:
        return None
    return provider(object_id)


def _mask_word(word: str) -> str:
    # Count letters, not code points: Arabic diacritics (harakat) are combining marks and would
    # otherwise reveal extra length and leak vowels next to the first letter.
    base = [ch for ch in word if not unicodedata.combining(ch) and ch != "\u0640"]  # tatweel
    if not base:
        return ""
    return base[0] + MASK_CHAR * (len(base) - 1)


def mask_name(name: str) -> str:
    """Each word's first letter followed by one bullet per remaining letter:
    `Mohammed Ahmed` → `M••••••• A••••`, `محمد الحربي` → `م••• ا•••••`."""
    return " ".join(w for w in (_mask_word(word) for word in name.split()) if w)
