"""Bar charts drawn on the server as inline SVG: no JavaScript, no CDN, nothing for a Content
Security Policy to block, and the same picture in a PDF as on the page.

Right to left is a layout, not a translation: in Arabic the value axis sits on the right, time runs
from right to left (the first month is the rightmost bar), and horizontal bars grow leftwards from
labels on the right. Text anchors are chosen by the side of the text that must touch a given x, so
the labels stay aligned whichever `direction` the text is shaped in. Every chart carries its data as
a table for screen readers, and each bar has a tooltip (`<title>`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import get_language_bidi

BAR_COLOUR = "#0b6b4f"
GRID_COLOUR = "#e3e6e4"
AXIS_COLOUR = "#9aa39f"
TEXT_COLOUR = "#333"


@dataclass(frozen=True)
class Datum:
    label: str
    value: int
    # A second line under a column's label (e.g. the year under the month).
    sublabel: str = ""
    # Spoken and shown on hover, e.g. the exact period a month's column covers.
    detail: str = ""
    href: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str


@dataclass(frozen=True)
class Bar:
    datum: Datum
    x: float
    y: float
    width: float
    height: float
    value_text: Text
    label_texts: tuple[Text, ...]


@dataclass(frozen=True)
class GridLine:
    x1: float
    y1: float
    x2: float
    y2: float
    label: Text


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    width: int
    height: int
    rtl: bool
    bars: tuple[Bar, ...]
    grid: tuple[GridLine, ...]
    axis: tuple[float, float, float, float]
    value_header: str
    label_header: str
    data: tuple[Datum, ...] = field(default=())
    font_size: int = 12

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    @property
    def total(self) -> int:
        return sum(d.value for d in self.data)


def _anchors(rtl: bool) -> tuple[str, str]:
    """(anchor putting the text's right edge at x, anchor putting its left edge at x): `start` and
    `end` follow the text's direction, which is the page's."""
    return ("start", "end") if rtl else ("end", "start")


def nice_ticks(maximum: int, *, most: int = 5) -> list[int]:
    """0 and round steps (1, 2 or 5 × 10ⁿ) up to at least `maximum`, at most `most` + 1 ticks."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / most
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw and m * magnitude >= 1)
    top = step * math.ceil(maximum / step)
    return list(range(0, top + 1, step))


def _number(value: int) -> str:
    return f"{value:,}"


def column_chart(
    data: Sequence[Datum],
    *,
    chart_id: str,
    title: str,
    label_header: str,
    value_header: str,
    width: int = 720,
    height: int = 280,
) -> Chart:
    """Vertical bars in reading order: left to right in English, right to left in Arabic."""
    rtl = bool(get_language_bidi())
    right_edge_at, left_edge_at = _anchors(rtl)
    top, bottom, axis_room, far_room = 24, 46, 52, 12
    plot_left = far_room if rtl else axis_room
    plot_right = width - (axis_room if rtl else far_room)
    plot_bottom = height - bottom
    plot_height = plot_bottom - top
    ticks = nice_ticks(max((d.value for d in data), default=0))
    scale = plot_height / ticks[-1]
    grid = tuple(
        GridLine(
            plot_left,
            plot_bottom - t * scale,
            plot_right,
            plot_bottom - t * scale,
            Text(
                plot_right + 6 if rtl else plot_left - 6,
                plot_bottom - t * scale + 4,
                _number(t),
                left_edge_at if rtl else right_edge_at,
            ),
        )
        for t in ticks
    )
    slot = (plot_right - plot_left) / max(len(data), 1)
    bar_width = slot * 0.62
    bars = []
    for index, datum in enumerate(data):
        slot_start = plot_right - (index + 1) * slot if rtl else plot_left + index * slot
        centre = slot_start + slot / 2
        bar_height = datum.value * scale
        labels = [Text(centre, plot_bottom + 16, datum.label, "middle")]
        if datum.sublabel:
            labels.append(Text(centre, plot_bottom + 31, datum.sublabel, "middle"))
        bars.append(
            Bar(
                datum=datum,
                x=round(centre - bar_width / 2, 1),
                y=round(plot_bottom - bar_height, 1),
                width=round(bar_width, 1),
                height=round(bar_height, 1),
                value_text=Text(
                    centre, plot_bottom - bar_height - 5, _number(datum.value), "middle"
                ),
                label_texts=tuple(labels),
            )
        )
    axis_x = plot_right if rtl else plot_left
    return Chart(
        chart_id=chart_id,
        title=title,
        width=width,
        height=height,
        rtl=rtl,
        bars=tuple(bars),
        grid=grid,
        axis=(axis_x, top, axis_x, plot_bottom),
        value_header=value_header,
        label_header=label_header,
        data=tuple(data),
    )


def bar_chart(
    data: Sequence[Datum],
    *,
    chart_id: str,
    title: str,
    label_header: str,
    value_header: str,
    width: int = 460,
    row_height: int = 28,
    label_room: int = 130,
) -> Chart:
    """Horizontal bars growing from labels on the reading side: from the left edge in English,
    from the right edge (leftwards) in Arabic."""
    rtl = bool(get_language_bidi())
    right_edge_at, left_edge_at = _anchors(rtl)
    top, value_room = 8, 48
    height = top * 2 + row_height * max(len(data), 1)
    axis_x = width - label_room if rtl else label_room
    longest = width - label_room - value_room
    maximum = max((d.value for d in data), default=0) or 1
    bars = []
    for index, datum in enumerate(data):
        y = top + index * row_height
        length = datum.value / maximum * longest
        bar_x = axis_x - length if rtl else axis_x
        middle = y + row_height / 2 + 4
        bars.append(
            Bar(
                datum=datum,
                x=round(bar_x, 1),
                y=y + 5,
                width=round(length, 1),
                height=row_height - 10,
                value_text=Text(
                    axis_x - length - 6 if rtl else axis_x + length + 6,
                    middle,
                    _number(datum.value),
                    right_edge_at if rtl else left_edge_at,
                ),
                label_texts=(
                    Text(
                        axis_x + 8 if rtl else axis_x - 8,
                        middle,
                        datum.label,
                        left_edge_at if rtl else right_edge_at,
                    ),
                ),
            )
        )
    return Chart(
        chart_id=chart_id,
        title=title,
        width=width,
        height=height,
        rtl=rtl,
        bars=tuple(bars),
        grid=(),
        axis=(axis_x, top, axis_x, height - top),
        value_header=value_header,
        label_header=label_header,
        data=tuple(data),
        font_size=13,
    )
