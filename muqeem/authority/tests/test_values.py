"""Schedule values as staff type them: a table of accepted and refused inputs, and a round trip."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from muqeem.authority.values import ValueProblem, display_value, input_value, parse_value
from muqeem.fees.schedule import KEYS_BY_NAME, Key, Kind

MONEY = KEYS_BY_NAME["renewal.iqama_fee_per_year"]
MONEY_LIST = KEYS_BY_NAME["renewal.late_fines"]
INT = KEYS_BY_NAME["renewal.late_grace_days"]
INT_LIST = KEYS_BY_NAME["renewal.periods_months"]
BOOL = KEYS_BY_NAME["transfer.worker_consent_required"]


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        (MONEY, "650", 65000),
        (MONEY, "650.5", 65050),
        (MONEY, "650.50", 65050),
        (MONEY, "1,000.25", 100025),
        (MONEY, "٦٥٠", 65000),
        (MONEY, " 0 ", 0),
        (MONEY_LIST, "500, 1000", [50000, 100000]),
        (MONEY_LIST, "500،1000 1500", [50000, 100000, 150000]),
        (INT, "3", 3),
        (INT, "٣", 3),
        (INT_LIST, "3, 6, 9, 12", [3, 6, 9, 12]),
        (BOOL, "yes", True),
        (BOOL, "نعم", True),
        (BOOL, "No", False),
    ],
)
def test_accepted_values(key: Key, text: str, expected: object) -> None:
    assert parse_value(key, text) == expected


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (MONEY, ""),
        (MONEY, "-5"),
        (MONEY, "650.505"),
        (MONEY, "abc"),
        (MONEY, "1e5"),
        (MONEY, "<script>"),
        (INT, "-1"),
        (INT, "3.5"),
        (INT, "9999999"),
        (INT_LIST, ","),
        (INT_LIST, ", ".join(["1"] * 21)),
        (BOOL, "maybe"),
        (MONEY_LIST, "500, x"),
    ],
)
def test_refused_values(key: Key, text: str) -> None:
    with pytest.raises(ValueProblem) as problem:
        parse_value(key, text)
    assert str(problem.value)


_VALUES = {
    Kind.MONEY: st.integers(min_value=0, max_value=10**10),
    Kind.MONEY_LIST: st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=20),
    Kind.INT: st.integers(min_value=0, max_value=100_000),
    Kind.INT_LIST: st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=20),
    Kind.BOOL: st.booleans(),
}


@pytest.mark.parametrize("key", list(KEYS_BY_NAME.values()), ids=lambda k: k.name)
def test_every_key_default_reads_back_from_its_form_value(key: Key) -> None:
    assert parse_value(key, input_value(key, key.default)) == key.default


@given(data=st.data())
def test_any_value_survives_the_form_round_trip(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(list(Kind)))
    key = Key("x.y", kind, None, "label")  # type: ignore[arg-type]
    value = data.draw(_VALUES[kind])
    assert parse_value(key, input_value(key, value)) == value


def test_display_is_in_the_active_language() -> None:
    with translation.override("en"):
        assert display_value(MONEY, 65000) == "SAR 650.00"
        assert display_value(INT_LIST, [3, 6]) == "3, 6"
    with translation.override("ar"):
        assert display_value(MONEY, 65000) == "650.00 ريال"
        assert display_value(INT_LIST, [3, 6]) == "3، 6"
