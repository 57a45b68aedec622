"""A picture of what worked: a metric over post age, one line per group (hook, template,
pack, account, variant…), from the scheduled snapshots (``1h 24h 48h 7d 30d``). Each dot is
one post's snapshot; each line joins a group's mean at each milestone. Pillow only; written by
``slideforge analytics chart``."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from slideforge.render.text import font_for_preview

COLOURS = [
    (37, 99, 235),
    (234, 88, 12),
    (22, 163, 74),
    (147, 51, 234),
    (219, 39, 119),
    (8, 145, 178),
    (202, 138, 4),
    (71, 85, 105),
]


@dataclass(frozen=True)
class Point:
    group: str
    hours: float  # the milestone's age
    value: float


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _label(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}".removesuffix(".0") + "M"
    if value >= 1_000:
        return f"{value / 1_000:.1f}".removesuffix(".0") + "k"
    return f"{round(value, 1):g}"


def draw_growth(points: Sequence[Point], path: Path, title: str, metric: str) -> Path:
    """Draw ``points`` to ``path`` (PNG); the x axis is log-scaled post age in hours."""
    width, height = 1100, 640
    left, right, top, bottom = 110, 300, 70, 80
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = font_for_preview("Inter", 20), font_for_preview("Inter", 14)
    draw.text((left, 24), title, font=font, fill="black")
    if not points:
        draw.text((left, top + 40), "no snapshots yet", font=font, fill=(120, 120, 120))
        image.save(path)
        return path
    ages = sorted({p.hours for p in points})
    low, high = math.log10(min(ages)), math.log10(max(ages))
    span = (high - low) or 1.0
    top_value = _nice_max(max(p.value for p in points) * 1.05)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(hours: float) -> float:
        return (
            left + (math.log10(hours) - low) / span * plot_w if len(ages) > 1 else left + plot_w / 2
        )

    def y_of(value: float) -> float:
        return top + plot_h - value / top_value * plot_h

    for i in range(5):
        value = top_value * i / 4
        y = y_of(value)
        draw.line((left, y, left + plot_w, y), fill=(235, 235, 235))
        draw.text((left - 10, y), _label(value), font=small, fill="black", anchor="rm")
    for hours in ages:
        x = x_of(hours)
        draw.line((x, top, x, top + plot_h), fill=(245, 245, 245))
        name = f"{hours / 24:g}d" if hours >= 24 * 7 else f"{hours:g}h"
        draw.text((x, top + plot_h + 10), name, font=small, fill="black", anchor="mt")
    draw.text((left + plot_w / 2, height - 30), "post age", font=small, fill="black", anchor="mm")
    draw.text((20, top - 30), metric, font=small, fill="black")
    by_group: dict[str, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for point in points:
        by_group[point.group][point.hours].append(point.value)
    ranked = sorted(
        by_group.items(),
        key=lambda item: -sum(item[1][max(item[1])]) / len(item[1][max(item[1])]),
    )
    for index, (group, series) in enumerate(ranked):
        colour = COLOURS[index % len(COLOURS)]
        means = [(h, sum(v) / len(v)) for h, v in sorted(series.items())]
        for hours, values in series.items():
            for value in values:
                x, y = x_of(hours), y_of(value)
                draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill="white", outline=colour)
        draw.line([(x_of(h), y_of(m)) for h, m in means], fill=colour, width=3)
        for hours, mean in means:
            x, y = x_of(hours), y_of(mean)
            draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=colour)
        legend_y = top + index * 48
        text = group if len(group) <= 30 else group[:29] + "…"
        draw.rectangle(
            (left + plot_w + 20, legend_y + 4, left + plot_w + 34, legend_y + 18), fill=colour
        )
        draw.text((left + plot_w + 42, legend_y), text, font=small, fill="black")
        last_hours, last_mean = means[-1]
        n = len(series[last_hours])
        draw.text(
            (left + plot_w + 42, legend_y + 20),
            f"mean {_label(round(last_mean))} at {last_hours:g}h (n={n})",
            font=small,
            fill=(90, 90, 90),
        )
    image.save(path)
    return path
