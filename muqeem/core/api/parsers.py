"""The JSON parser of every API: DRF's, refusing two bodies that are valid JSON to Python but would
break later with a 500.

- nesting deeper than Python's recursion limit (`[[[[...]]]]`): `json.loads` raises RecursionError,
  not the ValueError DRF turns into a parse error;
- a lone surrogate (`"\\ud800"`): a valid JSON escape, but no UTF-8 text can hold it, so an error
  envelope that echoes the value, or a page or database that stores it, fails when encoding it.

Both are refused as a parse error (400, VALIDATION_FAILED) before any view sees them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        if _has_lone_surrogate(data):
            raise ParseError("JSON parse error - a string holds a lone surrogate")
        return data
