"""Rules and queries of slideshows: read, list, PATCH (serialised, with an optional optimistic
``revision`` check), duplicate, delete, and the helpers generation, rendering and templates
share.

Visibility follows products: a slideshow made with a workspace key belongs to the workspace;
one made with a personal key belongs to that member."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.files.derivatives import keys_of
from slideforge.files.service import media_key_for_url
from slideforge.kit.clock import isoformat
from slideforge.kit.db import on_commit
from slideforge.kit.envelope import Deleted
from slideforge.kit.errors import ApiError, invalid_payload, not_found
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import fetch_page, newest_first, text_search
from slideforge.kit.safehttp import UnsafeUrlError
from slideforge.models import File, Pack, Slideshow, SlideshowVideo
from slideforge.packs.service import readable_pack
from slideforge.products.service import check_reference
from slideforge.publishing.media import POST_VIDEO_SECONDS
from slideforge.runtime import Runtime
from slideforge.slideshows import slides as sl
from slideforge.slideshows.schemas import (
    SettingsIn,
    SlideshowList,
    SlideshowOut,
    SlideshowPatch,
    SlideshowSummary,
    VideoError,
    VideoOut,
    VideoSettingsOut,
)

log = logging.getLogger(__name__)

RENDER_PREFIX = "renders"
VIDEO_PREFIX = "videos"
VIDEO_CONTEXT = "slideshow-video"


def render_prefix(slideshow_id: uuid.UUID) -> str:
    return f"{RENDER_PREFIX}/{slideshow_id}/"


def visible(caller: Caller) -> sa.ColumnElement[bool]:
    return sa.and_(
        Slideshow.workspace_id == caller.workspace_id,
        sa.or_(Slideshow.member_id.is_(None), Slideshow.member_id == caller.member_id),
    )


def get_row(
    session: Session, caller: Caller, slideshow_id: object, *, for_update: bool = False
) -> Slideshow:
    """The caller's slideshow, or 404. ``for_update`` locks the row (PostgreSQL; SQLite
    transactions are serialised already) so read-modify-write cannot lose an update."""
    parsed = parse_id(slideshow_id)
    if parsed is None:
        raise not_found("slideshow")
    query = sa.select(Slideshow).where(Slideshow.id == parsed, visible(caller))
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalar(query)
    if row is None:
        raise not_found("slideshow")
    return row


def rendered_urls(slides: list[dict[str, Any]]) -> list[str]:
    return [s["rendered_image_url"] for s in slides if s.get("rendered_image_url")]


def _summary_fields(row: Slideshow, slides: list[dict[str, Any]]) -> dict[str, Any]:
    """What a slideshow's summary (the list) and its full view both say of it."""
    return {
        "id": str(row.id),
        "title": row.title,
        "status": row.status,
        "slideshow_type": row.slideshow_type,
        "product_id": str(row.product_id) if row.product_id else None,
        "preview_image_url": row.preview_image_url,
        "slide_count": len(slides),
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def video_out(video: SlideshowVideo | None, revision: int) -> VideoOut:
    """A slideshow's video as answers show it (status none when it has none)."""
    if video is None:
        return VideoOut()
    settings = video.settings or {}
    error = (
        VideoError(code=video.error_code, message=video.error_message or "")
        if video.error_code
        else None
    )
    return VideoOut(
        status=video.status,
        progress=round(video.progress or 0.0, 3),
        url=video.url,
        file_id=str(video.file_id) if video.file_id else None,
        duration=video.duration_seconds,
        width=video.width,
        height=video.height,
        stale=video.slideshow_revision is not None and video.slideshow_revision != revision,
        error=error,
        settings=VideoSettingsOut(
            seconds_per_slide=int(settings.get("seconds_per_slide", 3)),
            transition=str(settings.get("transition", "crossfade")),
            motion=str(settings.get("motion", "none")),
            fps=int(settings.get("fps", 30)),
            audio_file_id=settings.get("audio_file_id"),
        ),
        started_at=isoformat(video.started_at),
        finished_at=isoformat(video.finished_at),
        **postable(video.duration_seconds),
    )


def postable(duration: float | None) -> dict[str, Any]:
    """Whether posts take a video of ``duration`` seconds, and what to change if not."""
    if duration is None:
        return {}
    low, high = POST_VIDEO_SECONDS
    if low <= duration <= high:
        return {"postable": True}
    fix = "more slides or seconds_per_slide" if duration < low else "fewer slides or seconds"
    return {
        "postable": False,
        "note": f"posts take videos of {low}–{high} s and this one is {duration:g} s: "
        f"make it again with {fix}",
    }


def video_row(session: Session, slideshow_id: uuid.UUID) -> SlideshowVideo | None:
    return session.scalar(
        sa.select(SlideshowVideo).where(SlideshowVideo.slideshow_id == slideshow_id)
    )


def slideshow_out(row: Slideshow) -> SlideshowOut:
    slides = list(row.slides or [])
    session = Session.object_session(row)
    video = video_row(session, row.id) if session is not None else None
    return SlideshowOut(
        **_summary_fields(row, slides),
        language=row.language,
        template_id=str(row.template_id) if row.template_id else None,
        original_prompt=row.original_prompt,
        source=row.source,
        copied_from=(row.settings or {}).get("copied_from"),
        rendered_image_urls=rendered_urls(slides),
        last_rendered_at=isoformat(row.last_rendered_at),
        revision=row.revision,
        settings=sl.settings_out(row.settings or {}, row.slideshow_type),
        slides=[sl.slide_out(i, s) for i, s in enumerate(slides)],
        video=video_out(video, row.revision),
    )


def summary(row: Slideshow) -> SlideshowSummary:
    slides = list(row.slides or [])
    return SlideshowSummary(
        **_summary_fields(row, slides), has_rendered_slide=bool(rendered_urls(slides))
    )


def list_slideshows(
    session: Session,
    caller: Caller,
    *,
    limit: int,
    offset: int,
    status: str | None,
    search: str | None,
) -> SlideshowList:
    query = sa.select(Slideshow).where(visible(caller), text_search(search, Slideshow.title))
    if status:
        query = query.where(Slideshow.status == status)
    total, rows = fetch_page(session, query, *newest_first(Slideshow), limit=limit, offset=offset)
    return SlideshowList(
        slideshows=[summary(r) for r in rows], total=total, limit=limit, offset=offset
    )


def get_slideshow(session: Session, caller: Caller, slideshow_id: object) -> SlideshowOut:
    return slideshow_out(get_row(session, caller, slideshow_id))


def check_image_url(runtime: Runtime, url: str, field: str, code: str = "invalid_payload") -> str:
    """Refuse URLs SafeHttp would never fetch (literal private addresses…); our own media URLs
    are always fine. Returns the URL trimmed."""
    url = url.strip()
    try:
        if media_key_for_url(runtime, url) is None:
            runtime.http.policy.check_literal(url)
    except UnsafeUrlError as exc:
        raise ApiError(code, f"{field}: {exc}", 422, data={"field": field}) from exc
    return url


def check_pack(session: Session, caller: Caller, pack_id: str, where: str) -> Pack:
    """A pack the caller can read (own or public), else 404 pack_not_found."""
    try:
        return readable_pack(session, caller, pack_id)
    except ApiError as exc:
        raise ApiError(
            "pack_not_found",
            f"{where}: pack {pack_id.strip()} not found (it must be one of your packs or a "
            "public pack)",
            404,
        ) from exc


def _slide_urls(runtime: Runtime, slides: list[dict[str, Any]]) -> None:
    for i, slide in enumerate(slides):
        for name, url in sl.image_urls(slide):
            check_image_url(runtime, url, f"slides[{i}].{name}")


def _check_slides(runtime: Runtime, body: SlideshowPatch) -> None:
    for i, item in enumerate(body.slides or []):
        if not item.image_url and not (item.grid_type and item.grid_images):
            raise invalid_payload(
                f"slides[{i}].image_url",
                "is required (or give the background with grid_type and grid_images)",
            )
        if item.grid_images and not item.grid_type:
            raise invalid_payload(
                f"slides[{i}].grid_type", "is required with grid_images (2x2, 1+2, …)"
            )


def _pack_ref(session: Session, caller: Caller, pack_id: str, known: object, where: str) -> str:
    """A pack id of a PATCH, canonical. The value the slideshow already has is kept as is (a
    GET → PATCH round trip must work after that pack was deleted); a new one must exist."""
    parsed = parse_id(pack_id)
    if parsed is not None and str(parsed) == known:
        return str(parsed)
    return str(check_pack(session, caller, pack_id, where).id)


def _merge_settings(
    session: Session, caller: Caller, current: dict[str, Any], patch: SettingsIn
) -> dict[str, Any]:
    merged = dict(current)
    if patch.image_pack_id is not None:
        pack_id = patch.image_pack_id.strip()
        if pack_id:
            pack_id = _pack_ref(
                session, caller, pack_id, current.get("image_pack_id"), "settings.image_pack_id"
            )
        merged["image_pack_id"] = pack_id or None
    if patch.aspect_ratio is not None:
        merged["aspect_ratio"] = patch.aspect_ratio
    if patch.advanced_settings is not None:
        advanced = dict(current.get("advanced_settings") or sl.DEFAULT_ADVANCED)
        advanced.update(patch.advanced_settings.model_dump(exclude_none=True))
        merged["advanced_settings"] = advanced
    if patch.pack_assignments is not None:
        assignments: dict[str, str] = {}
        for key, pack_id in patch.pack_assignments.items():
            if not key.isdigit() or not key.isascii():
                raise invalid_payload(
                    f'settings.pack_assignments["{key[:20]}"]', "keys are slide indexes: 0, 1, …"
                )
            where = f'settings.pack_assignments["{key}"]'
            known = (current.get("pack_assignments") or {}).get(str(int(key)))
            assignments[str(int(key))] = _pack_ref(session, caller, pack_id, known, where)
        merged["pack_assignments"] = assignments or None
    return merged


def _conflict(expected: int, current: int) -> ApiError:
    return ApiError(
        "conflict",
        f"The slideshow changed since you read it (your revision {expected}, now {current}): "
        "GET it again, re-apply your change and retry.",
        409,
        data={"revision": current},
    )


def update_slideshow(
    session: Session, runtime: Runtime, caller: Caller, slideshow_id: object, body: SlideshowPatch
) -> SlideshowOut:
    """Apply a partial update; render files that no longer belong to the slideshow are
    deleted once it committed."""
    row = get_row(session, caller, slideshow_id, for_update=True)
    sent = body.model_fields_set
    fields = {k for k in sent if k == "product_id" or getattr(body, k) is not None}
    fields.discard("revision")
    if not fields:
        raise invalid_payload(
            "body",
            "send at least one of title, status, slideshow_type, product_id, settings, slides",
        )
    if body.revision is not None and body.revision != row.revision:
        raise _conflict(body.revision, row.revision)
    _check_slides(runtime, body)

    settings = dict(row.settings or {})
    if body.settings is not None:
        settings = _merge_settings(session, caller, settings, body.settings)
        if body.settings.slideshow_type is not None and body.slideshow_type is None:
            row.slideshow_type = body.settings.slideshow_type
    if body.title is not None:
        row.title = body.title
    if body.slideshow_type is not None:
        row.slideshow_type = body.slideshow_type
    if "product_id" in fields:
        row.product_id = (
            check_reference(session, caller, body.product_id) if body.product_id else None
        )

    slides = list(row.slides or [])
    reset = settings.get("aspect_ratio") != (row.settings or {}).get("aspect_ratio")
    if body.slides is not None:
        defaults = sl.TextDefaults.from_settings(settings)
        new = [sl.slide_from_input(item, i, defaults) for i, item in enumerate(body.slides)]
        _slide_urls(runtime, new)
        if [sl.render_inputs(s) for s in new] != [sl.render_inputs(s) for s in slides]:
            slides, reset = new, True
        else:  # same pictures: keep the render, take the provenance fields sent
            slides = [{**n, **sl.render_outputs(o)} for n, o in zip(new, slides, strict=True)]
    if reset:
        slides = [sl.clear_render(s) for s in slides]
        row.status = "draft"
        row.preview_image_url = None
        row.last_rendered_at = None
        row.render_id = None
        purge_after_commit(session, runtime, discard_render_files(session, row))
    if body.status is not None:
        row.status = body.status
    row.settings = settings
    row.slides = slides
    row.revision += 1
    row.updated_at = runtime.clock.now()
    session.flush()
    return slideshow_out(row)


def create_slideshow(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    *,
    title: str,
    slides: list[dict[str, Any]],
    settings: dict[str, Any],
    slideshow_type: str = "educational",
    language: str = "en",
    product_id: uuid.UUID | None = None,
    template_id: uuid.UUID | None = None,
    original_prompt: str | None = None,
    source: str = "partner_api",
) -> Slideshow:
    """Insert a draft slideshow. ``slides`` in stored form (see :mod:`slideshows.slides`);
    generation and copy-a-TikTok imports both come through here."""
    now = runtime.clock.now()
    row = Slideshow(
        workspace_id=caller.workspace_id,
        member_id=caller.member_id,
        title=title[:200] or "Untitled slideshow",
        status="draft",
        slideshow_type=slideshow_type,
        language=language,
        product_id=product_id,
        template_id=template_id,
        original_prompt=original_prompt,
        source=source,
        settings=settings,
        slides=[sl.clear_render(s) for s in slides],
        revision=1,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def copy_slideshow(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    original: Slideshow,
    *,
    title: str,
    slides: list[dict[str, Any]] | None = None,
    source: str | None = None,
) -> Slideshow:
    """A new, unrendered slideshow with ``original``'s settings and references, its slides
    (or ``slides``) without their renders."""
    return create_slideshow(
        session,
        runtime,
        caller,
        title=title[:200],
        slides=[sl.clear_render(s) for s in (original.slides if slides is None else slides) or []],
        settings=dict(original.settings or {}),
        slideshow_type=original.slideshow_type,
        language=original.language,
        product_id=original.product_id,
        template_id=original.template_id,
        original_prompt=original.original_prompt,
        source=source or original.source,
    )


def duplicate_slideshow(
    session: Session, runtime: Runtime, caller: Caller, slideshow_id: object
) -> SlideshowOut:
    original = get_row(session, caller, slideshow_id)
    copy = copy_slideshow(session, runtime, caller, original, title=f"Copy of {original.title}")
    return slideshow_out(copy)


def discard_render_files(
    session: Session, row: Slideshow, keep: uuid.UUID | None = None
) -> list[str]:
    """Delete the file rows of this slideshow's renders (except render ``keep``); returns
    their storage keys, to delete once the transaction committed."""
    prefix = render_prefix(row.id)
    query = sa.select(File).where(
        File.workspace_id == row.workspace_id,
        File.context == "render",
        File.storage_key.startswith(prefix, autoescape=True),
    )
    if keep is not None:
        query = query.where(~File.storage_key.startswith(f"{prefix}{keep}/", autoescape=True))
    files = list(session.scalars(query))
    for file in files:
        session.delete(file)
    session.flush()
    # a rendered slide used as another slide's background may have derivatives
    return [key for file in files for key in (file.storage_key, *keys_of(file.derivatives))]


def video_prefix(slideshow_id: uuid.UUID) -> str:
    return f"{VIDEO_PREFIX}/{slideshow_id}/"


def discard_video_files(session: Session, row: Slideshow) -> list[str]:
    """Delete the file rows of this slideshow's videos (``slideshows.video``); their storage
    keys, to delete once the transaction committed."""
    files = list(
        session.scalars(
            sa.select(File).where(
                File.workspace_id == row.workspace_id,
                File.context == VIDEO_CONTEXT,
                File.storage_key.startswith(video_prefix(row.id), autoescape=True),
            )
        )
    )
    for file in files:
        session.delete(file)
    session.flush()
    return [file.storage_key for file in files]


def purge_storage(runtime: Runtime, keys: Iterable[str]) -> None:
    """Delete stored bytes whose rows are gone; failures are logged, never raised."""
    for key in keys:
        try:
            runtime.storage.delete(key)
        except Exception as exc:  # StorageError, OSError, S3 client errors: never fatal here
            log.warning("could not delete %s: %s", key, exc)


def purge_after_commit(session: Session, runtime: Runtime, keys: list[str]) -> None:
    """Delete these stored files once the transaction that dropped their rows commits
    (never before: a rollback brings the rows back, and they must still have their bytes)."""
    if keys:
        on_commit(session, partial(purge_storage, runtime, keys))


def delete_slideshow(
    session: Session, runtime: Runtime, caller: Caller, slideshow_id: object
) -> Deleted:
    row = get_row(session, caller, slideshow_id, for_update=True)
    purge_after_commit(session, runtime, discard_render_files(session, row))
    purge_after_commit(session, runtime, discard_video_files(session, row))
    session.delete(row)
    session.flush()
    return Deleted(id=row.id)
