"""Post media: fetched once through SafeHttp (our own media straight from storage), checked,
stored, and turned into the variant each platform accepts. Every image is decoded with the
pixel cap and re-encoded, so no user bytes reach a platform unexamined.

Each platform's variant is its own (``publishing/platforms/<name>/media.py``, asked through
the registry: ``image_variants``, ``variant_shape``, ``check_ingested``). Reshaping pads or
crops per ``image_fit``, and the post says which in a warning (``variant_warnings``)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slideforge.files.service import read_media, stored_file
from slideforge.kit import pixels
from slideforge.kit.errors import ApiError
from slideforge.kit.images import (
    ImageError,
    check_complete,
    check_shape,
    decode_rgb,
    encode_jpeg,
    open_image,
    oriented_size,
    scale_short_side,
    sniff_image,
)
from slideforge.kit.safehttp import FetchError, UnsafeUrlError
from slideforge.kit.storage import StorageError
from slideforge.kit.video import probe_video, sniff_video
from slideforge.models import File
from slideforge.publishing.platforms import registry
from slideforge.publishing.platforms.variants import MediaItem, check_cover, invalid, stored_urls
from slideforge.runtime import Runtime

#: How long a posted video may be, in seconds (contract §4.1: "Video: … 15–60 s").
POST_VIDEO_SECONDS = (15, 60)

MAX_IMAGE_FETCH_BYTES = 20 * 1024 * 1024
MAX_VIDEO_BYTES = 100 * 1024 * 1024
IMAGE_FORMATS = ("jpeg", "png", "webp")
VIDEO_CONTAINERS = {"mp4": "video/mp4", "mov": "video/quicktime", "avi": "video/x-msvideo"}
NINE_SIXTEEN = 9 / 16
# A video's cover image: shorter side 1080 px, a JPEG of at most 8 MiB (what Instagram's
# cover_url takes; the other platforms take it too).
COVER_SHORT_SIDE = 1080
COVER_MAX_BYTES = 8 * 1024 * 1024


@dataclass
class Warning_:
    field: str
    message: str
    code: str


def _unreachable(url: str, detail: str) -> ApiError:
    return ApiError(
        "media_unreachable",
        f"{url} could not be fetched: {detail}. Use a public http(s) URL that answers 200.",
        400,
        data={"url": url},
    )


def fetch(runtime: Runtime, url: str, max_bytes: int, what: str) -> bytes:
    try:
        return read_media(runtime, url, max_bytes=max_bytes)
    except UnsafeUrlError as exc:
        raise _unreachable(url, str(exc)) from exc
    except FetchError as exc:
        if exc.reason == "too_large":
            raise invalid(what, f"{url} is larger than {max_bytes // (1024 * 1024)} MB") from exc
        raise _unreachable(url, str(exc)) from exc
    except StorageError as exc:
        raise _unreachable(url, "no such media on this server") from exc


def _aspect_warning(field: str, width: int | None, height: int | None) -> Warning_ | None:
    if not width or not height:
        return None
    ratio = width / height
    if abs(ratio - NINE_SIXTEEN) / NINE_SIXTEEN > 0.15:
        return Warning_(
            field,
            f"is {width}x{height}; TikTok and Reels show 9:16 (e.g. 1080x1920) best",
            "ASPECT_RATIO",
        )
    return None


def _check_shape(runtime: Runtime, data: bytes, field: str, what: str) -> None:
    """Refuse, from the header and before any decoding, an image whose shape no platform
    takes (SLIDEFORGE_MAX_IMAGE_ASPECT / SLIDEFORGE_MAX_IMAGE_SIDE): 400 naming ``what``."""
    settings = runtime.settings
    try:
        # The header's size: a rotation changes neither the longer side nor the aspect.
        width, height = open_image(data, settings.max_image_pixels).size
        check_shape(
            width, height, max_side=settings.max_image_side, max_aspect=settings.max_image_aspect
        )
    except ImageError as exc:
        raise invalid(field, f"{what} cannot be used: {exc}") from exc


def _readable_size(runtime: Runtime, data: bytes) -> tuple[int, int]:
    """The upright size from the header, and, for PNG and JPEG, a check that the whole file
    is there (PNG chunk CRCs, JPEG data at 1/8 scale) — never a full-size decode: that is the
    variants' work (``prepare_variants``, in the request or in the publish workflow)."""
    image = open_image(data, runtime.settings.max_image_pixels)
    size = oriented_size(image)
    if image.format in ("PNG", "JPEG"):
        try:
            check_complete(image)
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError("broken", "the image is truncated or corrupt") from exc
    image.close()
    return size


def _kept(runtime: Runtime, store: bool, **file: Any) -> File | None:
    """The stored File row of ingested bytes, or None in a dry run (nothing is written)."""
    return stored_file(runtime, **file) if store else None


def _ref(row: File | None) -> tuple[str, str]:
    """An item's file id and storage key ("" in a dry run: the bytes were not kept)."""
    return (str(row.id), row.storage_key) if row is not None else ("", "")


def ingest(
    runtime: Runtime,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID,
    media: dict[str, Any],
    *,
    store: bool = True,
) -> tuple[list[MediaItem], list[File], list[Warning_]]:
    """Fetch, check and store the post's media (no database work: the File rows come back
    unsaved). Raises 400 media_unreachable naming the URL or 400 validation_failed naming
    the slide. With ``store`` false (the dry run, ``posts.service.validate_post``) every
    fetch and check runs alike and nothing is written: no File rows, items without a file
    id or key."""
    items: list[MediaItem] = []
    rows: list[File] = []
    warnings: list[Warning_] = []
    if media["type"] == "slideshow":
        for index, url in enumerate(media["urls"]):
            field = f"media.urls[{index}]"
            data = fetch(runtime, url, MAX_IMAGE_FETCH_BYTES, field)
            fmt = sniff_image(data)
            if fmt not in IMAGE_FORMATS:
                found = fmt.upper() if fmt else "not an image"
                raise invalid(field, f"slide {index + 1} ({url}) is {found}; use JPG, PNG or WebP")
            _check_shape(runtime, data, field, f"slide {index + 1} ({url})")
            try:
                width, height = _readable_size(runtime, data)
            except ImageError as exc:
                raise invalid(field, f"slide {index + 1} ({url}) cannot be used: {exc}") from exc
            row = _kept(
                runtime,
                store,
                workspace_id=workspace_id,
                data=data,
                content_type=f"image/{fmt}",
                filename=f"slide-{index:02d}.{fmt}",
                context="post-media",
                key=f"posts/{post_id}/source/slide-{index:02d}.{'jpg' if fmt == 'jpeg' else fmt}",
                width=width,
                height=height,
            )
            rows += [row] if row is not None else []
            items.append(
                MediaItem(
                    index,
                    url,
                    *_ref(row),
                    f"image/{fmt}",
                    width,
                    height,
                    len(data),
                )
            )
            warning = _aspect_warning(field, width, height)
            if warning:
                warnings.append(warning)
        return items, rows, warnings
    url = media["url"]
    data = fetch(runtime, url, MAX_VIDEO_BYTES, "media.url")
    container = sniff_video(data[:64])
    if container not in VIDEO_CONTAINERS:
        raise invalid("media.url", f"{url} is not an MP4, MOV, M4V or AVI video")
    info = probe_video(io.BytesIO(data))
    if not info.has_movie:
        raise invalid(
            "media.url",
            f"{url} starts like a {container.upper()} video but holds no video after its "
            "header: it is truncated or not a video",
        )
    if info.duration_seconds is None:
        warnings.append(
            Warning_("media", "Video duration metadata is missing", "VIDEO_DURATION_MISSING")
        )
    elif not POST_VIDEO_SECONDS[0] <= info.duration_seconds <= POST_VIDEO_SECONDS[1]:
        low, high = POST_VIDEO_SECONDS
        raise invalid(
            "media.url",
            f"the video is {info.duration_seconds:.1f} s long; posts need {low}–{high} s",
        )
    check_cover(info.duration_seconds, "media.cover_timestamp_ms", media.get("cover_timestamp_ms"))
    content_type = VIDEO_CONTAINERS[container]
    ext = {"mp4": "mp4", "mov": "mov", "avi": "avi"}[container]
    row = _kept(
        runtime,
        store,
        workspace_id=workspace_id,
        data=data,
        content_type=content_type,
        filename=f"video.{ext}",
        context="post-media",
        key=f"posts/{post_id}/source/video.{ext}",
        width=info.width,
        height=info.height,
    )
    rows += [row] if row is not None else []
    items.append(
        MediaItem(
            0,
            url,
            *_ref(row),
            content_type,
            info.width,
            info.height,
            len(data),
            info.duration_seconds,
        )
    )
    warning = _aspect_warning("media", info.width, info.height)
    if warning:
        warnings.append(warning)
    if media.get("cover_url"):
        item, cover = _ingest_cover(runtime, workspace_id, post_id, str(media["cover_url"]), store)
        rows += [cover] if cover is not None else []
        items.append(item)
    return items, rows, warnings


def _ingest_cover(
    runtime: Runtime, workspace_id: uuid.UUID, post_id: uuid.UUID, url: str, store: bool
) -> tuple[MediaItem, File | None]:
    """A video's cover image, stored as a JPEG (what Instagram's cover_url takes)."""
    field = "media.cover_url"
    data = fetch(runtime, url, MAX_IMAGE_FETCH_BYTES, field)
    fmt = sniff_image(data)
    if fmt not in IMAGE_FORMATS:
        raise invalid(field, f"{url} is {fmt.upper() if fmt else 'not an image'}; use JPG or PNG")
    _check_shape(runtime, data, field, url)
    try:
        side = COVER_SHORT_SIDE
        image = decode_rgb(data, runtime.settings.max_image_pixels, min_size=(side, side))
        image = scale_short_side(image, side)
        jpeg = encode_jpeg(image, max_bytes=COVER_MAX_BYTES)
    except ImageError as exc:
        raise invalid(field, f"{url} cannot be used: {exc}") from exc
    width, height = image.size
    row = _kept(
        runtime,
        store,
        workspace_id=workspace_id,
        data=jpeg,
        content_type="image/jpeg",
        filename="cover.jpg",
        context="post-media",
        key=f"posts/{post_id}/source/cover.jpg",
        width=width,
        height=height,
    )
    item = MediaItem(1, url, *_ref(row), "image/jpeg", width, height, len(jpeg))
    return item, row


def _same_shape(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return abs(a[0] / a[1] - b[0] / b[1]) <= 0.01 * (b[0] / b[1])


def _reshaped(items: list[MediaItem], size: tuple[int, int]) -> list[int]:
    """The numbers of the slides whose shape differs from ``size`` (padded or cropped)."""
    return [
        item.index + 1
        for item in items
        if item.width and item.height and not _same_shape((item.width, item.height), size)
    ]


def _ratio(size: tuple[int, int]) -> str:
    width, height = size
    for label, value in (("4:5", 0.8), ("1:1", 1.0), ("1.91:1", 1.91), ("9:16", 9 / 16)):
        if abs(width / height - value) < 0.01:
            return label
    return f"{width / height:.2f}:1"


def variant_warnings(
    platforms: set[str], items: list[MediaItem], kind: str, fit: str
) -> list[Warning_]:
    """What the platforms' variants change in the slides (padded or cropped to the one size
    a platform gives them all), predicted from the ingested sizes."""
    if kind != "slideshow" or not items:
        return []
    other = "crop" if fit == "pad" else "pad"
    done = "padded" if fit == "pad" else "cropped"
    out: list[Warning_] = []
    checks = []
    for name in sorted(platforms):
        rules = registry.rules(name)
        shape = rules.variant_shape(items)
        if shape is not None:
            checks.append((rules.title, shape[0], shape[1]))
    for title, size, why in checks:
        changed = _reshaped(items, size)
        if changed:
            slides = ", ".join(str(n) for n in changed)
            out.append(
                Warning_(
                    "media.urls",
                    f"{why}: slide{'s' if len(changed) > 1 else ''} {slides} "
                    f"{'are' if len(changed) > 1 else 'is'} {done} to {size[0]}x{size[1]} "
                    f"({_ratio(size)}) for {title} (set SLIDEFORGE_IMAGE_FIT={other} "
                    f"to {other} instead)",
                    f"{title.upper()}_{done.upper()}",
                )
            )
    return out


def _slides(numbers: list[int]) -> str:
    return f"slide{'s' if len(numbers) > 1 else ''} {', '.join(str(n) for n in numbers)}"


def variant_notes(
    platforms: set[str], items: list[MediaItem], kind: str, fit: str
) -> dict[str, list[str]]:
    """Per platform, what its variant will do to the media, predicted from the ingested
    sizes and formats and the platform's rules (``capabilities["media"]``,
    ``reencodes_images``, ``variant_shape``): what a dry run shows before anything is
    made."""
    out: dict[str, list[str]] = {}
    done = "padded" if fit == "pad" else "cropped"
    for name in sorted(platforms):
        rules = registry.rules(name)
        notes: list[str] = []
        if kind == "video":
            notes.append("the video is published as sent (not re-encoded)")
            if len(items) > 1:
                notes.append(
                    f"the cover image is a JPEG, shorter side {COVER_SHORT_SIDE} px "
                    f"({items[1].width}x{items[1].height})"
                )
            out[name] = notes
            continue
        caps = rules.capabilities["media"]["slideshow"]
        if rules.reencodes_images:  # variants are JPEGs (variants.store_variant)
            converted = [item.index + 1 for item in items if item.content_type != "image/jpeg"]
            notes.append(
                "every slide is re-encoded as a JPEG"
                + (f" ({_slides(converted)} converted from another format)" if converted else "")
            )
        short = caps.get("max_short_side_px")
        if short:
            scaled = [
                item.index + 1
                for item in items
                if item.width and item.height and min(item.width, item.height) > short
            ]
            if scaled:
                notes.append(f"{_slides(scaled)} resized to a shorter side of {short} px")
        shape = rules.variant_shape(items)
        if shape is not None:
            (width, height), why = shape
            changed = _reshaped(items, shape[0])
            notes.append(
                f"every slide is made {width}x{height} ({_ratio(shape[0])}): {why}"
                + (f"; {_slides(changed)} {done} (SLIDEFORGE_IMAGE_FIT)" if changed else "")
            )
        out[name] = notes
    return out


def check_media(
    platforms: set[str],
    items: list[MediaItem],
    kind: str,
    options: Mapping[str, Mapping[str, Any] | None],
) -> None:
    """What the targeted platforms refuse in the ingested media, given the post's option
    objects by field (400 validation_failed)."""
    for name in sorted(platforms):
        rules = registry.rules(name)
        own = options.get(rules.option_field) if rules.option_field else None
        rules.check_ingested(items, kind, own)


def variant_cost(platforms: set[str], items: list[MediaItem], kind: str) -> int:
    """Pixels the variants' decodes hold, summed over slides and platforms (estimated from
    the slides' sizes; JPEGs at the DCT scale a 1080 px variant decodes them at)."""
    if kind != "slideshow":
        return 0
    count = sum(1 for name in platforms if registry.rules(name).reencodes_images)
    per_round = sum(
        pixels.decode_cost(
            item.content_type.removeprefix("image/"),
            (item.width or 0, item.height or 0),
            (1080, 1080),
        )
        for item in items
    )
    return count * per_round


def prepare_in_request(
    runtime: Runtime, platforms: set[str], items: list[MediaItem], kind: str
) -> bool:
    """Whether the variants are light enough to make inside the request
    (SLIDEFORGE_POST_MEDIA_INLINE_MEGAPIXELS); heavier posts get them from the publish
    workflow (``publishing.preparation``)."""
    limit = runtime.settings.post_media_inline_megapixels * 1_000_000
    return variant_cost(platforms, items, kind) <= limit


def prepare_variants(
    runtime: Runtime, post_id: uuid.UUID, platforms: set[str], items: list[MediaItem], kind: str
) -> dict[str, Any]:
    """Per platform, the media URLs to publish. Videos are published as stored."""
    out: dict[str, Any] = {}
    for name in sorted(platforms):
        if kind == "video":  # the video, then its cover when there is one
            out[name] = stored_urls(runtime, items)
        else:
            out[name] = registry.rules(name).image_variants(runtime, post_id, items)
    return out


__all__ = [
    "MediaItem",
    "Warning_",
    "check_media",
    "ingest",
    "prepare_in_request",
    "prepare_variants",
    "variant_cost",
    "variant_notes",
    "variant_warnings",
]
