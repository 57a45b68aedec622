"""Render benchmark: one 1080×1920 slide with three wrapped text elements over a 3000×4000
JPEG (q90, ~3 MB), against the floor (decode + cover resize + JPEG encode, no text).

    .venv/bin/python benchmarks/render.py [-n 40] [--out out/bench/]

Pins itself to one core where the OS allows it, prints the medians and their ratio, and writes
to ``--out``: the sample slide (``sample.jpg``), a chart of the timing distribution drawn with
Pillow (``timings.png``) and the figures (``results.json``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from slideforge.render import SlideSpec, TextElementSpec, encode_jpeg, render_slide
from slideforge.render.images import load_cover
from slideforge.render.text import font_for_preview

TARGET_MS = 50.0
TARGET_RATIO = 2.0


def synthetic_photo(width: int = 3000, height: int = 4000, seed: int = 1) -> bytes:
    """A photo-like JPEG q90 of about 3 MB: colour field, soft blotches, grain. The smooth
    parts are computed at a quarter size and scaled up (fast); the grain is full size."""
    rng = np.random.default_rng(seed)
    qw, qh = width // 4, height // 4
    y = np.linspace(0, 1, qh, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, qw, dtype=np.float32)[None, :]
    base = np.stack(
        [
            120 + 100 * np.sin(6 * x + 3 * y),
            100 + 80 * np.cos(5 * y + 2 * x),
            140 + 90 * np.sin(28 * x * y),
        ],
        -1,
    )
    cells = rng.normal(0, 40, (height // 40 + 1, width // 40 + 1, 3)).astype(np.float32)
    blot_img = Image.fromarray(np.clip(cells + 128, 0, 255).astype(np.uint8))
    blot = np.asarray(blot_img.resize((qw, qh), Image.Resampling.BICUBIC), np.float32) - 128
    smooth = Image.fromarray(np.clip(base + blot, 0, 255).astype(np.uint8))
    arr = np.asarray(smooth.resize((width, height), Image.Resampling.BICUBIC), np.int16)
    grain = rng.integers(-10, 11, (height, width, 3), dtype=np.int16)
    arr = np.clip(arr + grain, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def sample_spec(background: bytes) -> SlideSpec:
    return SlideSpec(
        aspect_ratio="9:16",
        background=background,
        text_elements=[
            TextElementSpec(
                "When you realise the weekend is only two days long", y=22, font_size=64, id="a"
            ),
            TextElementSpec(
                "but the week has five whole days of meetings",
                y=50,
                font_size=56,
                style_preset="inverted",
                id="b",
            ),
            TextElementSpec(
                "save this for later and send it to a friend who needs it",
                y=70,
                font_size=52,
                style_preset="shadow",
                id="c",
            ),
        ],
    )


def pin_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {allowed[0]})
    return f"pinned to core {allowed[0]}"


def time_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def draw_chart(series: dict[str, list[float]], path: Path, title: str) -> None:
    """Strip chart + box of each series (ms), with the medians labelled; Pillow only."""
    width, height = 1000, 140 + 130 * len(series)
    left, right, top = 190, 40, 70
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = font_for_preview("Inter", 18)
    small = font_for_preview("Inter", 14)
    draw.text((left, 20), title, font=font, fill="black")
    hi = max(max(v) for v in series.values()) * 1.08
    scale = (width - left - right) / hi

    def x_of(ms: float) -> float:
        return left + ms * scale

    axis_y = height - 50
    draw.line((left, axis_y, width - right, axis_y), fill="black")
    step = 10 if hi < 150 else 25 if hi < 400 else 100
    for tick in range(0, int(hi) + 1, step):
        tx = x_of(tick)
        draw.line((tx, axis_y, tx, axis_y + 6), fill="black")
        draw.line((tx, top, tx, axis_y), fill=(235, 235, 235))
        draw.text((tx, axis_y + 8), str(tick), font=small, fill="black", anchor="mt")
    draw.text((width - right, axis_y + 28), "ms per slide", font=small, fill="black", anchor="rt")
    colours = [(37, 99, 235), (234, 88, 12), (22, 163, 74)]
    rng = np.random.default_rng(0)
    for i, (name, values) in enumerate(series.items()):
        cy = top + 60 + i * 130
        colour = colours[i % len(colours)]
        q1, med, q3 = np.percentile(values, [25, 50, 75])
        draw.text((left - 12, cy), name, font=font, fill="black", anchor="rm")
        draw.rectangle((x_of(q1), cy - 22, x_of(q3), cy + 22), outline=colour, width=2)
        draw.line((x_of(med), cy - 30, x_of(med), cy + 30), fill=colour, width=4)
        for v in values:
            jitter = float(rng.uniform(-16, 16))
            draw.ellipse((x_of(v) - 3, cy + jitter - 3, x_of(v) + 3, cy + jitter + 3), fill=colour)
        draw.text(
            (x_of(med), cy - 34), f"median {med:.1f} ms", font=small, fill=colour, anchor="mb"
        )
    img.save(path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="slide render benchmark")
    parser.add_argument("-n", "--runs", type=int, default=40, help="timed runs of each (40)")
    parser.add_argument("--out", type=Path, default=Path("out/bench"), help="output folder")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    args = parser.parse_args(argv)
    console = Console()
    pinned = "not pinned (--no-pin)" if args.no_pin else pin_one_core()
    args.out.mkdir(parents=True, exist_ok=True)

    with console.status("building a 3000x4000 photo-like JPEG"):
        background = synthetic_photo()
    spec = sample_spec(background)
    size = (1080, 1920)

    def floor() -> None:
        encode_jpeg(load_cover(background, "background", size, 64_000_000))

    def slide() -> None:
        render_slide(spec)

    for _ in range(3):  # warm: fonts, caches, allocator
        floor()
        slide()
    floor_ms: list[float] = []
    slide_ms: list[float] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("rendering", total=args.runs)
        for _ in range(args.runs):  # interleaved, so drift hits both the same way
            floor_ms.append(time_ms(floor))
            slide_ms.append(time_ms(slide))
            progress.advance(task)

    result = render_slide(spec)
    (args.out / "sample.jpg").write_bytes(result.jpeg)
    med_slide, med_floor = statistics.median(slide_ms), statistics.median(floor_ms)
    ratio = med_slide / med_floor
    figures = {
        "runs": args.runs,
        "cpu": pinned,
        "source_jpeg_bytes": len(background),
        "output_jpeg_bytes": len(result.jpeg),
        "slide_median_ms": round(med_slide, 2),
        "slide_p90_ms": round(float(np.percentile(slide_ms, 90)), 2),
        "floor_median_ms": round(med_floor, 2),
        "text_and_checks_ms": round(med_slide - med_floor, 2),
        "ratio": round(ratio, 3),
        "target_ms": TARGET_MS,
        "target_ratio": TARGET_RATIO,
        "slide_ms": [round(v, 2) for v in slide_ms],
        "floor_ms": [round(v, 2) for v in floor_ms],
    }
    (args.out / "results.json").write_text(json.dumps(figures, indent=2) + "\n")
    draw_chart(
        {"slide (3 texts)": slide_ms, "floor (no text)": floor_ms},
        args.out / "timings.png",
        f"1080x1920 slide from a 3000x4000 JPEG, {args.runs} runs, {pinned}",
    )
    console.print(
        f"source JPEG {len(background) / 1e6:.2f} MB, output {len(result.jpeg) / 1e3:.0f} kB, {pinned}"
    )
    console.print(f"slide  median {med_slide:6.1f} ms  (p90 {figures['slide_p90_ms']:.1f})")
    console.print(f"floor  median {med_floor:6.1f} ms  (decode + resize + encode, no text)")
    console.print(
        f"ratio  {ratio:.2f}x the floor (target <= {TARGET_RATIO:g}x); text+checks {med_slide - med_floor:.1f} ms"
    )
    console.print(
        f"wrote {args.out / 'sample.jpg'}, {args.out / 'timings.png'}, {args.out / 'results.json'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
