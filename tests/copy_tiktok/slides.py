"""TikTok-style slides with known text, drawn with slideforge's renderer over a generated
photo-like background (no sample-photo package needed)."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
from PIL import Image

from slideforge.render import SlideSpec, TextElementSpec, render_slide


@cache
def background(width: int = 1080, height: int = 1920, seed: int = 3) -> bytes:
    """A photo-like JPEG: a smooth colour field, soft blotches and grain."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height // 8, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width // 8, dtype=np.float32)[None, :]
    field = np.stack(
        [
            110 + 70 * np.sin(5 * x + 2 * y),
            120 + 60 * np.cos(4 * y + x),
            130 + 60 * np.sin(9 * x * y),
        ],
        -1,
    )
    blotches = rng.normal(0, 25, (height // 64 + 1, width // 64 + 1, 3)).astype(np.float32)
    blot = np.asarray(
        Image.fromarray(np.clip(blotches + 128, 0, 255).astype(np.uint8)).resize(
            (width // 8, height // 8), Image.Resampling.BICUBIC
        ),
        np.float32,
    )
    small = Image.fromarray(np.clip(field + blot - 128, 0, 255).astype(np.uint8))
    arr = np.asarray(small.resize((width, height), Image.Resampling.BICUBIC), np.int16)
    arr = np.clip(arr + rng.integers(-8, 9, arr.shape, dtype=np.int16), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(arr).save(out, "JPEG", quality=90)
    return out.getvalue()


def slide(elements: list[TextElementSpec], aspect_ratio: str = "9:16") -> bytes:
    """A rendered slide (JPEG) with ``elements`` over the generated background."""
    size = {"9:16": (1080, 1920), "4:5": (1080, 1350), "1:1": (1080, 1080)}[aspect_ratio]
    rendered = render_slide(
        SlideSpec(
            aspect_ratio=aspect_ratio,
            background=background(*size),
            text_elements=elements,
        )
    )
    return rendered.jpeg


def plain(width: int = 1080, height: int = 1920) -> bytes:
    """A slide without text."""
    return background(width, height, seed=5)


HOOK = TextElementSpec(
    "3 habits that changed my mornings forever",
    x=50,
    y=22,
    width=80,
    font_size=64,
    style_preset="tiktok",
)
BOXED = TextElementSpec(
    "Drink water first",
    x=50,
    y=55,
    width=70,
    font_size=52,
    style_preset="inverted",
)
BAR = TextElementSpec(
    "No phone for the first hour",
    x=50,
    y=80,
    width=90,
    font_size=48,
    style_preset="snapchat",
)
