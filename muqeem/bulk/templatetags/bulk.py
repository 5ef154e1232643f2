from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def grouped(value: int | None) -> str:
    """`10,000` in both languages, the grouping the money amounts use (Western digits)."""
    return f"{int(value or 0):,}"
