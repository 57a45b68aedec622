"""``POST /slideshows/{id}/render``: synchronous, in four steps, holding a database
transaction only for the first and the last:

1. read the slideshow (its ``revision``, slides, aspect ratio), end the transaction;
   and which of its background images have render-ready derivatives for its canvas
   (``files.derivatives``: the renderer's own cover result, raw), end the transaction;
2. fetch every image the slides need, in parallel, through ``read_media`` (our own media
   from storage, anything else through SafeHttp) with a byte cap — a background with a
   derivative is not fetched: its derivative is read instead (by the worker, from the page
   cache, on local storage) —; a failure answers 422 naming the slide, the field and the URL;
3. render the slides in parallel (``slideshows.pool``: worker processes kept between
   requests) and store the JPEGs under ``renders/{slideshow_id}/{render_id}/slide-NN.jpg`` —
   a new ``render_id`` each time, so URLs change on every render and sort in slide order;
4. in one transaction: if the slideshow's revision changed meanwhile, answer 409 and drop the
   new files (the edit wins); otherwise record the files and the results, and delete the
   previous render's files after the commit. Then backgrounds that were read from their
   original get their derivative, in the background, from the bytes already fetched.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.files import derivatives
from slideforge.files.service import media_key_for_url, read_media
from slideforge.kit import pixels
from slideforge.kit.crypto import sha256_hex
from slideforge.kit.errors import ApiError
from slideforge.kit.images import ImageError, check_shape, open_image
from slideforge.kit.safehttp import FetchError, UnsafeUrlError
from slideforge.kit.storage import StorageError
from slideforge.models import File
from slideforge.render import CANVAS_SIZES, RenderedSlide, RenderInputError
from slideforge.runtime import Runtime
from slideforge.slideshows import pool
from slideforge.slideshows import slides as sl
from slideforge.slideshows.pool import Job, Source
from slideforge.slideshows.schemas import SlideshowOut
from slideforge.slideshows.service import (
    discard_render_files,
    get_row,
    purge_storage,
    render_prefix,
    slideshow_out,
)
from slideforge.slideshows.texts import SLIDES_WITHOUT_TEXT, has_text, no_text_message
from slideforge.webhooks import outbox
from slideforge.webhooks.events import slideshow_data

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 25 * 1024 * 1024
#: No new download starts after this; each one is capped by SLIDEFORGE_HTTP_TIMEOUT_SECONDS.
FETCH_BUDGET_SECONDS = 60
FETCH_THREADS = 8
#: The size a slide's images are decoded for (their JPEG DCT scale), for the decode budget.
DECODE_TARGET = (1080, 1080)


@dataclass(frozen=True)
class Use:
    """Where a URL is used first: for error messages."""

    slide: int
    field: str


def _fetch_error(use: Use, url: str, exc: Exception) -> ApiError:
    where = f"slide {use.slide} {use.field} ({url})"
    if isinstance(exc, UnsafeUrlError):
        code = "image_url_not_allowed"
        message = (
            f"{where} cannot be fetched: {exc}. Use a public http(s) URL or upload the image "
            "with POST /files."
        )
    else:
        detail = str(exc)
        if isinstance(exc, FetchError) and exc.reason == "status" and exc.status:
            detail = f"the server answered HTTP {exc.status}"
        code = "image_fetch_failed"
        message = (
            f"{where} could not be downloaded: {detail}. Fix the URL (PATCH the slide) and "
            "render again."
        )
    return ApiError(
        code, message, 422, data={"slide_index": use.slide, "field": use.field, "url": url}
    )


def derivative_url(slide: dict[str, Any]) -> str | None:
    """The URL of the slide's background when a derivative can stand for it: a single
    background (no grid: cells are other sizes) that is not also one of its overlays."""
    url = slide.get("image_url")
    if not url or (slide.get("grid_type") or "").strip():
        return None
    if any(o.get("image_url") == url for o in slide.get("image_overlays") or []):
        return None
    return str(url)


@dataclass
class ImagePlan:
    """What a render reads for each background: derivatives found in step 1."""

    canvas: tuple[int, int] | None
    owners: dict[str, derivatives.Owner] = dataclasses.field(default_factory=dict)
    #: url -> derivative bytes, or the path of the local file holding them
    derived: dict[str, Source] = dataclasses.field(default_factory=dict)


def plan_images(
    session: Session, runtime: Runtime, caller: Caller, slides: list[dict[str, Any]], aspect: str
) -> ImagePlan:
    """Step 1: which backgrounds have (or may get) a derivative for the slides' canvas."""
    plan = ImagePlan(CANVAS_SIZES.get(aspect.strip()))
    if plan.canvas is None or not runtime.settings.render_derivatives:
        return plan
    urls = {url for slide in slides if (url := derivative_url(slide))}
    if urls:
        keys = {url: media_key_for_url(runtime, url) for url in urls}
        plan.owners = derivatives.find(session, caller.workspace_id, keys)
    return plan


def read_derivatives(runtime: Runtime, plan: ImagePlan) -> None:
    """Step 2, for backgrounds with a derivative: its local path (the worker reads it) or
    its bytes. One missing from storage is left out (the original is fetched instead)."""
    if plan.canvas is None:
        return
    for url, owner in plan.owners.items():
        key = owner.key(plan.canvas)
        if key is None:
            continue
        try:
            path = runtime.storage.local_path(key)
            plan.derived[url] = str(path) if path is not None else runtime.storage.read(key)
        except (StorageError, OSError) as exc:
            log.warning("derivative %s unreadable, using the original: %s", key, exc)


def fetch_images(
    runtime: Runtime, slides: list[dict[str, Any]], derived: Mapping[str, object] | None = None
) -> dict[str, bytes]:
    """The original bytes of every image the slides need, except backgrounds read from
    their derivatives (``derived``)."""
    uses: dict[str, Use] = {}
    for i, slide in enumerate(slides):
        skip = derivative_url(slide) if derived else None
        for name, url in sl.image_urls(slide):
            if not (name == "image_url" and url == skip and url in (derived or {})):
                uses.setdefault(url, Use(i, name))

    deadline = time.monotonic() + FETCH_BUDGET_SECONDS

    def fetch(url: str) -> bytes | Exception:
        if time.monotonic() > deadline:  # keep the whole render inside the clients' 120 s
            return FetchError(
                "timeout", f"the slides' images took over {FETCH_BUDGET_SECONDS} s to download"
            )
        try:
            return read_media(runtime, url, max_bytes=MAX_IMAGE_BYTES)
        except (UnsafeUrlError, FetchError, StorageError, OSError) as exc:
            return exc
        except Exception as exc:  # any other failure is still this URL's: say which one
            log.warning("fetching %s failed unexpectedly: %r", url, exc)
            return FetchError("protocol", f"{type(exc).__name__}: {exc}")

    if not uses:
        return {}
    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, max(1, len(uses)))) as pool:
        results = dict(zip(uses, pool.map(fetch, uses), strict=True))
    for url, result in results.items():  # report the first failing slide
        if isinstance(result, Exception):
            raise _fetch_error(uses[url], url, result)
    return {url: data for url, data in results.items() if isinstance(data, bytes)}


def _input_url(slide: dict[str, Any], input_name: str) -> tuple[str, str | None]:
    """Map the renderer's input name back to the slide field and URL."""
    if input_name == "background":
        return "image_url", slide.get("image_url")
    for name, url in sl.image_urls(slide):
        if name == input_name or name.startswith(input_name + "."):
            return name, url
    return input_name, None


def check_input_shapes(
    runtime: Runtime, slides: list[dict[str, Any]], images: dict[str, bytes]
) -> None:
    """Refuse, from the headers and before rendering, an input image whose shape no platform
    takes (SLIDEFORGE_MAX_IMAGE_ASPECT / SLIDEFORGE_MAX_IMAGE_SIDE): 422 invalid_image naming
    the slide, the field and the URL. Overlays (a thin divider is fine) are held to the side
    limit only; unreadable images are left to the renderer's message."""
    settings = runtime.settings
    seen: set[tuple[str, bool]] = set()
    for i, slide in enumerate(slides):
        for field, url in sl.image_urls(slide):
            overlay = field.startswith("image_overlays")
            if (url, overlay) in seen or url not in images:
                continue
            seen.add((url, overlay))
            try:
                width, height = open_image(images[url], settings.max_image_pixels).size
            except ImageError:
                continue
            try:
                check_shape(
                    width,
                    height,
                    max_side=settings.max_image_side,
                    max_aspect=None if overlay else settings.max_image_aspect,
                )
            except ImageError as exc:
                raise ApiError(
                    "invalid_image",
                    f"slide {i} {field} ({url}) cannot be used: {exc}. PATCH the slide with "
                    "another image and render again.",
                    422,
                    data={"slide_index": i, "field": field, "url": url},
                ) from exc


def check_decode_budget(
    runtime: Runtime, slides: list[dict[str, Any]], images: dict[str, bytes], derived: int = 0
) -> None:
    """One render may decode at most SLIDEFORGE_IMAGE_REQUEST_BUDGET_MEGAPIXELS across its
    distinct images (from their headers, before any decoding; JPEGs count at the DCT scale
    they are decoded at; a derivative counts its pixels, ``derived`` in all): over it, 422
    images_too_large naming the largest images."""
    limit = int(runtime.settings.image_request_budget_megapixels * 1_000_000)
    costs: list[tuple[int, int, str, str, tuple[int, int]]] = []
    seen: set[str] = set()
    for i, slide in enumerate(slides):
        for field, url in sl.image_urls(slide):
            if url in seen or url not in images:
                continue
            seen.add(url)
            try:
                image = open_image(images[url], runtime.settings.max_image_pixels)
            except ImageError:
                continue  # the renderer names what is wrong with it
            cost = pixels.decode_cost(image.format, image.size, DECODE_TARGET)
            costs.append((cost, i, field, url, image.size))
    total = derived + sum(cost for cost, *_ in costs)
    if total <= limit:
        return
    costs.sort(key=lambda c: -c[0])
    named = ", ".join(
        f"slide {i} {field} ({url}, {w}x{h})" for _, i, field, url, (w, h) in costs[:3]
    )
    raise ApiError(
        "images_too_large",
        f"the slides' images decode to {total / 1e6:.0f} megapixels together, over this "
        f"server's {limit / 1e6:.0f} per render; the largest: {named}. Use smaller images "
        "(a slide is at most 1080x1920: JPEG or PNG images of about 2000 px are plenty) or "
        "fewer distinct ones.",
        422,
        data={
            "megapixels": round(total / 1e6, 1),
            "limit_megapixels": round(limit / 1e6, 1),
            "images": [
                {"slide_index": i, "field": field, "url": url, "width": w, "height": h}
                for _, i, field, url, (w, h) in costs
            ],
        },
    )


def render_all(
    runtime: Runtime,
    slides: list[dict[str, Any]],
    aspect_ratio: str,
    images: dict[str, bytes],
    plan: ImagePlan | None = None,
) -> list[RenderedSlide]:
    derived = plan.derived if plan is not None else {}
    check_input_shapes(runtime, slides, images)
    canvas = plan.canvas if plan is not None and plan.canvas else (0, 0)
    check_decode_budget(runtime, slides, images, derived=len(derived) * canvas[0] * canvas[1])

    jobs = []
    for slide in slides:
        sources: dict[str, Source] = {}
        background = derivative_url(slide)
        for _, url in sl.image_urls(slide):
            if url == background and url in derived:
                sources[url] = derived[url]
            else:
                sources[url] = images[url]
        jobs.append(Job(slide, aspect_ratio, sources, runtime.settings.max_image_pixels))
    out: list[RenderedSlide] = []
    for i, result in enumerate(pool.render(runtime.settings, jobs)):
        if isinstance(result, RenderInputError):
            field_name, input_url = _input_url(slides[i], result.input_name)
            raise ApiError(
                "invalid_image",
                f"slide {i} {field_name}{f' ({input_url})' if input_url else ''} cannot be "
                f"rendered: {result.message}. Use a JPEG, PNG, WebP or GIF image.",
                422,
                data={"slide_index": i, "field": field_name, "url": input_url},
            ) from result
        if isinstance(result, Exception):
            raise result
        out.append(result)
    return out


def make_missing_derivatives(runtime: Runtime, plan: ImagePlan, images: dict[str, bytes]) -> None:
    """After a render: backgrounds read from their original get their derivative for this
    canvas, in the background, from the bytes the render fetched."""
    if plan.canvas is None:
        return
    for url, owner in plan.owners.items():
        if url not in plan.derived and url in images:
            derivatives.make_later(runtime, owner, images[url], plan.canvas)


def store_renders(
    runtime: Runtime, slideshow_id: uuid.UUID, render_id: uuid.UUID, rendered: list[RenderedSlide]
) -> list[str]:
    keys = [
        f"{render_prefix(slideshow_id)}{render_id}/slide-{i:02d}.jpg" for i in range(len(rendered))
    ]

    def put(item: tuple[str, RenderedSlide]) -> None:
        runtime.storage.put(item[0], item[1].jpeg, "image/jpeg")

    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(keys))) as pool:
        list(pool.map(put, zip(keys, rendered, strict=True)))
    return keys


def render_slideshow(
    session: Session, runtime: Runtime, caller: Caller, slideshow_id: object
) -> SlideshowOut:
    row = get_row(session, caller, slideshow_id)
    slides = [dict(s) for s in row.slides or []]
    if not slides:
        raise ApiError(
            "no_slides",
            "This slideshow has no slides: PATCH it with slides (or generate a new one) "
            "before rendering.",
            422,
        )
    revision, row_id = row.revision, row.id
    aspect_ratio = (row.settings or {}).get("aspect_ratio") or "4:5"
    plan = plan_images(session, runtime, caller, slides, aspect_ratio)
    session.commit()  # no transaction while fetching and rendering

    read_derivatives(runtime, plan)
    images = fetch_images(runtime, slides, plan.derived)
    rendered = render_all(runtime, slides, aspect_ratio, images, plan)
    render_id = uuid.uuid4()
    keys = store_renders(runtime, row_id, render_id, rendered)

    try:
        row = get_row(session, caller, row_id, for_update=True)
    except ApiError:
        purge_storage(runtime, keys)  # deleted while rendering
        raise
    if row.revision != revision:
        session.rollback()
        purge_storage(runtime, keys)
        raise ApiError(
            "slideshow_changed",
            "The slideshow was edited while it rendered, so these images would not match it; "
            "the edit was kept. Render again.",
            409,
        )
    now = runtime.clock.now()
    new_slides = []
    for i, (slide, result, key) in enumerate(zip(slides, rendered, keys, strict=True)):
        file = File(
            workspace_id=row.workspace_id,
            member_id=caller.member_id,
            filename=f"slide-{i:02d}.jpg",
            content_type="image/jpeg",
            context="render",
            status="ready",
            storage_key=key,
            size=len(result.jpeg),
            width=result.width,
            height=result.height,
            sha256=sha256_hex(result.jpeg),
            uploaded_at=now,
        )
        session.add(file)
        session.flush()
        new_slides.append(
            {
                **slide,
                "rendered_image_url": runtime.storage.url(key),
                "rendered_file_id": str(file.id),
                **sl.render_report(result),
            }
        )
    if not has_text(new_slides):
        # Nothing to read on any slide: say so on each one (a post of them is bare images).
        warning = {
            "code": SLIDES_WITHOUT_TEXT,
            "message": no_text_message(len(new_slides)),
            "element_id": None,
            "element_index": None,
        }
        new_slides = [
            {**slide, "warnings": [*(slide.get("warnings") or []), warning]} for slide in new_slides
        ]
    old_keys = discard_render_files(session, row, keep=render_id)
    row.slides = new_slides
    row.status = "rendered"
    row.render_id = render_id
    row.preview_image_url = new_slides[0]["rendered_image_url"]
    row.last_rendered_at = now
    row.updated_at = now
    session.flush()
    out = slideshow_out(row)
    outbox.emit(session, row.workspace_id, "slideshow.rendered", slideshow_data(row), at=now)
    session.commit()
    purge_storage(runtime, old_keys)
    make_missing_derivatives(runtime, plan, images)
    return out
