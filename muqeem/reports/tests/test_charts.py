"""Server-drawn charts read in the page's direction: in Arabic the first month is the rightmost bar
and horizontal bars grow leftwards from labels on the right."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from muqeem.reports.charts import Datum, bar_chart, column_chart, nice_ticks

DATA = [Datum(label=f"m{i}", value=v) for i, v in enumerate([5, 0, 12, 3])]


def columns(lang: str):
    with translation.override(lang):
        return column_chart(DATA, chart_id="c", title="t", label_header="l", value_header="v")


def bars(lang: str):
    with translation.override(lang):
        return bar_chart(DATA, chart_id="b", title="t", label_header="l", value_header="v")


def test_columns_run_left_to_right_in_english_and_right_to_left_in_arabic():
    english = [b.x for b in columns("en").bars]
    arabic = [b.x for b in columns("ar").bars]
    assert english == sorted(english)
    assert arabic == sorted(arabic, reverse=True)
    # Mirror images of each other.
    chart = columns("ar")
    mirrored = [chart.width - x - b.width for x, b in zip(arabic, chart.bars, strict=True)]
    assert mirrored == pytest.approx(english, abs=0.2)


def test_the_value_axis_sits_on_the_reading_side():
    assert columns("en").axis[0] < 100
    assert columns("ar").axis[0] > columns("ar").width - 100


def test_column_heights_are_proportional_to_the_values():
    chart = columns("en")
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.datum.value == 12
    assert chart.bars[1].height == 0
    assert chart.bars[0].height / tallest.height == pytest.approx(5 / 12, abs=0.01)
    # The value axis goes up to a round 15, so the tallest bar stops short of the top.
    assert chart.grid[-1].label.text == "15"
    assert tallest.y > chart.grid[-1].y1


def test_bars_grow_from_the_labels_side():
    english, arabic = bars("en"), bars("ar")
    for b in english.bars:
        assert b.x == english.axis[0]
    for b in arabic.bars:
        assert b.x + b.width == pytest.approx(arabic.axis[0], abs=0.1)
    assert english.axis[0] < english.width / 2 < arabic.axis[0]


def test_labels_touch_the_axis_on_their_reading_side():
    # In Arabic the label's left edge is at the axis: `end` anchors the left edge of right-to-left text.
    label = bars("ar").bars[0].label_texts[0]
    assert label.x > bars("ar").axis[0] and label.anchor == "end"
    label = bars("en").bars[0].label_texts[0]
    assert label.x < bars("en").axis[0] and label.anchor == "end"


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (4, [0, 1, 2, 3, 4]),
        (12, [0, 5, 10, 15]),
        (950, [0, 200, 400, 600, 800, 1000]),
    ],
)
def test_nice_ticks(maximum, ticks):
    assert nice_ticks(maximum) == ticks


def test_the_svg_is_inline_accessible_and_in_the_page_direction():
    with translation.override("ar"):
        svg = render_to_string("reports/_chart.html", {"chart": columns("ar")})
    assert 'direction="rtl"' in svg
    assert 'role="img"' in svg and "<title" in svg
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    # The data is there as a table for screen readers.
    assert svg.count("<tr>") == len(DATA) + 1
