"""Identifiers: iqama numbers (10 digits, first digit 2, Luhn check digit), border numbers, MOI numbers."""

from __future__ import annotations

from enum import StrEnum

from stdnum import luhn

# Arabic-Indic (٠-٩) and Extended Arabic-Indic/Persian (۰-۹) digits typed from an Arabic keyboard.
_DIGIT_TABLE = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Characters that change direction or join text invisibly; pasted numbers often carry them.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\ufeff",
    )
)

ID_LENGTH = 10
IQAMA_FIRST_DIGIT = "2"
BORDER_FIRST_DIGITS = ("3", "4")
MOI_FIRST_DIGIT = "7"


class IdProblem(StrEnum):
    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    WRONG_LENGTH = "wrong_length"
    WRONG_FIRST_DIGIT = "wrong_first_digit"
    BAD_CHECK_DIGIT = "bad_check_digit"


def normalize_digits(value: str) -> str:
    """Western digits, without spaces, dashes or invisible direction marks."""
    cleaned = value.translate(_INVISIBLE).translate(_DIGIT_TABLE)
    return "".join(ch for ch in cleaned if ch not in " -\t\n\r\u00a0")


def luhn_check_digit(body: str) -> str:
    """The Luhn digit completing `body` (the scheme of Saudi national and iqama IDs)."""
    return luhn.calc_check_digit(body)


def luhn_valid(number: str) -> bool:
    return (
        number.isascii()
        and number.isdigit()
        and len(number) > 1
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def iqama_number_problem(value: str) -> IdProblem | None:
    """Why `value` is not a valid iqama number, or None when it is. Call on normalised input."""
    if not value:
        return IdProblem.EMPTY
    if not value.isascii() or not value.isdigit():
        return IdProblem.NOT_DIGITS
    if len(value) != ID_LENGTH:
        return IdProblem.WRONG_LENGTH
    if value[0] != IQAMA_FIRST_DIGIT:
        return IdProblem.WRONG_FIRST_DIGIT
    if not luhn_valid(value):
        return IdProblem.BAD_CHECK_DIGIT
    return None


def make_iqama_number(serial: int) -> str:
    """The iqama number for an 8-digit serial: `2` + serial + Luhn digit."""
    body = f"{IQAMA_FIRST_DIGIT}{serial:08d}"
    if len(body) != ID_LENGTH - 1:
        raise ValueError("serial out of range")
    return body + luhn_check_digit(body)


def moi_number_problem(value: str) -> IdProblem | None:
    if not value:
        return IdProblem.EMPTY
    if not value.isascii() or not value.isdigit():
        return IdProblem.NOT_DIGITS
    if len(value) != ID_LENGTH:
        return IdProblem.WRONG_LENGTH
    if value[0] != MOI_FIRST_DIGIT:
        return IdProblem.WRONG_FIRST_DIGIT
    return None


MAX_PUBLIC_NUMBER_LENGTH = 18


def public_number(pk: int, base: int) -> str:
    """A record's public number (request, visa…): `base + pk`, readable and never reused."""
    return str(base + pk)


def pk_from_public_number(number: str, base: int) -> int | None:
    """The primary key behind a public number, or None for anything that cannot be one."""
    number = normalize_digits(number or "")
    if not number.isascii() or not number.isdigit() or len(number) > MAX_PUBLIC_NUMBER_LENGTH:
        return None
    pk = int(number) - base
    return pk if pk > 0 else None
