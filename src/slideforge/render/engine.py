"""``render_slide``: background (single image, grid or colour) → filters → image overlays →
text elements → checks → JPEG."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from slideforge.render import fonts
from slideforge.render.checks import slide_checks
from slideforge.render.colors import parse_color
from slideforge.render.filters import apply_filters
from slideforge.render.images import load_cover, load_rgba
from slideforge.render.spec import (
    CANVAS_SIZES,
    GRID_TYPES,
    BackgroundFilters,
    Box,
    Check,
    ImageOverlaySpec,
    RenderedSlide,
    RenderInputError,
    RenderWarning,
    SlideSpec,
    TextFit,
)
from slideforge.render.text import DrawnText, draw_text, layout_element

JPEG_QUALITY = 90
MIN_JPEG_QUALITY = 50
MAX_JPEG_BYTES = 5 * 1024 * 1024


def canvas_size(aspect_ratio: str) -> tuple[int, int]:
    """Pixel size of a slide for the contract's aspect ratios (9:16, 4:5, 1:1)."""
    size = CANVAS_SIZES.get(aspect_ratio.strip())
    if size is None:
        raise RenderInputError(
            "aspect_ratio", f"{aspect_ratio!r} is not one of {', '.join(CANVAS_SIZES)}"
        )
    return size


def grid_cells(grid_type: str, count: int, width: int, height: int) -> list[Box]:
    """Cells of a grid, in the order images fill them.

    ``2x2``: four quarters (row by row); ``1+2``: one cell over the top half, two side by side
    below; ``vertical``: ``count`` (2–4) full-width rows stacked; ``horizontal``: ``count``
    (2–4) full-height columns side by side. Cell edges are whole pixels and tile the slide."""

    def cuts(total: int, parts: int) -> list[int]:
        return [round(total * i / parts) for i in range(parts + 1)]

    if grid_type == "2x2":
        xs, ys = cuts(width, 2), cuts(height, 2)
        return [Box(xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in range(2) for c in range(2)]
    if grid_type == "1+2":
        xs, ys = cuts(width, 2), cuts(height, 2)
        return [
            Box(0, 0, width, ys[1]),
            Box(0, ys[1], xs[1], height),
            Box(xs[1], ys[1], width, height),
        ]
    n = min(max(count, 2), 4)
    if grid_type == "vertical":
        ys = cuts(height, n)
        return [Box(0, ys[i], width, ys[i + 1]) for i in range(n)]
    if grid_type == "horizontal":
        xs = cuts(width, n)
        return [Box(xs[i], 0, xs[i + 1], height) for i in range(n)]
    raise ValueError(f"unknown grid type {grid_type!r}")


def _background(
    spec: SlideSpec,
    size: tuple[int, int],
    matte: tuple[int, int, int],
    max_pixels: int,
    warnings: list[RenderWarning],
) -> Image.Image:
    width, height = size
    grid = (spec.grid_type or "").strip()
    if grid and grid not in GRID_TYPES:
        warnings.append(
            RenderWarning("unknown_grid", f"grid type {grid!r} unknown; used a single image")
        )
        grid = ""
    if grid:
        sources = [(f"grid_images[{i}]", data) for i, data in enumerate(spec.grid_images)]
        if not sources and spec.background is not None:
            sources = [("background", spec.background)]
        if sources:
            canvas = Image.new("RGB", size, matte)
            cells = grid_cells(grid, len(sources), width, height)
            for i, cell in enumerate(cells):
                name, data = sources[i % len(sources)]
                cw, ch = int(cell.width), int(cell.height)
                tile = load_cover(data, name, (cw, ch), max_pixels, matte=matte)
                canvas.paste(tile, (int(cell.x0), int(cell.y0)))
            return canvas
    if spec.background is not None:
        return load_cover(spec.background, "background", size, max_pixels, matte=matte)
    return Image.new("RGB", size, matte)


def _overlay(canvas: Image.Image, spec: ImageOverlaySpec, index: int, max_pixels: int) -> None:
    width, height = canvas.size
    name = f"image_overlays[{index}]"
    img = load_rgba(spec.image, name, max_pixels, max_side=2 * max(width, height))
    box_w = max(1.0, spec.width / 100 * width)
    box_h = spec.height / 100 * height if spec.height and spec.height > 0 else None
    scale = box_w / img.width
    if box_h is not None:
        scale = min(scale, box_h / img.height)
    new_size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    img = img.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if spec.rotation % 360:
        img = img.rotate(-spec.rotation, resample=Image.Resampling.BICUBIC, expand=True)
    opacity = min(max(spec.opacity, 0.0), 1.0)
    if opacity < 1:
        alpha = img.getchannel("A").point(lambda v: round(v * opacity))
        img.putalpha(alpha)
    cx, cy = spec.x / 100 * width, spec.y / 100 * height
    pos = (math.floor(cx - img.width / 2 + 0.5), math.floor(cy - img.height / 2 + 0.5))
    canvas.paste(img, pos, img)


def encode_jpeg(canvas: Image.Image) -> tuple[bytes, int]:
    """JPEG at quality 90 (baseline, not optimised: fastest); lower in steps of 5 while the
    file is over 5 MiB."""
    quality = JPEG_QUALITY
    while True:
        buf = io.BytesIO()
        canvas.save(buf, "JPEG", quality=quality, progressive=False, optimize=False)
        data = buf.getvalue()
        if len(data) <= MAX_JPEG_BYTES or quality <= MIN_JPEG_QUALITY:
            return data, quality
        quality -= 5


@dataclass(frozen=True, slots=True)
class ComposedSlide:
    """A slide drawn but not yet encoded."""

    image: Image.Image
    checks: tuple[Check, ...]
    text_fits: tuple[TextFit, ...]
    warnings: tuple[RenderWarning, ...]


def compose_slide(spec: SlideSpec, *, max_pixels: int = 64_000_000) -> ComposedSlide:
    """Draw a slide (RGB image) and measure it, without encoding it."""
    size = canvas_size(spec.aspect_ratio)
    warnings: list[RenderWarning] = []
    try:
        matte_rgba = parse_color(spec.background_color or "#000000")
    except ValueError:
        warnings.append(
            RenderWarning("bad_color", f"background_color {spec.background_color!r}; used black")
        )
        matte_rgba = (0, 0, 0, 255)
    matte = matte_rgba[:3]

    canvas = _background(spec, size, matte, max_pixels, warnings)
    filters = spec.background_filters
    if filters is not None and filters != BackgroundFilters():
        canvas = apply_filters(canvas, filters, matte)
    for i, overlay in enumerate(spec.image_overlays):
        _overlay(canvas, overlay, i, max_pixels)

    drawn: list[DrawnText] = []
    for i, element in enumerate(spec.text_elements):
        laid = layout_element(element, size[0], size[1], i)
        warnings.extend(laid.warnings)
        drawn.append(draw_text(canvas, laid))
    if spec.text_elements and not fonts.raqm_available():
        warnings.append(
            RenderWarning(
                "raqm_missing",
                "Pillow runs without raqm (libfribidi missing): complex scripts are not shaped",
            )
        )
    return ComposedSlide(
        image=canvas,
        checks=tuple(slide_checks(drawn, size[0], size[1])),
        text_fits=tuple(d.layout.fit for d in drawn),
        warnings=tuple(_dedupe(warnings)),
    )


def render_slide(spec: SlideSpec, *, max_pixels: int = 64_000_000) -> RenderedSlide:
    """Render one slide to JPEG and measure it.

    Raises :class:`RenderInputError` for inputs that cannot be rendered (broken or oversized
    images, unknown aspect ratio), naming the input."""
    composed = compose_slide(spec, max_pixels=max_pixels)
    jpeg, quality = encode_jpeg(composed.image)
    return RenderedSlide(
        jpeg=jpeg,
        width=composed.image.width,
        height=composed.image.height,
        checks=composed.checks,
        text_fits=composed.text_fits,
        warnings=composed.warnings,
        jpeg_quality=quality,
    )


def _dedupe(items: list[RenderWarning]) -> list[RenderWarning]:
    seen: set[tuple[str, str, str | None, int | None]] = set()
    out = []
    for w in items:
        key = (w.code, w.message, w.element_id, w.element_index)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out
