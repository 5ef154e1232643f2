"""Text that must reach someone in both languages at once (SMS, e-mail): Arabic first, then English."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import override


def in_both_languages(render: Callable[[], str], separator: str = "\n") -> str:
    """`render` is called once with Arabic active and once with English active."""
    parts = []
    for lang in ("ar", "en"):
        with override(lang):
            parts.append(render())
    return separator.join(parts)
