"""Render benchmark (issue 15): one 1080×1920 slide with three wrapped text elements.

- cold: from the 3000×4000 JPEG original (q90, ~3 MB), against its floor (decode + cover
  resize + JPEG encode, no text); target ≤ 1.3× the floor;
- warm: from the render-ready derivative (files/derivatives.py: the cover result as raw PPM),
  against its floor; target ≤ 25 ms; a q92 4:4:4 JPEG derivative of the same pixels is
  timed too (why the derivative is raw);
- pool: a 10-slide slideshow (warm, derivatives read from files as on local storage) through
  the render pool's 2 worker processes; target ≤ 150 ms wall.

    slideforge bench render [-n 40] [--out out/bench/] [--pool-runs 10]

The single-core figures pin this process to one core (the pool is started before, so its
workers are not pinned); each is timed in wall and CPU time (``time.process_time``), and the
load average is printed, since other work on the machine shows in the wall times. Writes to
``--out``: the sample slide (``sample.jpg``), the charts (``timings.png``: per-slide
distributions; ``ratios.png``: each figure against its target or floor) and ``results.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from slideforge.config import Settings
from slideforge.files.derivatives import encode_ppm
from slideforge.render import SlideSpec, TextElementSpec, encode_jpeg, render_slide
from slideforge.render.images import load_cover
from slideforge.render.text import font_for_preview
from slideforge.slideshows import pool
from slideforge.slideshows import slides as sl

TARGET_MS = 50.0
TARGET_RATIO = 2.0
#: issue 15's targets
COLD_TARGET_RATIO = 1.3
WARM_TARGET_MS = 25.0
POOL_TARGET_MS = 150.0
POOL_SLIDES = 10


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


def time_ms(fn: Callable[[], object], cpu: list[float] | None = None) -> float:
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    if cpu is not None:
        cpu.append((time.process_time() - start_cpu) * 1000)
    return (time.perf_counter() - start) * 1000


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def pool_jobs(derivative_path: str) -> list[pool.Job]:
    """A 10-slide slideshow as stored slides, each over its background's derivative file."""
    slides = []
    for i in range(POOL_SLIDES):
        text = ["Slide", str(i + 1), "of ten: the weekend is only two days long"]
        element = sl.element(" ".join(text), sl.TextDefaults(), is_title=i == 0)
        element["font_size"] = 56.0
        element["style_preset"] = ("tiktok", "inverted", "shadow")[i % 3]
        slides.append(
            sl.new_slide(image_url=f"https://bench.test/{i}.jpg", text_elements=[element])
        )
    return [
        pool.Job(slide, "9:16", {str(slide["image_url"]): derivative_path}, 64_000_000)
        for slide in slides
    ]


def draw_ratios(figures: list[tuple[str, float, float, str]], path: Path, title: str) -> None:
    """Bars of value / reference (1.0 = the target or floor), labelled; Pillow only."""
    width, height = 1000, 120 + 70 * len(figures)
    left, right, top = 330, 230, 70
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font, small = font_for_preview("Inter", 18), font_for_preview("Inter", 14)
    draw.text((20, 20), title, font=font, fill="black")
    hi = max(2.0, max(v / ref for _, v, ref, _ in figures) * 1.1)
    scale = (width - left - right) / hi
    for i, (name, value, ref, unit) in enumerate(figures):
        y = top + 20 + i * 70
        ratio = value / ref
        colour = (22, 163, 74) if ratio <= 1.0 else (220, 38, 38)
        draw.text((left - 12, y + 14), name, font=small, fill="black", anchor="rm")
        draw.rectangle((left, y, left + ratio * scale, y + 28), fill=colour)
        draw.text(
            (left + ratio * scale + 6, y + 14),
            f"{ratio:.2f}x  ({value:.1f} / {ref:.1f} {unit})",
            font=small,
            fill="black",
            anchor="lm",
        )
    draw.line((left + scale, top, left + scale, height - 30), fill="black", width=2)
    draw.text((left + scale, height - 24), "1.0 = target", font=small, fill="black", anchor="mt")
    img.save(path)


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
    parser.add_argument("--pool-runs", type=int, default=10, help="10-slide pool renders (10)")
    parser.add_argument("--out", type=Path, default=Path("out/bench"), help="output folder")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    args = parser.parse_args(argv)
    console = Console()
    args.out.mkdir(parents=True, exist_ok=True)
    load_before = load_average()

    with console.status("building a 3000x4000 photo-like JPEG and its derivatives"):
        background = synthetic_photo()
        size = (1080, 1920)
        cover = load_cover(background, "background", size, 64_000_000)
        derivative = encode_ppm(cover)
        buf = io.BytesIO()
        cover.save(buf, "JPEG", quality=92, subsampling=0)
        jpeg_derivative = buf.getvalue()
    spec = sample_spec(background)
    warm_spec = sample_spec(derivative)

    # the pool first: its workers must not inherit this process's pinning
    settings = Settings(render_processes=2)
    pool_ms: list[float] = []
    pool_cpu: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "background.jpg.c1080x1920.ppm"
        path.write_bytes(derivative)
        jobs = pool_jobs(str(path))
        with console.status("starting the render pool (2 processes)"):
            for _ in range(2):
                results = pool.render(settings, jobs)
        assert all(not isinstance(r, Exception) for r in results), results
        for _ in range(args.pool_runs):
            pool_ms.append(time_ms(lambda: pool.render(settings, jobs), pool_cpu))
    pool.shutdown()

    pinned = "not pinned (--no-pin)" if args.no_pin else pin_one_core()

    def floor() -> None:
        encode_jpeg(load_cover(background, "background", size, 64_000_000))

    def slide() -> None:
        render_slide(spec)

    def warm_floor() -> None:
        encode_jpeg(load_cover(derivative, "background", size, 64_000_000))

    def warm() -> None:
        render_slide(warm_spec)

    def warm_jpeg() -> None:
        render_slide(sample_spec(jpeg_derivative))

    cases: dict[str, Callable[[], None]] = {
        "cold": slide,
        "cold floor": floor,
        "warm": warm,
        "warm floor": warm_floor,
        "warm (JPEG derivative)": warm_jpeg,
    }
    for _ in range(3):  # warm: fonts, caches, allocator
        for fn in cases.values():
            fn()
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("rendering", total=args.runs)
        for _ in range(args.runs):  # interleaved, so drift hits all the same way
            for name, fn in cases.items():
                wall[name].append(time_ms(fn, cpu[name]))
            progress.advance(task)

    result = render_slide(spec)
    assert render_slide(warm_spec).jpeg == result.jpeg  # the derivative changes no pixel
    (args.out / "sample.jpg").write_bytes(result.jpeg)
    med = {name: statistics.median(v) for name, v in wall.items()}
    med_cpu = {name: statistics.median(v) for name, v in cpu.items()}
    med_slide, med_floor = med["cold"], med["cold floor"]
    ratio = med_slide / med_floor
    pool_med = statistics.median(pool_ms)
    load_after = load_average()
    figures = {
        "runs": args.runs,
        "cpu": pinned,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "source_jpeg_bytes": len(background),
        "derivative_bytes": len(derivative),
        "jpeg_derivative_bytes": len(jpeg_derivative),
        "output_jpeg_bytes": len(result.jpeg),
        "slide_median_ms": round(med_slide, 2),
        "slide_p90_ms": round(float(np.percentile(wall["cold"], 90)), 2),
        "floor_median_ms": round(med_floor, 2),
        "text_and_checks_ms": round(med_slide - med_floor, 2),
        "ratio": round(ratio, 3),
        "target_ms": TARGET_MS,
        "target_ratio": TARGET_RATIO,
        "cold_target_ratio": COLD_TARGET_RATIO,
        "median_ms": {k: round(v, 2) for k, v in med.items()},
        "median_cpu_ms": {k: round(v, 2) for k, v in med_cpu.items()},
        "warm_ratio_to_floor": round(med["warm"] / med["warm floor"], 3),
        "warm_ratio_to_target": round(med["warm"] / WARM_TARGET_MS, 3),
        "warm_cpu_ratio_to_target": round(med_cpu["warm"] / WARM_TARGET_MS, 3),
        "cold_cpu_ratio": round(med_cpu["cold"] / med_cpu["cold floor"], 3),
        "pool_slides": POOL_SLIDES,
        "pool_median_ms": round(pool_med, 2),
        "pool_parent_cpu_median_ms": round(statistics.median(pool_cpu), 2),
        "pool_ratio_to_target": round(pool_med / POOL_TARGET_MS, 3),
        "pool_ratio_to_one_core": round(pool_med / (POOL_SLIDES * med["warm"]), 3),
        "pool_ms": [round(v, 2) for v in pool_ms],
        "slide_ms": [round(v, 2) for v in wall["cold"]],
        "floor_ms": [round(v, 2) for v in wall["cold floor"]],
        "warm_ms": [round(v, 2) for v in wall["warm"]],
        "warm_floor_ms": [round(v, 2) for v in wall["warm floor"]],
    }
    (args.out / "results.json").write_text(json.dumps(figures, indent=2) + "\n")
    draw_chart(
        {k: v for k, v in wall.items() if k != "warm (JPEG derivative)"},
        args.out / "timings.png",
        f"1080x1920 slide: 3000x4000 JPEG (cold) and its derivative (warm), {args.runs} runs, "
        f"{pinned}",
    )
    draw_ratios(
        [
            ("cold / its floor", med_slide, med_floor * COLD_TARGET_RATIO, "ms"),
            ("warm / 25 ms", med["warm"], WARM_TARGET_MS, "ms"),
            ("warm CPU / 25 ms", med_cpu["warm"], WARM_TARGET_MS, "ms"),
            ("10 slides, 2 processes / 150 ms", pool_med, POOL_TARGET_MS, "ms"),
        ],
        args.out / "ratios.png",
        f"issue 15 targets (1.0 = target; cold: 1.3x its floor); load {load_before} -> {load_after}",
    )
    console.print(
        f"source JPEG {len(background) / 1e6:.2f} MB, derivative {len(derivative) / 1e6:.2f} MB "
        f"(PPM), output {len(result.jpeg) / 1e3:.0f} kB, {pinned}, load average {load_before}"
    )
    for name in cases:
        console.print(f"{name:<24} median {med[name]:6.1f} ms wall, {med_cpu[name]:6.1f} ms CPU")
    console.print(
        f"cold   {ratio:.2f}x its floor (CPU {figures['cold_cpu_ratio']:.2f}x; target <= "
        f"{COLD_TARGET_RATIO:g}x); text+checks {med_slide - med_floor:.1f} ms"
    )
    console.print(
        f"warm   {med['warm'] / WARM_TARGET_MS:.2f}x the {WARM_TARGET_MS:g} ms target "
        f"(CPU {med_cpu['warm'] / WARM_TARGET_MS:.2f}x), {figures['warm_ratio_to_floor']:.2f}x "
        f"its floor; {med['cold'] / med['warm']:.2f}x faster than cold"
    )
    console.print(
        f"pool   {POOL_SLIDES} slides on 2 processes: median {pool_med:.1f} ms wall = "
        f"{pool_med / POOL_TARGET_MS:.2f}x the {POOL_TARGET_MS:g} ms target, "
        f"{figures['pool_ratio_to_one_core']:.2f}x {POOL_SLIDES} warm slides on one core "
        f"(this process's CPU {figures['pool_parent_cpu_median_ms']:.1f} ms)"
    )
    console.print(f"load average after: {load_after}")
    console.print(
        f"wrote {args.out / 'sample.jpg'}, {args.out / 'timings.png'}, "
        f"{args.out / 'ratios.png'}, {args.out / 'results.json'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
