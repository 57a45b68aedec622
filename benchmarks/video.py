"""Video benchmark: 8 real slides (9:16, 1080×1920, rendered by the slide renderer over
photo-like backgrounds with wrapped texts) encoded as the service does it (the stored JPEGs
decoded, ``render.video.encode_video``), 3 s a slide at 30 fps = 24 s of video, on 2 encoder
threads.

    slideforge bench video [--threads 2] [--out docs/video-frame.png]

Prints, per setting (the target row: crossfade, no motion; then no transition, the slide
transition and Ken Burns with crossfade), the seconds to encode, × real time (24 s of video
over those seconds; target ≥ 3×, i.e. ≤ 8 s), the process's CPU seconds (what the encode
costs whatever else the machine runs), the MP4's size, and the process's peak RSS
after it (``resource.getrusage``: a high-water mark, so each row includes the ones above).
Writes one frame of the crossfade video (1.5 s in: the title slide, 540 px wide) as a PNG for
the README.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table

from slideforge.render import SlideSpec, TextElementSpec, render_slide
from slideforge.render.video import VideoSpec, decode_slide, encode_video

SLIDES = 8
SECONDS = 3
FPS = 30
TARGET_X = 3.0
TEXTS = [
    ("5 habits that changed my mornings", "swipe for the list"),
    ("1. Water before coffee", "half a litre, before anything else"),
    ("2. No phone for 30 minutes", "the feed can wait"),
    ("3. Ten minutes outside", "daylight sets your clock"),
    ("4. Plan one thing", "only one, and do it first"),
    ("5. Move a little", "stairs count"),
    ("Which one will you try?", "tell me in the comments"),
    ("Save this for tomorrow", "and follow for part 2"),
]


def photo(seed: int, width: int = 1500, height: int = 2000) -> bytes:
    """A photo-like JPEG: a colour field with soft blotches and grain."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height // 4, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width // 4, dtype=np.float32)[None, :]
    phase = seed * 0.7
    base = np.stack(
        [
            120 + 100 * np.sin(6 * x + 3 * y + phase),
            100 + 80 * np.cos(5 * y + 2 * x + phase),
            140 + 90 * np.sin(28 * x * y + phase),
        ],
        -1,
    )
    small = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    arr = np.asarray(small.resize((width, height), Image.Resampling.BICUBIC), np.int16)
    grain = rng.integers(-8, 9, (height, width, 3), dtype=np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(arr + grain, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def rendered_slides() -> list[bytes]:
    """The 8 slides as the service stores them (the renderer's JPEGs)."""
    out = []
    for i, (title, subtitle) in enumerate(TEXTS[:SLIDES]):
        spec = SlideSpec(
            aspect_ratio="9:16",
            background=photo(i + 1),
            text_elements=[
                TextElementSpec(title, y=30, font_size=72, id="t"),
                TextElementSpec(subtitle, y=62, font_size=48, style_preset="inverted", id="s"),
            ],
        )
        out.append(render_slide(spec).jpeg)
    return out


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="slideshow video benchmark")
    parser.add_argument("--threads", type=int, default=2, help="encoder threads (2)")
    parser.add_argument("--out", type=Path, default=Path("docs/video-frame.png"))
    args = parser.parse_args(argv)
    console = Console()
    with console.status("rendering 8 slides"):
        start = time.perf_counter()
        jpegs = rendered_slides()
        render_s = time.perf_counter() - start
    console.print(f"8 slides rendered in {render_s:.2f} s; peak RSS {peak_rss_mb():.0f} MB")
    settings = [
        ("crossfade", "none"),
        ("none", "none"),
        ("slide", "none"),
        ("crossfade", "ken_burns"),
    ]
    table = Table(title=f"{SLIDES} slides × {SECONDS} s at {FPS} fps, {args.threads} threads")
    columns = ("transition", "motion", "encode s", "CPU s", "× real time", "MP4 MB", "peak RSS MB")
    for column in columns:
        table.add_column(column, justify="left" if column in ("transition", "motion") else "right")
    video_seconds = SLIDES * SECONDS
    target_met = False
    with tempfile.TemporaryDirectory() as tmp:
        for transition, motion in settings:
            spec = VideoSpec(SECONDS, transition, motion, FPS)  # type: ignore[arg-type]
            path = Path(tmp) / f"{transition}-{motion}.mp4"
            start, cpu = time.perf_counter(), cpu_seconds()
            slides = [decode_slide(j) for j in jpegs]
            result = encode_video(slides, spec, path, threads=args.threads)
            seconds = time.perf_counter() - start
            cpu = cpu_seconds() - cpu
            assert result.frames == SLIDES * SECONDS * FPS
            speed = video_seconds / seconds
            if (transition, motion) == ("crossfade", "none"):
                target_met = speed >= TARGET_X
                frame_at = SECONDS * FPS // 2  # the title slide, 1.5 s in
                with av.open(str(path)) as container:
                    for n, frame in enumerate(container.decode(video=0)):
                        if n == frame_at:
                            image = frame.to_image()
                            break
                args.out.parent.mkdir(parents=True, exist_ok=True)
                image.resize((540, 960), Image.Resampling.LANCZOS).save(args.out, optimize=True)
            table.add_row(
                transition,
                motion,
                f"{seconds:.2f}",
                f"{cpu:.2f}",
                f"{speed:.1f}×",
                f"{path.stat().st_size / 1e6:.1f}",
                f"{peak_rss_mb():.0f}",
            )
    console.print(table)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    console.print(f"load average (1, 5, 15 min) after the run: {load} on {os.cpu_count()} cores")
    console.print(
        f"target (crossfade, no motion): ≥ {TARGET_X:g}× real time (≤ "
        f"{video_seconds / TARGET_X:.0f} s): {'met' if target_met else 'NOT met'}"
    )
    console.print(f"frame written to {args.out}")
    return 0
