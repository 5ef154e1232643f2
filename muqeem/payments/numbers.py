"""Bill numbers: 11 random digits and a Damm check digit. Random, so a number says nothing about the
establishment or how many bills exist; the Damm digit lets the bank's teller system catch every mistyped
digit and every pair of swapped neighbours before asking us (Luhn misses a swapped 0 and 9)."""

from __future__ import annotations

import secrets

from stdnum import damm

from .models import BILL_NUMBER_LENGTH


def bill_check_digit(body: str) -> str:
    """The digit that makes `body + check` pass the Damm test."""
    return str(damm.calc_check_digit(body))


def bill_number_is_valid(number: str) -> bool:
    return (
        len(number) == BILL_NUMBER_LENGTH
        and number.isascii()
        and number.isdigit()
        and damm.is_valid(number)
    )


def bill_number_new() -> str:
    body = str(secrets.choice(range(1, 10))) + "".join(
        str(secrets.randbelow(10)) for _ in range(BILL_NUMBER_LENGTH - 2)
    )
    return body + bill_check_digit(body)
