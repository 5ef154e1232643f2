"""Iqama numbers: 10 digits, first digit 2, Luhn check digit over the first nine (DOMAIN.md "Identifiers")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muqeem.core.ids import (
    IdProblem,
    iqama_number_problem,
    luhn_check_digit,
    luhn_valid,
    make_iqama_number,
    moi_number_problem,
    normalize_digits,
)

# Luhn check digits worked out by hand. Positions are counted 1-9 from the left of the body; the odd
# positions (1, 3, 5, 7, 9: the rightmost body digit and every other one leftwards) are doubled, and a
# doubled value above 9 has 9 subtracted. The check digit is (10 - total % 10) % 10.
#
#   body 212345678: doubled 2→4, 2→4, 4→8, 6→12→3, 8→16→7 = 26; kept 1+3+5+7 = 16; total 42 → 8
#   body 200000000: doubled 2→4; the rest are 0                                  total  4 → 6
#   body 299999999: doubled 2→4, four 9s → 18→9 each = 40; kept four 9s = 36;     total 76 → 4
#   body 234567891: doubled 2→4, 4→8, 6→3, 8→7, 1→2 = 24; kept 3+5+7+9 = 24;     total 48 → 2
#   body 200000003: doubled 2→4, 3→6 = 10                                         total 10 → 0
#   body 210000000: doubled 2→4; kept 1                                          total  5 → 5
HAND_COMPUTED = [
    ("212345678", "8"),
    ("200000000", "6"),
    ("299999999", "4"),
    ("234567891", "2"),
    ("200000003", "0"),
    ("210000000", "5"),
]

# Unicode's Bidi_Control characters (PropList.txt), including the Arabic letter mark U+061C, plus the
# zero-width characters that copy-pasted numbers carry.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\ufeff"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"  # U+0660-U+0669
EXTENDED_ARABIC_INDIC = "۰۱۲۳۴۵۶۷۸۹"  # U+06F0-U+06F9, Persian/Urdu keyboards

valid_iqama_numbers = st.integers(min_value=0, max_value=99_999_999).map(make_iqama_number)


def _to_arabic_indic(value: str, digits: str = ARABIC_INDIC) -> str:
    return "".join(digits[int(ch)] for ch in value)


@pytest.mark.parametrize(("body", "check"), HAND_COMPUTED)
def test_luhn_check_digit_matches_hand_computed_examples(body, check):
    assert luhn_check_digit(body) == check


@pytest.mark.parametrize(("body", "check"), HAND_COMPUTED)
def test_hand_computed_numbers_are_valid_iqama_numbers(body, check):
    assert iqama_number_problem(body + check) is None


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (0, "2000000006"),
        (12_345_678, "2123456788"),
        (99_999_999, "2999999994"),
        (34_567_891, "2345678912"),
        (3, "2000000030"),
        (10_000_000, "2100000005"),
    ],
)
def test_make_iqama_number_prefixes_2_and_appends_the_luhn_digit(serial, expected):
    assert make_iqama_number(serial) == expected


@pytest.mark.parametrize("serial", [100_000_000, 10**12, -12_345_678])
def test_make_iqama_number_rejects_serials_that_do_not_fit_eight_digits(serial):
    with pytest.raises(ValueError, match="serial out of range"):
        make_iqama_number(serial)


@pytest.mark.parametrize("serial", [-1, -1_234_567])
def test_make_iqama_number_rejects_negative_serials(serial):
    # The body then holds a minus sign, which the Luhn step refuses; the message is not stable.
    with pytest.raises(ValueError):
        make_iqama_number(serial)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", IdProblem.EMPTY),
        ("212345678x", IdProblem.NOT_DIGITS),
        ("2123 45678", IdProblem.NOT_DIGITS),
        ("٢١٢٣٤٥٦٧٨٨", IdProblem.NOT_DIGITS),  # must be normalised first
        ("-212345678", IdProblem.NOT_DIGITS),
        ("212345678", IdProblem.WRONG_LENGTH),
        ("21234567888", IdProblem.WRONG_LENGTH),
        ("1123456786", IdProblem.WRONG_FIRST_DIGIT),  # a Saudi national ID shape
        ("3123456784", IdProblem.WRONG_FIRST_DIGIT),  # a border number shape
        ("2123456787", IdProblem.BAD_CHECK_DIGIT),
        ("2123456789", IdProblem.BAD_CHECK_DIGIT),
        ("2213456788", IdProblem.BAD_CHECK_DIGIT),  # two adjacent digits swapped
        ("2123456788", None),
    ],
)
def test_iqama_number_problem_names_the_first_thing_wrong(value, problem):
    assert iqama_number_problem(value) == problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", False),  # a single digit has no body
        ("", False),
        ("18", True),  # body 1 doubled → 2; check 8
        ("19", False),
        ("79927398713", True),  # the textbook Luhn example
        ("79927398710", False),
        ("12a4", False),
        ("²1", False),  # str.isdigit() accepts superscripts; they are not digits of a number
        ("٢١٢٣٤٥٦٧٨٨", False),  # only normalised (ASCII) input is checked
    ],
)
def test_luhn_valid(value, expected):
    assert luhn_valid(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2123456788", "2123456788"),
        ("٢١٢٣٤٥٦٧٨٨", "2123456788"),
        ("۲۱۲۳۴۵۶۷۸۸", "2123456788"),
        ("٢١٢٣456788", "2123456788"),  # mixed keyboards
        ("212 345 6788", "2123456788"),
        ("212-345-6788", "2123456788"),
        (" 2123456788\n", "2123456788"),
        ("2123\u00a0456788", "2123456788"),
        ("\u200f2123456788\u200e", "2123456788"),
        ("\u202b٢١٢٣-٤٥٦٧٨٨\u202c", "2123456788"),
        ("\u2067٢١٢٣٤٥٦٧٨٨\u2069", "2123456788"),
        ("\u061c٢١٢٣٤٥٦٧٨٨", "2123456788"),
        ("\ufeff2123456788", "2123456788"),
        ("21234x6788", "21234x6788"),  # letters are kept so validation can reject them
        ("", ""),
    ],
)
def test_normalize_digits_gives_plain_western_digits(value, expected):
    assert normalize_digits(value) == expected


@pytest.mark.parametrize("mark", list(BIDI_CONTROLS + ZERO_WIDTH))
def test_normalize_digits_removes_every_invisible_mark(mark):
    assert normalize_digits(f"{mark}21234{mark}56788{mark}") == "2123456788"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", IdProblem.EMPTY),
        ("70012345ab", IdProblem.NOT_DIGITS),
        ("700123456", IdProblem.WRONG_LENGTH),
        ("2001234567", IdProblem.WRONG_FIRST_DIGIT),
        ("7001234567", None),
    ],
)
def test_moi_number_problem(value, problem):
    assert moi_number_problem(value) == problem


@given(valid_iqama_numbers)
def test_every_made_iqama_number_is_valid(number):
    assert len(number) == 10
    assert number[0] == "2"
    assert iqama_number_problem(number) is None


@given(st.integers(min_value=0, max_value=99_999_999))
def test_made_iqama_number_carries_the_serial(serial):
    assert make_iqama_number(serial)[1:9] == f"{serial:08d}"


@given(
    valid_iqama_numbers,
    st.integers(min_value=1, max_value=9),  # position 0 is covered by WRONG_FIRST_DIGIT
    st.integers(min_value=1, max_value=9),
)
def test_changing_any_single_digit_makes_a_valid_number_invalid(number, position, shift):
    digit = (int(number[position]) + shift) % 10
    changed = f"{number[:position]}{digit}{number[position + 1 :]}"
    assert iqama_number_problem(changed) == IdProblem.BAD_CHECK_DIGIT


@given(valid_iqama_numbers, st.sampled_from("013456789"))
def test_changing_the_first_digit_is_reported_as_wrong_first_digit(number, first):
    assert iqama_number_problem(first + number[1:]) == IdProblem.WRONG_FIRST_DIGIT


@given(valid_iqama_numbers, st.integers(min_value=1, max_value=8))
def test_swapping_two_different_adjacent_digits_makes_it_invalid(number, position):
    # Luhn catches every adjacent transposition except 09 ↔ 90.
    a, b = number[position], number[position + 1]
    if a == b or {a, b} == {"0", "9"}:
        return
    swapped = f"{number[:position]}{b}{a}{number[position + 2 :]}"
    assert iqama_number_problem(swapped) == IdProblem.BAD_CHECK_DIGIT


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_exactly_one_check_digit_completes_any_body(body):
    completions = [d for d in "0123456789" if luhn_valid(body + d)]
    assert completions == [luhn_check_digit(body)]


@given(valid_iqama_numbers)
def test_arabic_indic_spelling_normalises_to_the_same_valid_number(number):
    for digits in (ARABIC_INDIC, EXTENDED_ARABIC_INDIC):
        assert normalize_digits(_to_arabic_indic(number, digits)) == number


@given(
    valid_iqama_numbers,
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10),
            st.sampled_from(BIDI_CONTROLS + ZERO_WIDTH + " -\t\u00a0"),
        ),
        max_size=8,
    ),
)
def test_noise_inserted_anywhere_is_removed_by_normalisation(number, insertions):
    noisy = number
    for index, char in insertions:
        noisy = noisy[:index] + char + noisy[index:]
    assert normalize_digits(noisy) == number


@given(st.text())
def test_normalize_digits_is_idempotent(value):
    once = normalize_digits(value)
    assert normalize_digits(once) == once


@given(st.text())
def test_checks_never_raise_on_arbitrary_text(value):
    assert iqama_number_problem(value) in {*IdProblem, None}
    assert isinstance(luhn_valid(value), bool)
    assert iqama_number_problem(normalize_digits(value)) in {*IdProblem, None}
