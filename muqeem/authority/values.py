"""Schedule values as staff type them and read them.

Money is typed in riyals ("650" or "650.50") and stored in halalas; lists are separated by commas
(Latin or Arabic) or spaces; Arabic-Indic digits are accepted. Pure functions, no database.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from muqeem.core.money import format_halalas, riyals
from muqeem.fees.schedule import Key, Kind

# Arabic-Indic and Persian digits, and the Arabic decimal separator. Not `core.ids.normalize_digits`:
# that one drops dashes and spaces, which here would turn "-5" into 5 and "3 6" into 36.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
_SEPARATORS = re.compile(r"[,،؛;\s]+")
_TRUE = {"yes", "true", "1", "نعم"}
_FALSE = {"no", "false", "0", "لا"}
MAX_LIST_ITEMS = 20
MAX_INT = 100_000
MAX_MONEY_HALALAS = 10_000_000_000  # SAR 100 million


class ValueProblem(ValueError):
    """The typed value does not fit the key; the message says why, in the active language."""


def normalise(text: str) -> str:
    return text.translate(_DIGITS).strip()


def _int(item: str) -> int:
    if not re.fullmatch(r"\d{1,9}", item):
        raise ValueProblem(_("“%(item)s” is not a whole number.") % {"item": item})
    value = int(item)
    if value > MAX_INT:
        raise ValueProblem(_("%(value)s is too large.") % {"value": value})
    return value


def _money(item: str) -> int:
    item = item.replace("SAR", "").replace("ريال", "").strip()
    if not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", item):
        raise ValueProblem(
            _("“%(item)s” is not an amount in riyals (for example 650 or 650.50).") % {"item": item}
        )
    try:
        value = riyals(Decimal(item))
    except (InvalidOperation, ValueError):
        raise ValueProblem(_("“%(item)s” is not an amount in riyals.") % {"item": item}) from None
    if value > MAX_MONEY_HALALAS:
        raise ValueProblem(_("%(value)s is too large.") % {"value": item})
    return value


def _items(text: str) -> list[str]:
    items = [i for i in _SEPARATORS.split(text) if i]
    if not items:
        raise ValueProblem(_("Enter at least one value."))
    if len(items) > MAX_LIST_ITEMS:
        raise ValueProblem(_("Enter at most %(count)s values.") % {"count": MAX_LIST_ITEMS})
    return items


def parse_value(key: Key, text: str) -> Any:
    """The stored value for what staff typed, or `ValueProblem`."""
    text = normalise(text or "")
    if not text:
        raise ValueProblem(_("Enter a value."))
    if key.kind == Kind.MONEY:
        return _money(text.replace(",", "") if "." in text or "," in text else text)
    if key.kind == Kind.INT:
        return _int(text)
    if key.kind == Kind.BOOL:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueProblem(_("Enter yes or no."))
    if key.kind == Kind.INT_LIST:
        return [_int(i) for i in _items(text)]
    return [_money(i) for i in _items(text)]


def input_value(key: Key, value: Any) -> str:
    """The value as staff would type it (pre-filled in the form); `parse_value` reads it back."""
    if key.kind == Kind.MONEY:
        return format_halalas(int(value), with_currency=False).replace(",", "")
    if key.kind == Kind.MONEY_LIST:
        return ", ".join(
            format_halalas(int(v), with_currency=False).replace(",", "") for v in value
        )
    if key.kind == Kind.INT_LIST:
        return ", ".join(str(int(v)) for v in value)
    if key.kind == Kind.BOOL:
        return "yes" if value else "no"
    return str(int(value))


def display_value(key: Key, value: Any) -> str:
    """The value for reading, in the active language."""
    if key.kind == Kind.MONEY:
        return format_halalas(int(value))
    separator = "، " if (get_language() or "ar").startswith("ar") else ", "
    if key.kind == Kind.MONEY_LIST:
        return separator.join(format_halalas(int(v)) for v in value)
    if key.kind == Kind.INT_LIST:
        return separator.join(str(int(v)) for v in value)
    if key.kind == Kind.BOOL:
        return str(_("Yes") if value else _("No"))
    return str(int(value))
