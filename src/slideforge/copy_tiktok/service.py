"""Copy a TikTok slideshow: preview (fetch + OCR, cached) and import (a draft slideshow whose
texts are the OCR'd overlays and whose backgrounds come from a pack or a list of images).

Transactions never span slow work (ARCHITECTURE.md): the caller's checks run in a short
transaction that is committed before TikTok is fetched, OCR runs, or images are downloaded,
and each write afterwards is its own short transaction.

Credits: an import costs ``estimate_credits(slides)`` = one credit per two slides, rounded up
(the contract's example: 4 slides, 2 credits). The balance is checked before anything slow
(402), the charge is written before the OCR and slideshow work, and a failure after it writes
the refund (reference ``copy-tiktok:<import id>``) before the error is answered.

Backgrounds: with ``m`` images for ``n`` slides, slide ``i`` gets image ``⌊i·m/n⌋`` when
``m ≥ n`` (spread evenly over the whole pack, in order) and image ``i mod m`` when ``m < n``
(the images repeat in order)."""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.billing import service as billing
from slideforge.copy_tiktok import ocr
from slideforge.copy_tiktok import pool as ocr_pool
from slideforge.copy_tiktok.fetch import (
    DEFAULT_MAX_SLIDES,
    FetchConfig,
    TikTokFetcher,
    TikTokPost,
    parse_tiktok_url,
)
from slideforge.copy_tiktok.schemas import (
    ImportBody,
    ImportedElementOut,
    ImportedSlideshowOut,
    ImportOut,
    MusicOut,
    PreviewBody,
    PreviewOut,
    PreviewSlideOut,
    SourcePostOut,
)
from slideforge.files.service import extension_for, read_media
from slideforge.kit.clock import isoformat
from slideforge.kit.errors import ApiError, invalid_payload
from slideforge.kit.images import ImageError, probe_image
from slideforge.kit.safehttp import FetchError, UnsafeUrlError
from slideforge.kit.storage import StorageError
from slideforge.models import CopyPreview
from slideforge.packs.service import pack_images
from slideforge.products.service import check_reference
from slideforge.runtime import Runtime
from slideforge.slideshows import slides as sl
from slideforge.slideshows.service import check_pack, create_slideshow

log = logging.getLogger(__name__)

PREVIEW_TTL = timedelta(minutes=10)
PREVIEW_PREFIX = "copy-preview"
IMPORT_PREFIX = "copy-import"
SOURCE = "copy_tiktok"
ASPECTS = {"9:16": 9 / 16, "4:5": 4 / 5, "1:1": 1.0}
BACKGROUND_RULE = (
    "m images for n slides: slide i gets image floor(i*m/n) when m >= n (spread evenly over "
    "the images, in order), image i mod m when m < n (the images repeat in order)"
)


def estimate_credits(slide_count: int) -> int:
    """One credit per two slides, rounded up (at least one)."""
    return max(1, math.ceil(slide_count / 2))


def background_indexes(images: int, slides: int) -> list[int]:
    """Which of ``images`` backgrounds each of ``slides`` slides gets (``BACKGROUND_RULE``)."""
    if images <= 0:
        return []
    if images >= slides:
        return [i * images // slides for i in range(slides)]
    return [i % images for i in range(slides)]


def aspect_for(width: int, height: int) -> str:
    """The slideshow aspect ratio closest to a source slide's shape."""
    if width <= 0 or height <= 0:
        return "9:16"
    ratio = width / height
    return min(ASPECTS, key=lambda name: abs(math.log(ASPECTS[name] / ratio)))


def _fetcher(runtime: Runtime) -> TikTokFetcher:
    return TikTokFetcher(
        runtime.http, FetchConfig.from_settings(runtime.settings), clock=runtime.clock
    )


# --------------------------------------------------------------------------- snapshots


@dataclass
class SlideSource:
    """One source slide: where its image is (previews) and what OCR found."""

    index: int
    width: int
    height: int
    elements: list[dict[str, Any]]
    ocr_error: str | None
    key: str | None = None
    url: str | None = None


@dataclass
class Source:
    """A fetched post, from TikTok or from a cached preview."""

    source_url: str
    post_id: str
    total_slides: int
    capped: bool
    post: dict[str, Any]
    slides: list[SlideSource]

    @property
    def slide_count(self) -> int:
        return len(self.slides)


def _post_info(post: TikTokPost) -> dict[str, Any]:
    music = post.music
    return {
        "post_id": post.post_id,
        "url": post.source_url,
        "author": post.author.unique_id,
        "caption": post.caption,
        "hashtags": list(post.hashtags),
        "music": {"id": music.id, "title": music.title, "author": music.author} if music else None,
        "title": post.title,
    }


def _slide_ocr(index: int, result: ocr.SlideOcr) -> SlideSource:
    return SlideSource(
        index=index,
        width=result.width,
        height=result.height,
        elements=[
            {key: value for key, value in e.as_element("").items() if key != "id"}
            for e in result.elements
        ],
        ocr_error=result.error,
    )


def _read(runtime: Runtime, post: TikTokPost) -> list[SlideSource]:
    results = ocr_pool.read(
        runtime.settings,
        [image.data for image in post.images],
        max_pixels=runtime.settings.max_image_pixels,
    )
    slides = []
    for image, result in zip(post.images, results, strict=True):
        slide = _slide_ocr(image.index, result)
        if result.error is not None:
            slide.width, slide.height = image.width, image.height
            slide.ocr_error = (
                f"{image.format.upper()} images cannot be decoded here"
                if image.format in ("heic", "heif", "avif")
                else result.error
            )
        slides.append(slide)
    return slides


def _source_out(post: dict[str, Any]) -> SourcePostOut:
    music = post.get("music")
    return SourcePostOut(
        post_id=str(post["post_id"]),
        url=str(post["url"]),
        author=str(post.get("author") or ""),
        caption=str(post.get("caption") or ""),
        hashtags=[str(h) for h in post.get("hashtags") or []],
        music=MusicOut(**music) if isinstance(music, dict) else None,
        title=post.get("title"),
    )


# --------------------------------------------------------------------------- preview


def _purge_expired(session: Session, runtime: Runtime, workspace_id: uuid.UUID) -> list[str]:
    """Delete this workspace's expired previews; the storage keys of their images (to
    delete once the transaction is committed)."""
    rows = session.scalars(
        sa.select(CopyPreview).where(
            CopyPreview.workspace_id == workspace_id,
            CopyPreview.expires_at <= runtime.clock.now(),
        )
    ).all()
    keys = []
    for row in rows:
        keys += [slide["key"] for slide in row.slides or [] if slide.get("key")]
        session.delete(row)
    return keys


def _delete_objects(runtime: Runtime, keys: list[str]) -> None:
    for key in keys:
        try:
            runtime.storage.delete(key)
        except StorageError:
            log.warning("could not delete %s", key)


def preview(session: Session, runtime: Runtime, caller: Caller, body: PreviewBody) -> PreviewOut:
    """Fetch the post, OCR its slides, keep both for ``PREVIEW_TTL``."""
    session.commit()  # nothing held while TikTok is fetched and the slides are read
    post = _fetcher(runtime).fetch(body.url, max_slides=DEFAULT_MAX_SLIDES)
    preview_id = uuid.uuid4()
    try:
        slides = _read(runtime, post)
        for image, slide in zip(post.images, slides, strict=True):
            key = f"{PREVIEW_PREFIX}/{preview_id}/{image.index}.{extension_for(image.content_type)}"
            runtime.storage.put(key, image.data, image.content_type)
            slide.key, slide.url = key, runtime.storage.url(key)
        now = runtime.clock.now()
        row = CopyPreview(
            id=preview_id,
            workspace_id=caller.workspace_id,
            requested_url=body.url.strip(),
            source_url=post.source_url,
            post_id=post.post_id,
            slide_count=post.slide_count,
            total_slides=post.total_slides,
            capped=post.capped,
            estimated_credits=estimate_credits(post.slide_count),
            post=_post_info(post),
            slides=[slide.__dict__ for slide in slides],
            created_at=now,
            expires_at=now + PREVIEW_TTL,
        )
        expired = _purge_expired(session, runtime, caller.workspace_id)
        session.add(row)
        session.commit()
        _delete_objects(runtime, expired)
    except ApiError:
        raise
    except Exception as exc:
        log.exception("copy-tiktok preview of %s failed", post.source_url)
        raise ApiError(
            "preview_failed",
            f"The post was fetched but its preview could not be built ({type(exc).__name__}); "
            "retry, or import without a preview.",
            500,
        ) from exc
    return PreviewOut(
        preview_id=str(row.id),
        source_url=row.source_url,
        images=[slide.url or "" for slide in slides],
        slide_count=row.slide_count,
        total_slides=row.total_slides,
        capped=row.capped,
        estimated_credits=row.estimated_credits,
        expires_at=isoformat(row.expires_at) or "",
        slides=[
            PreviewSlideOut(
                index=slide.index,
                image_url=slide.url or "",
                width=slide.width,
                height=slide.height,
                text_elements=[ImportedElementOut(**_element_fields(e)) for e in slide.elements],
                ocr_error=slide.ocr_error,
            )
            for slide in slides
        ],
        post=_source_out(row.post),
    )


def _element_fields(element: dict[str, Any]) -> dict[str, Any]:
    fields = ("content", "x", "y", "width", "font_size", "font_family", "style_preset")
    colours = ("text_color", "background_color", "outline_color")
    return {name: element[name] for name in fields} | {
        name: element[name] for name in colours if element.get(name) is not None
    }


def _same_post(url: str, row: CopyPreview) -> bool:
    """Whether ``url`` names the post a preview was made for."""
    if url.strip() == row.requested_url:
        return True
    target = parse_tiktok_url(url)
    return target.kind == "post" and target.post_id == row.post_id


def _cached(
    session: Session, caller: Caller, preview_id: uuid.UUID | None, url: str, now: datetime
) -> Source | None:
    """The preview's snapshot when it exists in this workspace, is unexpired and is for
    ``url``; None otherwise (then the import fetches again)."""
    if preview_id is None:
        return None
    row = session.scalar(
        sa.select(CopyPreview).where(
            CopyPreview.id == preview_id, CopyPreview.workspace_id == caller.workspace_id
        )
    )
    if row is None or row.expires_at <= now or not _same_post(url, row):
        return None
    return Source(
        source_url=row.source_url,
        post_id=row.post_id,
        total_slides=row.total_slides,
        capped=row.capped,
        post=dict(row.post),
        slides=[SlideSource(**slide) for slide in row.slides],
    )


# --------------------------------------------------------------------------- import


@dataclass
class Background:
    url: str
    slide_type: str
    pack_id: str | None = None
    image_id: str | None = None
    image_name: str | None = None


def _download_backgrounds(runtime: Runtime, urls: list[str]) -> list[tuple[bytes, str]]:
    """Fetch ``pack_images`` (our own media from storage, anything else through SafeHttp)
    and check each is an image. 422 naming the entry that failed."""
    out = []
    limit = runtime.settings.max_image_upload_bytes
    for i, url in enumerate(urls):
        field = f"pack_images[{i}]"
        try:
            data = read_media(runtime, url.strip(), max_bytes=limit)
            info = probe_image(
                data,
                runtime.settings.max_image_pixels,
                max_side=runtime.settings.max_image_side,
                max_aspect=runtime.settings.max_image_aspect,
            )
        except UnsafeUrlError as exc:
            raise invalid_payload(field, f"{url} is refused: {exc}") from exc
        except (FetchError, StorageError) as exc:
            raise invalid_payload(field, f"{url} could not be downloaded: {exc}") from exc
        except ImageError as exc:
            raise invalid_payload(field, f"{url} is not a usable image: {exc}") from exc
        out.append((data, info.content_type))
    return out


def _store_backgrounds(
    runtime: Runtime, import_id: uuid.UUID, images: list[tuple[bytes, str]], keys: list[str]
) -> list[str]:
    """Keep the downloaded ``pack_images`` on this server; ``keys`` collects what was stored
    (deleted again if the import fails)."""
    urls = []
    for i, (data, content_type) in enumerate(images):
        key = f"{IMPORT_PREFIX}/{import_id}/{i}.{extension_for(content_type)}"
        keys.append(key)
        runtime.storage.put(key, data, content_type)
        urls.append(runtime.storage.url(key))
    return urls


def _title(body: ImportBody, post: dict[str, Any]) -> str:
    if body.title and body.title.strip():
        return body.title.strip()[:200]
    for candidate in (post.get("title"), (post.get("caption") or "").split("\n", 1)[0]):
        if candidate and str(candidate).strip():
            return str(candidate).strip()[:200]
    return f"Copy of @{post.get('author') or 'tiktok'}'s slideshow"


def _build_slides(
    source: Source, backgrounds: list[Background], settings: dict[str, Any]
) -> list[dict[str, Any]]:
    defaults = sl.TextDefaults.from_settings(settings)
    picks = background_indexes(len(backgrounds), source.slide_count)
    slides = []
    for i, (slide, pick) in enumerate(zip(source.slides, picks, strict=True)):
        background = backgrounds[pick]
        elements = [
            sl.element(e["content"], defaults, is_title=(i == 0 and j == 0), given=e)
            for j, e in enumerate(slide.elements)
        ]
        slides.append(
            sl.new_slide(
                image_url=background.url,
                text_elements=elements,
                slide_type=background.slide_type,
                pack_id=background.pack_id,
                image_id=background.image_id,
                image_name=background.image_name,
            )
        )
    return slides


def import_post(session: Session, runtime: Runtime, caller: Caller, body: ImportBody) -> ImportOut:
    """Create a draft slideshow from a TikTok photo post (see the module docstring)."""
    if body.pack_id is not None and body.pack_images is not None:
        raise ApiError(
            "pack_source_conflict",
            "Send either pack_id or pack_images for the backgrounds, not both.",
            422,
        )
    if body.pack_id is None and body.pack_images is None:
        raise ApiError(
            "pack_source_required",
            "Send the backgrounds: pack_id (one of your packs or a public pack) or pack_images "
            "(1-100 http(s) image URLs).",
            422,
        )
    parse_tiktok_url(body.url)  # 422 invalid_tiktok_url before anything else is looked up

    # 1. references and the cached preview, in one short transaction
    if body.product_id is not None:
        check_reference(session, caller, str(body.product_id))
    backgrounds: list[Background] = []
    if body.pack_id is not None:
        pack = check_pack(session, caller, str(body.pack_id), "pack_id")
        for image in pack_images(session, pack.id):
            backgrounds.append(
                Background(image.url, "image_pack", str(pack.id), str(image.id), image.file_name)
            )
        if not backgrounds:
            raise ApiError(
                "pack_empty",
                f"Pack {pack.id} has no images; add images to it or send pack_images.",
                422,
            )
    source = _cached(session, caller, body.preview_id, body.url, runtime.clock.now())
    used_cached = source is not None
    needed = estimate_credits(source.slide_count) if source is not None else 1
    billing.require_credits(
        session,
        caller.workspace_id,
        runtime.clock.now(),
        runtime.settings.credit_allowance,
        needed,
        work="Copying this slideshow",
    )
    session.commit()

    # 2. slow work that costs nothing yet: the post and the background images
    post: TikTokPost | None = None
    if source is None:
        post = _fetcher(runtime).fetch(body.url, max_slides=DEFAULT_MAX_SLIDES)
        source = Source(
            source_url=post.source_url,
            post_id=post.post_id,
            total_slides=post.total_slides,
            capped=post.capped,
            post=_post_info(post),
            slides=[],
        )
    downloaded = _download_backgrounds(runtime, body.pack_images) if body.pack_images else []
    slide_count = post.slide_count if post is not None else source.slide_count
    credits = estimate_credits(slide_count)

    # 3. the charge, committed before the work
    import_id = uuid.uuid4()
    reference = f"copy-tiktok:{import_id}"
    billing.charge(
        session,
        caller.workspace_id,
        credits,
        reference,
        f"copy TikTok post {source.post_id} ({slide_count} slides)",
        runtime.clock.now(),
        runtime.settings.credit_allowance,
    )
    session.commit()

    # 4. the work; any failure refunds the charge (and drops stored images) before answering
    stored: list[str] = []
    try:
        if post is not None:
            source.slides = _read(runtime, post)
        unreadable = [s for s in source.slides if s.ocr_error]
        if unreadable:
            first = unreadable[0]
            raise ApiError(
                "import_failed",
                f"Slide {first.index + 1} of the post could not be read ({first.ocr_error}); "
                f"nothing was imported and the {credits} credits were refunded.",
                500,
            )
        if downloaded:
            urls = _store_backgrounds(runtime, import_id, downloaded, stored)
            backgrounds = [Background(url, "custom_image") for url in urls]
        first_slide = source.slides[0]
        settings: dict[str, Any] = {
            "image_pack_id": str(body.pack_id) if body.pack_id else None,
            "aspect_ratio": aspect_for(first_slide.width, first_slide.height),
            "advanced_settings": dict(sl.DEFAULT_ADVANCED),
            "pack_assignments": None,
            "copied_from": {
                **source.post,
                "source_url": source.source_url,
                "total_slides": source.total_slides,
                "capped": source.capped,
            },
        }
        slides = _build_slides(source, backgrounds, settings)
        product_id = (
            check_reference(session, caller, str(body.product_id)) if body.product_id else None
        )
        row = create_slideshow(
            session,
            runtime,
            caller,
            title=_title(body, source.post),
            slides=slides,
            settings=settings,
            product_id=product_id,
            source=SOURCE,
        )
        session.commit()
    except BaseException as exc:
        session.rollback()
        billing.refund(
            session,
            caller.workspace_id,
            reference,
            f"copy TikTok import failed: {getattr(exc, 'message', type(exc).__name__)}"[:200],
            runtime.clock.now(),
        )
        session.commit()
        _delete_objects(runtime, stored)
        if isinstance(exc, ApiError):
            raise
        if not isinstance(exc, Exception):
            raise
        log.exception("copy-tiktok import of %s failed", source.source_url)
        raise ApiError(
            "import_failed",
            f"The import failed ({type(exc).__name__}); nothing was created and the {credits} "
            "credits were refunded. Retry.",
            500,
        ) from exc
    return ImportOut(
        slideshow=ImportedSlideshowOut(
            id=str(row.id), title=row.title, status=row.status, slide_count=len(row.slides)
        ),
        source_url=source.source_url,
        slide_count=source.slide_count,
        total_slides=source.total_slides,
        capped=source.capped,
        credits_used=credits,
        used_cached_preview=used_cached,
        background_rule=BACKGROUND_RULE,
        post=_source_out(source.post),
    )
