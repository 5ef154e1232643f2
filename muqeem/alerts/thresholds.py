"""Which items an establishment is told about today: pure functions over plain values, no database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

MIN_THRESHOLD = 1
MAX_THRESHOLD = 180
MAX_THRESHOLDS = 6

# (kind, object id, expiry date) → the item a renewal would replace with a new expiry date.
ItemKey = tuple[str, int, date]


@dataclass(frozen=True)
class Candidate:
    kind: str
    object_id: int
    due_on: date


@dataclass(frozen=True)
class DueAlert:
    candidate: Candidate
    threshold: int
    days_left: int


def clean_thresholds(values: Iterable[int]) -> list[int]:
    """Distinct days within [MIN_THRESHOLD, MAX_THRESHOLD], largest first; ValueError otherwise."""
    cleaned = sorted({int(v) for v in values}, reverse=True)
    if not cleaned or len(cleaned) > MAX_THRESHOLDS:
        raise ValueError(f"between 1 and {MAX_THRESHOLDS} thresholds")
    if cleaned[-1] < MIN_THRESHOLD or cleaned[0] > MAX_THRESHOLD:
        raise ValueError("threshold out of range")
    return cleaned


def threshold_reached(*, due_on: date, on: date, thresholds: Sequence[int]) -> int | None:
    """The smallest threshold the item is within on `on` (an item already past its date is within
    every threshold), or None when it is further away than the largest."""
    days_left = (due_on - on).days
    reached = [t for t in thresholds if days_left <= t]
    return min(reached) if reached else None


def due_alerts(
    candidates: Iterable[Candidate],
    *,
    on: date,
    thresholds: Sequence[int],
    already: Mapping[ItemKey, int],
) -> list[DueAlert]:
    """The candidates to report today, each at the smallest threshold it has reached.

    `already` maps an item to the smallest threshold it was reported at. An item is reported again
    only when it reaches a smaller threshold than that: so a run after a gap reports it once (at the
    threshold it is in now, not at every one it passed), and removing a threshold from the settings
    does not make an item already reported at a smaller one come back."""
    out = []
    for candidate in candidates:
        threshold = threshold_reached(due_on=candidate.due_on, on=on, thresholds=thresholds)
        if threshold is None:
            continue
        previous = already.get((candidate.kind, candidate.object_id, candidate.due_on))
        if previous is not None and previous <= threshold:
            continue
        out.append(DueAlert(candidate, threshold, (candidate.due_on - on).days))
    return out
