"""Post media: fetched once through SafeHttp (our own media straight from storage), checked,
stored, and turned into the variant each platform accepts. Every image is decoded with the
pixel cap and re-encoded, so no user bytes reach a platform unexamined.

TikTok: JPEG, shorter side ≤ 1080 px (a larger image would fail the whole carousel), ≤ 5 MB.
Instagram: JPEG ≤ 8 MiB, 320–1080 px wide, every item in the first item's aspect brought
inside 4:5…1.91:1 (Instagram crops carousel items to the first one's shape itself; doing it
here makes the result predictable). Pinterest: JPEG, long side ≤ 2048 px; a carousel's
images all the first one's size. Reshaping pads or crops per ``image_fit``, and the post
says which in a warning (``variant_warnings``)."""

from __future__ import annotations

import io
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image

from slideforge.files.service import read_media, stored_file
from slideforge.kit import pixels
from slideforge.kit.errors import ApiError
from slideforge.kit.images import (
    JPEG_MAX_SIDE,
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
from slideforge.runtime import Runtime

MAX_IMAGE_FETCH_BYTES = 20 * 1024 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_VIDEO_BYTES = 100 * 1024 * 1024
IMAGE_FORMATS = ("jpeg", "png", "webp")
VIDEO_CONTAINERS = {"mp4": "video/mp4", "mov": "video/quicktime", "avi": "video/x-msvideo"}
NINE_SIXTEEN = 9 / 16
INSTAGRAM_ASPECT = (0.8, 1.91)  # 4:5 … 1.91:1
INSTAGRAM_WIDTH = (320, 1080)
INSTAGRAM_MAX_BYTES = 8 * 1024 * 1024
PINTEREST_LONG_SIDE = 2048
PINTEREST_MAX_BYTES = 20 * 1024 * 1024
PINTEREST_VIDEO_ASPECT = (0.5, 1.91)  # 1:2 … 1.91:1


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


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(
        "validation_failed",
        f"{field}: {message}",
        400,
        data={"errors": [{"field": field, "message": message}]},
    )


def fetch(runtime: Runtime, url: str, max_bytes: int, what: str) -> bytes:
    try:
        return read_media(runtime, url, max_bytes=max_bytes)
    except UnsafeUrlError as exc:
        raise _unreachable(url, str(exc)) from exc
    except FetchError as exc:
        if exc.reason == "too_large":
            raise _invalid(what, f"{url} is larger than {max_bytes // (1024 * 1024)} MB") from exc
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
        raise _invalid(field, f"{what} cannot be used: {exc}") from exc


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


def ingest(
    runtime: Runtime, workspace_id: uuid.UUID, post_id: uuid.UUID, media: dict[str, Any]
) -> tuple[list[MediaItem], list[File], list[Warning_]]:
    """Fetch, check and store the post's media (no database work: the File rows come back
    unsaved). Raises 400 media_unreachable naming the URL or 400 validation_failed naming
    the slide."""
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
                raise _invalid(field, f"slide {index + 1} ({url}) is {found}; use JPG, PNG or WebP")
            _check_shape(runtime, data, field, f"slide {index + 1} ({url})")
            try:
                width, height = _readable_size(runtime, data)
            except ImageError as exc:
                raise _invalid(field, f"slide {index + 1} ({url}) cannot be used: {exc}") from exc
            row = stored_file(
                runtime,
                workspace_id=workspace_id,
                data=data,
                content_type=f"image/{fmt}",
                filename=f"slide-{index:02d}.{fmt}",
                context="post-media",
                key=f"posts/{post_id}/source/slide-{index:02d}.{'jpg' if fmt == 'jpeg' else fmt}",
                width=width,
                height=height,
            )
            rows.append(row)
            items.append(
                MediaItem(
                    index,
                    url,
                    str(row.id),
                    row.storage_key,
                    row.content_type,
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
        raise _invalid("media.url", f"{url} is not an MP4, MOV, M4V or AVI video")
    info = probe_video(io.BytesIO(data))
    if not info.has_movie:
        raise _invalid(
            "media.url",
            f"{url} starts like a {container.upper()} video but holds no video after its "
            "header: it is truncated or not a video",
        )
    if info.duration_seconds is None:
        warnings.append(
            Warning_("media", "Video duration metadata is missing", "VIDEO_DURATION_MISSING")
        )
    elif not 15 <= info.duration_seconds <= 60:
        raise _invalid(
            "media.url", f"the video is {info.duration_seconds:.1f} s long; posts need 15–60 s"
        )
    check_cover(info.duration_seconds, "media.cover_timestamp_ms", media.get("cover_timestamp_ms"))
    content_type = VIDEO_CONTAINERS[container]
    ext = {"mp4": "mp4", "mov": "mov", "avi": "avi"}[container]
    row = stored_file(
        runtime,
        workspace_id=workspace_id,
        data=data,
        content_type=content_type,
        filename=f"video.{ext}",
        context="post-media",
        key=f"posts/{post_id}/source/video.{ext}",
        width=info.width,
        height=info.height,
    )
    rows.append(row)
    items.append(
        MediaItem(
            0,
            url,
            str(row.id),
            row.storage_key,
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
        cover = _ingest_cover(runtime, workspace_id, post_id, str(media["cover_url"]))
        rows.append(cover[1])
        items.append(cover[0])
    return items, rows, warnings


def _ingest_cover(
    runtime: Runtime, workspace_id: uuid.UUID, post_id: uuid.UUID, url: str
) -> tuple[MediaItem, File]:
    """A video's cover image, stored as a JPEG (what Instagram's cover_url takes)."""
    field = "media.cover_url"
    data = fetch(runtime, url, MAX_IMAGE_FETCH_BYTES, field)
    fmt = sniff_image(data)
    if fmt not in IMAGE_FORMATS:
        raise _invalid(field, f"{url} is {fmt.upper() if fmt else 'not an image'}; use JPG or PNG")
    _check_shape(runtime, data, field, url)
    try:
        image = decode_rgb(data, runtime.settings.max_image_pixels, min_size=(1080, 1080))
        image = scale_short_side(image, 1080)
        jpeg = encode_jpeg(image, max_bytes=INSTAGRAM_MAX_BYTES)
    except ImageError as exc:
        raise _invalid(field, f"{url} cannot be used: {exc}") from exc
    width, height = image.size
    row = stored_file(
        runtime,
        workspace_id=workspace_id,
        data=jpeg,
        content_type="image/jpeg",
        filename="cover.jpg",
        context="post-media",
        key=f"posts/{post_id}/source/cover.jpg",
        width=width,
        height=height,
    )
    item = MediaItem(1, url, str(row.id), row.storage_key, "image/jpeg", width, height, len(jpeg))
    return item, row


def _short_side_size(width: int, height: int, max_short_side: int) -> tuple[int, int]:
    """The size ``scale_short_side`` gives."""
    if min(width, height) <= max_short_side:
        return width, height
    if width <= height:
        return max_short_side, max(1, round(height * max_short_side / width))
    return max(1, round(width * max_short_side / height)), max_short_side


def _check_variant(platform: str, item: MediaItem, size: tuple[int, int] | None) -> None:
    """Before any decoding: a variant JPEG cannot have a side over 65,500 px (a slide that
    predates the shape limits, or dimensions unknown until decoded)."""
    if size is None:
        return
    width, height = size
    if min(width, height) < 1 or max(width, height) > JPEG_MAX_SIDE:
        raise _invalid(
            f"media.urls[{item.index}]",
            f"slide {item.index + 1} ({item.width}x{item.height}) would be {width}x{height} px "
            f"as a {platform} JPEG, over JPEG's {JPEG_MAX_SIDE} px per side; crop it to a "
            "less extreme shape",
        )


def _encode_variant(platform: str, item: MediaItem, image: Image.Image, max_bytes: int) -> bytes:
    _check_variant(platform, item, image.size)
    try:
        return encode_jpeg(image, max_bytes=max_bytes)
    except ImageError as exc:
        raise _invalid(
            f"media.urls[{item.index}]",
            f"slide {item.index + 1} cannot be made into a {platform} JPEG: {exc}",
        ) from exc


def _decode_item(runtime: Runtime, item: MediaItem, min_size: tuple[int, int]) -> Image.Image:
    """A slide decoded for a variant of about ``min_size`` (reduced early, under the pixel
    budget); 400 validation_failed naming the slide when it cannot be decoded."""
    data = runtime.storage.read(item.key)
    try:
        return decode_rgb(data, runtime.settings.max_image_pixels, min_size=min_size)
    except ImageError as exc:
        raise _invalid(
            f"media.urls[{item.index}]",
            f"slide {item.index + 1} ({item.source_url}) cannot be used: {exc}",
        ) from exc


def tiktok_variants(runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]) -> list[str]:
    """JPEG, shorter side ≤ 1080 px, ≤ 5 MB: what TikTok's photo posts accept. Returns the
    public URLs TikTok pulls from (they must be on a verified domain or prefix)."""
    urls = []
    for item in items:
        if item.width and item.height:
            _check_variant("TikTok", item, _short_side_size(item.width, item.height, 1080))
        image = scale_short_side(_decode_item(runtime, item, (1080, 1080)), 1080)
        data = _encode_variant("TikTok", item, image, MAX_IMAGE_BYTES)
        key = f"posts/{post_id}/tiktok/slide-{item.index:02d}.jpg"
        runtime.storage.put(key, data, "image/jpeg")
        urls.append(runtime.storage.url(key))
    return urls


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


def _same_shape(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return abs(a[0] / a[1] - b[0] / b[1]) <= 0.01 * (b[0] / b[1])


def instagram_size(items: list[MediaItem]) -> tuple[int, int]:
    """Every Instagram item's size: the first item's aspect brought inside 4:5…1.91:1,
    320–1080 px wide."""
    first = items[0]
    width, height = first.width or 1080, first.height or 1350
    aspect = min(max(width / height, INSTAGRAM_ASPECT[0]), INSTAGRAM_ASPECT[1])
    out_width = min(max(width, INSTAGRAM_WIDTH[0]), INSTAGRAM_WIDTH[1])
    out_height = max(1, round(out_width / aspect))
    # Rounding must not push the ratio back outside Instagram's range.
    while out_width / out_height > INSTAGRAM_ASPECT[1]:
        out_height += 1
    while out_width / out_height < INSTAGRAM_ASPECT[0]:
        out_height -= 1
    return out_width, out_height


def pinterest_size(items: list[MediaItem]) -> tuple[int, int]:
    """A Pinterest carousel's one size: the first image's, long side ≤ 2048 px."""
    width, height = items[0].width or 1000, items[0].height or 1500
    scale = min(1.0, PINTEREST_LONG_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def instagram_variants(runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]) -> list[str]:
    """JPEG ≤ 8 MiB, all in the first item's aspect inside 4:5…1.91:1 (see module doc)."""
    size = instagram_size(items)
    urls = []
    for item in items:
        image = _decode_item(runtime, item, size)
        data = _encode_variant(
            "Instagram", item, fit_to(image, size, runtime.settings.image_fit), INSTAGRAM_MAX_BYTES
        )
        key = f"posts/{post_id}/instagram/slide-{item.index:02d}.jpg"
        runtime.storage.put(key, data, "image/jpeg")
        urls.append(runtime.storage.url(key))
    return urls


def pinterest_variants(runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]) -> list[str]:
    """JPEG, long side ≤ 2048 px; a carousel's images all the first one's size."""
    urls = []
    size = pinterest_size(items)
    for item in items:
        if len(items) > 1:
            image = fit_to(_decode_item(runtime, item, size), size, runtime.settings.image_fit)
        else:
            image = _decode_item(runtime, item, size)
            if max(image.size) > PINTEREST_LONG_SIDE:
                # the size the whole image would have (the decode may be reduced already)
                width, height = (
                    (item.width, item.height) if item.width and item.height else image.size
                )
                scale = PINTEREST_LONG_SIDE / max(width, height)
                image = fit_to(image, (round(width * scale), round(height * scale)), "crop")
        data = _encode_variant("Pinterest", item, image, PINTEREST_MAX_BYTES)
        key = f"posts/{post_id}/pinterest/slide-{item.index:02d}.jpg"
        runtime.storage.put(key, data, "image/jpeg")
        urls.append(runtime.storage.url(key))
    return urls


VARIANTS = {
    "tiktok": tiktok_variants,
    "instagram": instagram_variants,
    "pinterest": pinterest_variants,
}


def _ratio(size: tuple[int, int]) -> str:
    width, height = size
    for label, value in (("4:5", 0.8), ("1:1", 1.0), ("1.91:1", 1.91), ("9:16", 9 / 16)):
        if abs(width / height - value) < 0.01:
            return label
    return f"{width / height:.2f}:1"


def variant_warnings(
    platforms: set[str], items: list[MediaItem], kind: str, fit: str
) -> list[Warning_]:
    """What the Instagram and Pinterest variants change in the slides (padded or cropped),
    predicted from the ingested sizes."""
    if kind != "slideshow" or not items:
        return []
    other = "crop" if fit == "pad" else "pad"
    done = "padded" if fit == "pad" else "cropped"
    out: list[Warning_] = []
    checks = []
    if "instagram" in platforms:
        checks.append(
            (
                "INSTAGRAM",
                instagram_size(items),
                "Instagram shows images between 4:5 and 1.91:1 and gives every carousel item "
                "the first one's shape",
            )
        )
    if "pinterest" in platforms and len(items) > 1:
        checks.append(
            ("PINTEREST", pinterest_size(items), "Pinterest carousels take images of one size")
        )
    for prefix, size, why in checks:
        changed = [
            item.index + 1
            for item in items
            if item.width and item.height and not _same_shape((item.width, item.height), size)
        ]
        if changed:
            slides = ", ".join(str(n) for n in changed)
            out.append(
                Warning_(
                    "media.urls",
                    f"{why}: slide{'s' if len(changed) > 1 else ''} {slides} "
                    f"{'are' if len(changed) > 1 else 'is'} {done} to {size[0]}x{size[1]} "
                    f"({_ratio(size)}) for {prefix.title()} (set SLIDEFORGE_IMAGE_FIT={other} "
                    f"to {other} instead)",
                    f"{prefix}_{done.upper()}",
                )
            )
    return out


def check_cover(duration: float | None, field: str, cover_ms: int | None) -> None:
    """A cover time must fall inside the video when its duration could be read (unknown
    durations are bounded by the schema's maximum only)."""
    if cover_ms is not None and duration is not None and cover_ms > duration * 1000:
        raise _invalid(field, f"{cover_ms} ms is beyond the end of the {duration:.1f} s video")


def check_video_covers(items: list[MediaItem], kind: str, tiktok: dict[str, Any] | None) -> None:
    """``tiktok.video_cover_timestamp_ms`` against the stored video's duration (the media's
    own ``cover_timestamp_ms`` is checked when the video is ingested)."""
    if kind == "video" and items and tiktok:
        check_cover(
            items[0].duration,
            "tiktok.video_cover_timestamp_ms",
            tiktok.get("video_cover_timestamp_ms"),
        )


def check_media(platforms: set[str], items: list[MediaItem], kind: str) -> None:
    """What the targeted platforms refuse in the ingested media (400 validation_failed)."""
    if kind != "video" or not items:
        return
    video = items[0]
    if video.content_type == "video/x-msvideo":
        for name in ("instagram", "pinterest"):
            if name in platforms:
                raise _invalid(
                    "media.url", f"{name.title()} does not accept AVI videos; send MP4 or MOV"
                )
    if "pinterest" in platforms and video.width and video.height:
        ratio = video.width / video.height
        low, high = PINTEREST_VIDEO_ASPECT
        if not low - 0.005 <= ratio <= high + 0.005:
            raise _invalid(
                "media.url",
                f"the video is {video.width}x{video.height}; Pinterest takes videos between "
                "1:2 and 1.91:1",
            )


def variant_cost(platforms: set[str], items: list[MediaItem], kind: str) -> int:
    """Pixels the variants' decodes hold, summed over slides and platforms (estimated from
    the slides' sizes; JPEGs at the DCT scale a 1080 px variant decodes them at)."""
    if kind != "slideshow":
        return 0
    count = sum(1 for platform in platforms if platform in VARIANTS)
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
    for platform in sorted(platforms):
        if kind == "video":  # the video, then its cover when there is one
            out[platform] = [runtime.storage.url(item.key) for item in items]
        elif platform in VARIANTS:
            out[platform] = VARIANTS[platform](runtime, post_id, items)
        else:
            out[platform] = [runtime.storage.url(item.key) for item in items]
    return out
