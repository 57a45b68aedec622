"""``POST /slideshows/{id}/slides/{index}/regenerate``: new texts for one slide from the AI
model. Only the ``content`` of the slide's text elements changes; positions and styles stay.
The AI call runs outside any transaction; if the slideshow was edited meanwhile the new texts
are not written (409 ``slideshow_changed``).

Also what knows whether slides have text at all: the render and post creation warn
``SLIDES_WITHOUT_TEXT`` when none has."""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.files.service import media_key_for_url
from slideforge.kit.errors import ApiError
from slideforge.kit.ids import parse_id
from slideforge.models import Product, Slideshow
from slideforge.runtime import Runtime
from slideforge.slideshows import ai
from slideforge.slideshows import slides as sl
from slideforge.slideshows.schemas import RegenerateBody, RegenerateOut
from slideforge.slideshows.service import (
    RENDER_PREFIX,
    discard_render_files,
    get_row,
    purge_storage,
    slideshow_out,
)

SLIDES_WITHOUT_TEXT = "SLIDES_WITHOUT_TEXT"
_RENDER_KEY = re.compile(rf"^{re.escape(RENDER_PREFIX)}/([0-9a-fA-F-]{{36}})/")


def has_text(slides: list[dict[str, Any]]) -> bool:
    """Whether any slide has a text element with something to show."""
    return any(
        str(element.get("content") or "").strip()
        for slide in slides
        for element in slide.get("text_elements") or []
    )


def no_text_message(slide_count: int) -> str:
    return (
        f"none of the {slide_count} slides has any text: the post will show the images "
        "alone. Add text_elements (PATCH /slideshows/{id}) and render again, unless "
        "image-only slides are intended"
    )


def textless_slideshows(
    session: Session, runtime: Runtime, workspace_id: uuid.UUID, urls: list[str]
) -> list[Slideshow]:
    """The workspace's slideshows whose rendered slide images are among ``urls`` and whose
    slides have no text at all (a post of them goes out as bare images)."""
    ids: list[uuid.UUID] = []
    for url in urls:
        key = media_key_for_url(runtime, url)
        match = _RENDER_KEY.match(key) if key else None
        parsed = parse_id(match.group(1)) if match else None
        if parsed is not None and parsed not in ids:
            ids.append(parsed)
    if not ids:
        return []
    rows = session.scalars(
        sa.select(Slideshow).where(Slideshow.workspace_id == workspace_id, Slideshow.id.in_(ids))
    )
    return [row for row in rows if row.slides and not has_text(list(row.slides))]


def regenerate_slide(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    slideshow_id: object,
    slide_index: int,
    body: RegenerateBody | None,
) -> RegenerateOut:
    row = get_row(session, caller, slideshow_id)
    slides = list(row.slides or [])
    if not 0 <= slide_index < len(slides):
        raise ApiError(
            "slide_not_found",
            f"slide {slide_index} does not exist: this slideshow has {len(slides)} slides "
            f"(indexes 0–{len(slides) - 1})",
            404,
        )
    elements = slides[slide_index].get("text_elements") or []
    if not elements:
        raise ApiError(
            "no_text_elements",
            f"slide {slide_index} has no text elements to rewrite: add one with PATCH "
            "/slideshows/{id} (slides[].text_elements) first.",
            422,
        )
    if not row.original_prompt:
        raise ApiError(
            "no_original_prompt",
            "This slideshow has no original prompt to write from (it was not generated from "
            "one): edit the texts with PATCH /slideshows/{id} instead.",
            422,
        )
    ai.require_configured(runtime.settings, ai.REGENERATE)
    product = session.get(Product, row.product_id) if row.product_id else None
    brief = ai.Brief(
        row.original_prompt,
        row.language,
        row.slideshow_type,
        {"name": product.name, "description": product.description, "url": product.url}
        if product
        else None,
    )
    current = [[str(e.get("content") or "") for e in s.get("text_elements") or []] for s in slides]
    revision, row_id = row.revision, row.id
    session.commit()  # no transaction while the AI writes

    texts = ai.regenerate_slide(
        runtime.settings,
        brief,
        slide_index=slide_index,
        slide_texts=current,
        instruction=body.instruction if body else None,
    )
    row = get_row(session, caller, row_id, for_update=True)
    if row.revision != revision:
        raise ApiError(
            "slideshow_changed",
            "The slideshow was edited while the AI wrote; nothing was changed. Try again.",
            409,
        )
    slides = list(row.slides or [])
    slide = dict(slides[slide_index])
    slide["text_elements"] = [
        {**e, "content": text} for e, text in zip(slide["text_elements"], texts, strict=True)
    ]
    slides[slide_index] = slide
    # New text means new pictures: back to draft, rendered images cleared.
    row.slides = [sl.clear_render(s) for s in slides]
    row.status = "draft"
    row.preview_image_url = None
    row.last_rendered_at = None
    row.render_id = None
    purge = discard_render_files(session, row)
    row.revision += 1
    row.updated_at = runtime.clock.now()
    session.flush()
    out = RegenerateOut(slide_index=slide_index, slideshow=slideshow_out(row))
    session.commit()
    purge_storage(runtime, purge)
    return out
