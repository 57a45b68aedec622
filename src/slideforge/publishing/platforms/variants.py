"""What the platforms' media variants share: the ingested item, decoding a slide under the
pixel budget, fitting it to a size (padded with its edge colour or centre-cropped), encoding
and storing the JPEG. Each platform's ``media.py`` says which variant it makes."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from slideforge.kit.errors import ApiError
from slideforge.kit.images import JPEG_MAX_SIDE, ImageError, decode_rgb, encode_jpeg

if TYPE_CHECKING:
    from slideforge.runtime import Runtime


@dataclass
class MediaItem:
    index: int
    source_url: str
    file_id: str
    key: str
    content_type: str
    width: int | None
    height: int | None
    size: int
    duration: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def invalid(field: str, message: str) -> ApiError:
    """400 ``validation_failed`` naming the field (what the post and media checks raise)."""
    return ApiError(
        "validation_failed",
        f"{field}: {message}",
        400,
        data={"errors": [{"field": field, "message": message}]},
    )


def short_side_size(width: int, height: int, max_short_side: int) -> tuple[int, int]:
    """The size ``kit.images.scale_short_side`` gives."""
    if min(width, height) <= max_short_side:
        return width, height
    if width <= height:
        return max_short_side, max(1, round(height * max_short_side / width))
    return max(1, round(width * max_short_side / height)), max_short_side


def check_variant(title: str, item: MediaItem, size: tuple[int, int] | None) -> None:
    """Before any decoding: a variant JPEG cannot have a side over 65,500 px (a slide that
    predates the shape limits, or dimensions unknown until decoded)."""
    if size is None:
        return
    width, height = size
    if min(width, height) < 1 or max(width, height) > JPEG_MAX_SIDE:
        raise invalid(
            f"media.urls[{item.index}]",
            f"slide {item.index + 1} ({item.width}x{item.height}) would be {width}x{height} px "
            f"as a {title} JPEG, over JPEG's {JPEG_MAX_SIDE} px per side; crop it to a "
            "less extreme shape",
        )


def decode_item(runtime: Runtime, item: MediaItem, min_size: tuple[int, int]) -> Image.Image:
    """A slide decoded for a variant of about ``min_size`` (reduced early, under the pixel
    budget); 400 validation_failed naming the slide when it cannot be decoded."""
    data = runtime.storage.read(item.key)
    try:
        return decode_rgb(data, runtime.settings.max_image_pixels, min_size=min_size)
    except ImageError as exc:
        raise invalid(
            f"media.urls[{item.index}]",
            f"slide {item.index + 1} ({item.source_url}) cannot be used: {exc}",
        ) from exc


def store_variant(
    runtime: Runtime,
    post_id: uuid.UUID,
    platform: str,
    title: str,
    item: MediaItem,
    image: Image.Image,
    max_bytes: int,
) -> str:
    """The slide's variant as a JPEG of at most ``max_bytes``, stored under
    ``posts/{post}/{platform}/``; its public URL (what the platform pulls from)."""
    check_variant(title, item, image.size)
    try:
        data = encode_jpeg(image, max_bytes=max_bytes)
    except ImageError as exc:
        raise invalid(
            f"media.urls[{item.index}]",
            f"slide {item.index + 1} cannot be made into a {title} JPEG: {exc}",
        ) from exc
    key = f"posts/{post_id}/{platform}/slide-{item.index:02d}.jpg"
    runtime.storage.put(key, data, "image/jpeg")
    return runtime.storage.url(key)


def stored_urls(runtime: Runtime, items: list[MediaItem]) -> list[str]:
    """The items as stored (videos, and slides a platform takes unchanged)."""
    return [runtime.storage.url(item.key) for item in items]


def _edge_colour(image: Image.Image) -> tuple[int, int, int]:
    """The mean colour of the image's border (the padding colour)."""
    small = image.resize((16, 16), Image.Resampling.BILINEAR)
    pixels = [small.getpixel((x, y)) for x in range(16) for y in (0, 15)]
    pixels += [small.getpixel((x, y)) for y in range(1, 15) for x in (0, 15)]
    channels = list(zip(*(p if isinstance(p, tuple) else (p, p, p) for p in pixels), strict=False))
    return (
        round(sum(channels[0]) / len(pixels)),
        round(sum(channels[1]) / len(pixels)),
        round(sum(channels[2]) / len(pixels)),
    )


def fit_to(image: Image.Image, size: tuple[int, int], mode: str) -> Image.Image:
    """``image`` at exactly ``size``: scaled, and padded (edge colour) or centre-cropped
    where its aspect differs."""
    width, height = size
    scale = (
        max(width / image.width, height / image.height)
        if mode == "crop"
        else min(width / image.width, height / image.height)
    )
    inner = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    scaled = image.resize(inner, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if inner == size:
        return scaled
    if mode == "crop":
        left, top = (inner[0] - width) // 2, (inner[1] - height) // 2
        return scaled.crop((left, top, left + width, top + height))
    canvas = Image.new("RGB", size, _edge_colour(image))
    canvas.paste(scaled, ((width - inner[0]) // 2, (height - inner[1]) // 2))
    return canvas


def check_cover(duration: float | None, field: str, cover_ms: int | None) -> None:
    """A cover time must fall inside the video when its duration could be read (unknown
    durations are bounded by the schema's maximum only)."""
    if cover_ms is not None and duration is not None and cover_ms > duration * 1000:
        raise invalid(field, f"{cover_ms} ms is beyond the end of the {duration:.1f} s video")
