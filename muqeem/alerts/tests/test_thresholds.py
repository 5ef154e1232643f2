"""Which threshold an item is in and whether it is reported again: tables, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from muqeem.alerts.thresholds import Candidate, clean_thresholds, due_alerts, threshold_reached

ON = date(2026, 3, 1)
DEFAULT = [90, 60, 30, 7]


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (91, None),
        (90, 90),
        (61, 90),
        (60, 60),
        (31, 60),
        (30, 30),
        (8, 30),
        (7, 7),
        (0, 7),
        (-3, 7),
    ],
)
def test_threshold_reached(days_left, expected):
    due_on = ON + timedelta(days=days_left)
    assert threshold_reached(due_on=due_on, on=ON, thresholds=DEFAULT) == expected


def item(days_left: int, object_id: int = 1) -> Candidate:
    return Candidate("iqama_expiry", object_id, ON + timedelta(days=days_left))


@pytest.mark.parametrize(
    ("days_left", "already", "expected"),
    [
        (45, None, 60),  # first time: at the threshold it is in
        (45, 60, None),  # already told at 60
        (29, 60, 30),  # reached the next one
        (5, 60, 7),  # a gap: straight to 7, once
        (5, 7, None),
        (95, None, None),  # not yet
    ],
)
def test_due_alerts(days_left, already, expected):
    candidate = item(days_left)
    previous = {} if already is None else {(candidate.kind, 1, candidate.due_on): already}
    due = due_alerts([candidate], on=ON, thresholds=DEFAULT, already=previous)
    assert [d.threshold for d in due] == ([] if expected is None else [expected])


def test_removing_a_threshold_does_not_bring_an_item_back():
    candidate = item(5)
    already = {(candidate.kind, 1, candidate.due_on): 7}
    assert due_alerts([candidate], on=ON, thresholds=[90, 60, 30], already=already) == []


def test_a_new_expiry_date_is_a_new_item():
    old = item(5)
    renewed = Candidate(old.kind, old.object_id, ON + timedelta(days=70))  # renewed early
    due = due_alerts([renewed], on=ON, thresholds=DEFAULT, already={(old.kind, 1, old.due_on): 7})
    assert [(d.candidate.due_on, d.threshold) for d in due] == [(renewed.due_on, 90)]


@pytest.mark.parametrize(
    ("given", "expected"),
    [([7, 30, 90, 60], [90, 60, 30, 7]), ([30, 30], [30]), (["14"], [14])],
)
def test_clean_thresholds(given, expected):
    assert clean_thresholds(given) == expected


@pytest.mark.parametrize("given", [[], [0], [181], [1, 2, 3, 4, 5, 6, 7], ["x"]])
def test_clean_thresholds_refuses(given):
    with pytest.raises(ValueError):
        clean_thresholds(given)
