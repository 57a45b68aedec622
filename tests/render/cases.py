"""Deterministic inputs and the golden cases of the renderer (shared by the tests and the
contact sheet). Backgrounds are generated: numpy gradients, low-frequency blotches and seeded
noise, encoded once per process."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from slideforge.render import fonts
from slideforge.render.spec import (
    BackgroundFilters,
    ImageOverlaySpec,
    SlideSpec,
    TextElementSpec,
)

HERE = Path(__file__).resolve().parent
GOLDEN_DIR = HERE / "golden"
OUT_DIR = HERE / "_out"
#: goldens are stored at this fraction of the slide size
GOLDEN_SCALE = 4


def photo_array(width: int, height: int, seed: int, *, noise: float = 4.0) -> np.ndarray:
    """A photo-like RGB array: smooth colour field + soft blotches + grain."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    phase = rng.uniform(0, 6.28, 3).astype(np.float32)
    base = np.stack(
        [
            120 + 90 * np.sin(5 * x + 3 * y + phase[0]),
            110 + 80 * np.cos(4 * y + 2 * x + phase[1]),
            130 + 90 * np.sin(6 * x * y + 2 * y + phase[2]),
        ],
        -1,
    )
    cells = rng.normal(0, 45, (height // 120 + 2, width // 120 + 2, 3)).astype(np.float32)
    blot_img = Image.fromarray(np.clip(cells + 128, 0, 255).astype(np.uint8))
    blot = np.asarray(blot_img.resize((width, height), Image.Resampling.BICUBIC), np.float32) - 128
    grain = rng.normal(0, noise, (height, width, 3)).astype(np.float32) if noise else 0
    return np.clip(base + blot + grain, 0, 255).astype(np.uint8)


def encode(arr: np.ndarray, fmt: str = "JPEG", **params: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt, **params)
    return buf.getvalue()


@cache
def photo_jpeg(width: int = 900, height: int = 1600, seed: int = 1) -> bytes:
    return encode(photo_array(width, height, seed, noise=0), "JPEG", quality=92)


@cache
def flat_png(colour: tuple[int, int, int], width: int = 400, height: int = 400) -> bytes:
    return encode(np.full((height, width, 3), colour, np.uint8), "PNG")


@cache
def gradient_jpeg(width: int, height: int, seed: int) -> bytes:
    """A bold two-colour gradient (grid cells: easy to tell apart)."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(30, 226, 3), rng.integers(30, 226, 3)
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    arr = a * (1 - t) + b * t + np.zeros((height, width, 3), np.float32)
    yy, xx = np.mgrid[0:height, 0:width]
    ring = ((xx - width / 2) ** 2 + (yy - height / 2) ** 2) < (min(width, height) / 4) ** 2
    arr[ring] = 255 - arr[ring]
    return encode(np.clip(arr, 0, 255).astype(np.uint8), "JPEG", quality=92)


@cache
def oriented_jpeg() -> bytes:
    """A 1600x900 stored image with EXIF orientation 6 (display: rotate 90° clockwise): the
    stored left edge is red, so the displayed top edge must be red."""
    arr = np.full((900, 1600, 3), 60, np.uint8)
    arr[:, :200] = (230, 30, 30)  # stored left → displayed top
    arr[:, -200:] = (30, 30, 230)  # stored right → displayed bottom
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


@cache
def logo_png() -> bytes:
    """A 300x200 RGBA badge with transparent corners."""
    img = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    from PIL import ImageDraw

    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, 299, 199), radius=60, fill=(250, 200, 40, 255))
    d.ellipse((100, 50, 200, 150), fill=(200, 30, 90, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def T(content: str, **kw: object) -> TextElementSpec:
    return TextElementSpec(content, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], SlideSpec]
    needs: str | None = None  # "cjk" / "emoji": skipped without that system font

    def missing_requirement(self) -> str | None:
        if self.needs == "cjk" and fonts.cjk_source() is None:
            return "no CJK system font (install fonts-noto-cjk, see scripts/bootstrap.sh)"
        if self.needs == "emoji" and fonts.emoji_font() is None:
            return "no colour emoji font (install fonts-noto-color-emoji)"
        return None


LONG = "POV: you finally found a morning routine that actually sticks"


def _preset(preset: str, bg: bytes | None = None) -> Callable[[], SlideSpec]:
    def build() -> SlideSpec:
        return SlideSpec(
            background=bg or photo_jpeg(),
            text_elements=[
                T(LONG, y=30, font_size=64, style_preset=preset, id="title"),
                T("Step 1: drink water\nStep 2: sunlight", y=62, font_size=48, style_preset=preset),
            ],
        )

    return build


def _grid(grid: str, n: int) -> Callable[[], SlideSpec]:
    def build() -> SlideSpec:
        return SlideSpec(
            grid_type=grid,
            grid_images=[gradient_jpeg(600, 800, seed) for seed in range(n)],
            text_elements=[T(f"grid {grid}", y=50, font_size=72)],
        )

    return build


def _filter(**kw: float) -> Callable[[], SlideSpec]:
    def build() -> SlideSpec:
        return SlideSpec(
            background=photo_jpeg(),
            background_filters=BackgroundFilters(**kw),
            background_color="#203040",
            text_elements=[T(", ".join(f"{k} {v:g}" for k, v in kw.items()), y=50, font_size=60)],
        )

    return build


def _families() -> SlideSpec:
    names = fonts.family_names()
    return SlideSpec(
        background=photo_jpeg(seed=3),
        text_elements=[
            T(name, y=4 + i * (92 / len(names)), font_size=58, font_family=name, width=95)
            for i, name in enumerate(names)
        ],
    )


CASES: list[Case] = [
    Case("preset_tiktok", _preset("tiktok")),
    Case("preset_inverted", _preset("inverted")),
    Case("preset_shadow", _preset("shadow")),
    Case("preset_white", _preset("white")),
    Case("preset_black", _preset("black", gradient_jpeg(900, 1600, 11))),
    Case("preset_snapchat", _preset("snapchat")),
    Case(
        "custom_colours",
        lambda: SlideSpec(
            background=photo_jpeg(seed=5),
            text_elements=[
                T(
                    "yellow on purple box",
                    y=30,
                    style_preset="white",
                    text_color="#ffe14d",
                    background_color="rgba(80, 20, 140, 0.85)",
                    border_radius=40,
                    font_size=60,
                ),
                T(
                    "red outline style",
                    y=55,
                    style_preset="tiktok",
                    text_color="#ff3355",
                    font_size=70,
                ),
                T(
                    "inverted in pink",
                    y=75,
                    style_preset="inverted",
                    background_color="#ff8fc7",
                    text_color="#222",
                    border_radius=0,
                ),
            ],
        ),
    ),
    Case("grid_2x2", _grid("2x2", 4)),
    Case("grid_1+2", _grid("1+2", 3)),
    Case("grid_vertical", _grid("vertical", 2)),
    Case("grid_horizontal", _grid("horizontal", 3)),
    Case("filter_brightness", _filter(brightness=1.5)),
    Case("filter_contrast", _filter(contrast=1.8)),
    Case("filter_saturation", _filter(saturation=0.2)),
    Case("filter_hue", _filter(hue=120)),
    Case("filter_blur", _filter(blur=12)),
    Case("filter_grayscale", _filter(grayscale=1)),
    Case("filter_sepia", _filter(sepia=1)),
    Case("filter_invert", _filter(invert=1)),
    Case("filter_drop_shadow", _filter(drop_shadow=1)),
    Case("filter_opacity", _filter(opacity=0.4)),
    Case("filter_combined", _filter(brightness=0.8, contrast=1.2, saturation=1.4, hue=-30, blur=3)),
    Case(
        "emoji",
        lambda: SlideSpec(
            background=photo_jpeg(seed=7),
            text_elements=[
                T("Morning vibes ☀️😍🔥", y=30, font_size=72),
                T(
                    "family 👨‍👩‍👧 flags 🇫🇷🇯🇵 skin 👍🏽",
                    y=55,
                    font_size=56,
                    style_preset="inverted",
                ),
            ],
        ),
        needs="emoji",
    ),
    Case(
        "arabic",
        lambda: SlideSpec(
            background=photo_jpeg(seed=8),
            text_elements=[
                T("مرحبا بالعالم، هذا نص عربي طويل يلتف على عدة أسطر", y=35, font_size=64),
                T("روتيني الصباحي with English", y=65, font_size=56, style_preset="inverted"),
            ],
        ),
    ),
    Case(
        "devanagari",
        lambda: SlideSpec(
            background=photo_jpeg(seed=9),
            text_elements=[T("नमस्ते दुनिया, यह हिंदी में लिखा गया है", y=45, font_size=64)],
        ),
    ),
    Case(
        "cjk",
        lambda: SlideSpec(
            background=photo_jpeg(seed=10),
            text_elements=[
                T("今天的早晨习惯：喝水、晒太阳、散步十分钟", y=35, font_size=64),
                T("こんにちは世界 안녕하세요", y=65, font_size=56, style_preset="inverted"),
            ],
        ),
        needs="cjk",
    ),
    Case(
        "overlays",
        lambda: SlideSpec(
            background=photo_jpeg(seed=12),
            image_overlays=[
                ImageOverlaySpec(logo_png(), x=30, y=25, width=40, rotation=0, id="a"),
                ImageOverlaySpec(
                    logo_png(), x=70, y=50, width=35, rotation=30, opacity=0.6, id="b"
                ),
                ImageOverlaySpec(
                    photo_jpeg(400, 400, 4), x=35, y=75, width=40, height=20, rotation=-12, id="c"
                ),
            ],
            text_elements=[T("overlays", y=10, font_size=64)],
        ),
    ),
    Case(
        "aspect_4x5",
        lambda: SlideSpec(
            aspect_ratio="4:5",
            background=photo_jpeg(seed=13),
            text_elements=[T(LONG, y=50, font_size=64)],
        ),
    ),
    Case(
        "aspect_1x1",
        lambda: SlideSpec(
            aspect_ratio="1:1",
            background=photo_jpeg(seed=14),
            text_elements=[T(LONG, y=50, font_size=64, style_preset="inverted")],
        ),
    ),
    Case(
        "shrink_to_fit",
        lambda: SlideSpec(
            background=photo_jpeg(seed=15),
            text_elements=[
                T("Supercalifragilisticexpialidocious", y=20, font_size=120, width=60),
                T(" ".join(["so many words"] * 60), y=60, font_size=90, width=90),
            ],
        ),
    ),
    Case(
        "exif_orientation",
        lambda: SlideSpec(background=oriented_jpeg(), text_elements=[T("red on top", y=50)]),
    ),
    Case("families", _families),
    Case(
        "solid_colour",
        lambda: SlideSpec(
            background=None,
            background_color="#ff5a1f",
            text_elements=[T("no background image", style_preset="black")],
        ),
    ),
]
CASES_BY_NAME = {case.name: case for case in CASES}


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name.replace('+', 'plus')}.png"


def downscale(img: Image.Image) -> Image.Image:
    size = (img.width // GOLDEN_SCALE, img.height // GOLDEN_SCALE)
    return img.convert("RGB").resize(size, Image.Resampling.BOX)


def compare(actual: Image.Image, expected: Image.Image) -> tuple[float, float]:
    """(mean absolute difference 0–255, share of pixels whose largest channel difference is
    over 40)."""
    a = np.asarray(actual.convert("RGB"), np.int16)
    b = np.asarray(expected.convert("RGB"), np.int16)
    if a.shape != b.shape:
        return 255.0, 1.0
    diff = np.abs(a - b)
    return float(diff.mean()), float((diff.max(axis=-1) > 40).mean())
