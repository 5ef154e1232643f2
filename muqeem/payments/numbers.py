"""Bill numbers: 11 random digits and a Luhn check digit. Random, so a number says nothing about the
establishment or how many bills exist; the check digit lets the bank's teller system catch a mistyped
digit or two swapped neighbours before asking us."""

from __future__ import annotations

import secrets

from .models import BILL_NUMBER_LENGTH


def luhn_check_digit(digits: str) -> str:
    """The digit that makes `digits + check` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def bill_number_is_valid(number: str) -> bool:
    return (
        len(number) == BILL_NUMBER_LENGTH
        and number.isascii()
        and number.isdigit()
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def bill_number_new() -> str:
    body = str(secrets.choice(range(1, 10))) + "".join(
        str(secrets.randbelow(10)) for _ in range(BILL_NUMBER_LENGTH - 2)
    )
    return body + luhn_check_digit(body)
