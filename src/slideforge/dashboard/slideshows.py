"""Slideshows: the gallery (/app/slideshows) and the slide editor (/app/slideshows/{id}).

Reads go through the feature services, scoped to the signed-in caller; every change (generate,
PATCH, render, duplicate, delete, post) is made by the page's script through the Partner API
(``static/slideshows.js``, ``static/editor.js``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, get_args

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from slideforge.accounts import service as accounts
from slideforge.auth.deps import RuntimeDep, SessionDep
from slideforge.auth.service import Caller
from slideforge.dashboard.web import PREFIX, PageDep, render
from slideforge.kit.errors import ApiError
from slideforge.models import Slideshow
from slideforge.packs import service as packs
from slideforge.render import CANVAS_SIZES
from slideforge.render.checks import ZONE_LABELS, ui_zones
from slideforge.slideshows import service as slideshows
from slideforge.slideshows.schemas import (
    FONT_FAMILIES,
    AspectRatio,
    SlideshowOut,
    Status,
    StylePreset,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)

#: Images offered as slide backgrounds in the editor (the workspace's packs, oldest first).
MAX_PICKER_IMAGES = 300
MAX_PICKER_PACKS = 50


def safe_zones(aspect_ratio: str) -> list[dict[str, Any]]:
    """TikTok's interface zones on a slide of this ratio, in percent of the slide: the
    numbers the render's ``ui_zone`` check measures against (render.checks)."""
    width, height = CANVAS_SIZES.get(aspect_ratio, CANVAS_SIZES["4:5"])
    return [
        {
            "name": zone.name,
            "label": ZONE_LABELS[zone.name],
            "x0": round(zone.box.x0 / width * 100, 3),
            "y0": round(zone.box.y0 / height * 100, 3),
            "x1": round(zone.box.x1 / width * 100, 3),
            "y1": round(zone.box.y1 / height * 100, 3),
        }
        for zone in ui_zones(width, height)
    ]


def _gallery_extras(
    session: Session, caller: Caller, ids: list[str]
) -> dict[str, tuple[str | None, str | None]]:
    """Per slideshow of a gallery page: its prompt and its first slide's picture (the render,
    else the background) — what the list summary does not carry."""
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Slideshow.id, Slideshow.original_prompt, Slideshow.slides).where(
            Slideshow.id.in_([uuid.UUID(i) for i in ids]), slideshows.visible(caller)
        )
    )
    extras: dict[str, tuple[str | None, str | None]] = {}
    for row_id, prompt, slides in rows:
        first = (slides or [{}])[0] if slides else {}
        picture = first.get("rendered_image_url") or first.get("image_url")
        extras[str(row_id)] = (prompt, picture)
    return extras


@router.get("/slideshows")
def gallery(
    request: Request,
    page: PageDep,
    session: SessionDep,
    runtime: RuntimeDep,
    status: Annotated[Status | Literal[""], Query()] = "",
    search: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    caller = page.caller
    listed = slideshows.list_slideshows(
        session, caller, limit=limit, offset=offset, status=status or None, search=search
    )
    extras = _gallery_extras(session, caller, [s.id for s in listed.slideshows])
    pack_list = packs.list_packs(
        session, caller, limit=100, offset=0, include_public=True, search=None
    )
    return render(
        request,
        "slideshows/gallery.html",
        page,
        listed=listed,
        extras=extras,
        status_filter=status,
        search=search,
        limit=limit,
        offset=offset,
        statuses=get_args(Status),
        packs=pack_list.packs,
        aspect_ratios=get_args(AspectRatio),
        presets=get_args(StylePreset),
        ai_configured=bool(runtime.settings.ai_base_url),
    )


def _picker_images(session: Session, caller: Caller, shown: SlideshowOut) -> list[dict[str, Any]]:
    """Backgrounds to choose from: the images of the workspace's packs and of the packs this
    slideshow uses (a public pack may be one of them)."""
    pack_ids = [
        str(p.id)
        for p in packs.list_packs(
            session, caller, limit=MAX_PICKER_PACKS, offset=0, include_public=False, search=None
        ).packs
    ]
    used = [shown.settings.image_pack_id, *(shown.settings.pack_assignments or {}).values()]
    used += [slide.pack_id for slide in shown.slides]
    for pack_id in used:
        if pack_id and pack_id not in pack_ids:
            pack_ids.append(pack_id)
    images: list[dict[str, Any]] = []
    for pack_id in pack_ids:
        try:
            detail = packs.get_pack(session, caller, pack_id)
        except ApiError:  # a pack the slideshow names that was deleted or made private
            continue
        for image in detail.images:
            if len(images) >= MAX_PICKER_IMAGES:
                return images
            images.append(
                {
                    "url": image.url,
                    "name": image.file_name,
                    "pack_id": str(detail.id),
                    "pack": detail.name,
                    "description": image.metadata.description,
                }
            )
    return images


@router.get("/slideshows/{slideshow_id}")
def editor(slideshow_id: str, request: Request, page: PageDep, session: SessionDep) -> Response:
    caller = page.caller
    shown = slideshows.get_slideshow(session, caller, slideshow_id)
    width, height = CANVAS_SIZES.get(shown.settings.aspect_ratio, CANVAS_SIZES["4:5"])
    account_list = accounts.list_accounts(session, caller, status=None, platform=None, tag=None)
    data = {
        "slideshow": shown.model_dump(mode="json"),
        "zones": safe_zones(shown.settings.aspect_ratio),
        "presets": list(get_args(StylePreset)),
        "fonts": list(FONT_FAMILIES),
        "images": _picker_images(session, caller, shown),
    }
    return render(
        request,
        "slideshows/editor.html",
        page,
        slideshow=shown,
        data=data,
        accounts=account_list.accounts,
        ratio=f"{width} / {height}",
        ratio_value=round(width / height, 4),
    )
