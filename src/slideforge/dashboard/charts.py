"""Charts as inline SVG, drawn on the server: this module lays them out (every coordinate),
``templates/charts.html`` writes the SVG (Jinja escapes every label: hooks and captions are
user text). No chart library and no JavaScript."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def nice_max(value: float) -> float:
    """The axis end: the first of 1, 2, 2.5, 5, 10 × 10^k at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude + 1e-9:
            return step * magnitude
    return 10 * magnitude


def divisions(end: float) -> int:
    """Grid lines that fall on round values: 2 -> 0.5 steps (4), else fifths (1 -> 0.2,
    2.5 -> 0.5, 5 -> 1)."""
    leading = end / 10 ** math.floor(math.log10(end)) if end > 0 else 1
    return 4 if abs(leading - 2) < 1e-9 else 5


def compact(value: float | None, suffix: str = "") -> str:
    """1234 -> 1.2k, 2500000 -> 2.5M, 3.25 -> 3.25."""
    if value is None:
        return "–"
    if abs(value) >= 1_000_000:
        text = f"{value / 1_000_000:.1f}".removesuffix(".0") + "M"
    elif abs(value) >= 1_000:
        text = f"{value / 1_000:.1f}".removesuffix(".0") + "k"
    else:
        text = f"{round(value, 2):g}"
    return text + suffix


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class Bar:
    label: str  # shown at the left, shortened
    full: str  # the bar's tooltip (<title>)
    value_text: str
    y: float
    width: float
    # A 95 % interval as x positions, when there is one.
    low_x: float | None = None
    high_x: float | None = None


@dataclass(frozen=True)
class Plot:
    """What every chart has: its title and description (for screen readers), its size, and
    the plot area inside it."""

    title: str
    description: str
    width: int
    height: int
    plot_x: float
    plot_width: float
    plot_top: float
    plot_bottom: float


@dataclass(frozen=True)
class BarChart(Plot):
    """Horizontal bars, one row per item: the label, the bar, its value."""

    bar_height: float
    bars: list[Bar]
    ticks: list[Tick]


ROW = 24
LABEL_WIDTH = 190
VALUE_WIDTH = 60


def bar_chart(
    title: str,
    items: Sequence[tuple[str, float | None]],
    *,
    description: str = "",
    suffix: str = "",
    intervals: Sequence[tuple[float, float] | None] | None = None,
    width: int = 600,
    label_chars: int = 28,
) -> BarChart:
    """``items``: (label, value) rows, drawn in the given order (a missing value: no bar, a
    dash). ``intervals``: a (low, high) per row, drawn as whiskers."""
    top, axis = 8, 22
    plot_x = LABEL_WIDTH
    plot_width = width - LABEL_WIDTH - VALUE_WIDTH
    values = [v for _, v in items if v is not None]
    highs = [hi for iv in intervals or () if iv is not None for hi in iv]
    end = nice_max(max([*values, *highs], default=0.0))
    scale = plot_width / end
    bars = []
    for index, (label, value) in enumerate(items):
        interval = intervals[index] if intervals is not None else None
        bars.append(
            Bar(
                label=shorten(label, label_chars),
                full=f"{label}: {compact(value, suffix)}",
                value_text=compact(value, suffix),
                y=top + index * ROW,
                width=max(value or 0.0, 0.0) * scale,
                low_x=plot_x + interval[0] * scale if interval else None,
                high_x=plot_x + interval[1] * scale if interval else None,
            )
        )
    plot_bottom = top + len(items) * ROW
    parts = divisions(end)
    ticks = [
        Tick(plot_x + plot_width * i / parts, compact(end * i / parts, suffix))
        for i in range(parts + 1)
    ]
    return BarChart(
        title=title,
        description=description,
        width=width,
        height=int(plot_bottom + axis),
        plot_x=plot_x,
        plot_width=plot_width,
        plot_top=top,
        plot_bottom=plot_bottom,
        bar_height=ROW - 8,
        bars=bars,
        ticks=ticks,
    )


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    height: float
    full: str  # tooltip


@dataclass(frozen=True)
class ColumnChart(Plot):
    """Vertical columns over days (or any ordered labels), with a few labels on the x axis."""

    column_width: float
    columns: list[Column]
    y_ticks: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]


def column_chart(
    title: str,
    items: Sequence[tuple[str, float | None]],
    *,
    description: str = "",
    width: int = 600,
    height: int = 200,
) -> ColumnChart:
    left, right, top, bottom = 48, 8, 10, 26
    plot_width, plot_height = width - left - right, height - top - bottom
    end = nice_max(max([v for _, v in items if v is not None], default=0.0))
    step = plot_width / max(len(items), 1)
    columns = []
    for index, (label, value) in enumerate(items):
        tall = max(value or 0.0, 0.0) / end * plot_height
        columns.append(
            Column(
                x=left + index * step + step * 0.15,
                y=top + plot_height - tall,
                height=tall,
                full=f"{label}: {compact(value)}",
            )
        )
    every = max(1, math.ceil(len(items) / 6))
    x_labels = [
        (left + index * step + step / 2, label)
        for index, (label, _) in enumerate(items)
        if index % every == 0
    ]
    parts = divisions(end)
    y_ticks = [
        (top + plot_height - plot_height * i / parts, compact(end * i / parts))
        for i in range(parts + 1)
    ]
    return ColumnChart(
        title=title,
        description=description,
        width=width,
        height=height,
        plot_x=left,
        plot_width=plot_width,
        plot_top=top,
        plot_bottom=top + plot_height,
        column_width=step * 0.7,
        columns=columns,
        y_ticks=y_ticks,
        x_labels=x_labels,
    )
