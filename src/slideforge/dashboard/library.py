"""Packs & files: the workspace's packs (and public packs of others, read-only), its uploaded
files, and one pack's images with their computed metadata.

Reads call the packs and files services with the page's caller (so they see exactly what the
API shows that key); every change (create, rename, publish, delete, upload, add and remove an
image) is a Partner API call from the browser (static/library.js)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from slideforge.auth.deps import RuntimeDep, SessionDep
from slideforge.dashboard.web import PREFIX, PageDep, render
from slideforge.files import service as files
from slideforge.files.schemas import IMAGE_CONTENT_TYPES, FileItem
from slideforge.packs import service as packs
from slideforge.packs.schemas import PackDetail, PackImageOut

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PACKS_PER_PAGE = 24
FILES_PER_PAGE = 20
# The pack page re-reads its images every POLL_SECONDS while metadata is being computed, at
# most POLL_ROUNDS times (then it says so and stops).
POLL_SECONDS = 3
POLL_ROUNDS = 100
WORKING = ("pending", "processing")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def human_size(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover (the loop always returns)


def when(iso: str | None) -> str:
    """``2026-09-01T12:00:00Z`` as ``2026-09-01 12:00 UTC`` (the API's times are UTC)."""
    if not iso:
        return "—"
    return iso[:16].replace("T", " ") + " UTC"


@dataclass(frozen=True)
class Paging:
    """One list's page: where it starts, and the links to its neighbours (the page's other
    query parameters kept)."""

    offset: int
    limit: int
    total: int
    param: str
    query: tuple[tuple[str, str], ...]

    def _url(self, offset: int) -> str:
        kept = [(k, v) for k, v in self.query if k != self.param]
        return "?" + urlencode([*kept, (self.param, str(offset))])

    @property
    def previous(self) -> str | None:
        return self._url(max(0, self.offset - self.limit)) if self.offset > 0 else None

    @property
    def next(self) -> str | None:
        end = self.offset + self.limit
        return self._url(end) if end < self.total else None

    @property
    def first(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.offset + self.limit)


def file_row(item: FileItem) -> dict[str, Any]:
    kind = item.contentType.split("/", 1)[0]
    return {
        "item": item,
        "kind": kind,
        "size": human_size(item.size),
        "dimensions": f"{item.width}×{item.height}" if item.width and item.height else "—",
        "duration": f"{item.durationSeconds:.1f} s" if item.durationSeconds else "",
        "created": when(item.createdAt),
    }


def image_view(image: PackImageOut) -> dict[str, Any]:
    meta = image.metadata
    colours = [
        {"hex": str(c.get("hex")), "share": c.get("share")}
        for c in meta.dominant_colors
        if HEX_COLOUR.match(str(c.get("hex", "")))
    ]
    return {
        "image": image,
        "meta": meta,
        "working": meta.status in WORKING,
        "dimensions": f"{meta.width}×{meta.height}" if meta.width and meta.height else "",
        "colours": colours,
        "calm": (meta.calm_region or {}).get("position"),
        "added": when(image.created_at),
        "generated": when(meta.generated_at) if meta.generated_at else "",
    }


def _images_context(request: Request, pack: PackDetail, round_: int) -> dict[str, Any]:
    views = [image_view(image) for image in pack.images]
    working = any(view["working"] for view in views)
    return {
        "pack": pack,
        "images": views,
        "poll": working and round_ < POLL_ROUNDS,
        "poll_gave_up": working and round_ >= POLL_ROUNDS,
        "poll_seconds": POLL_SECONDS,
        "next_round": round_ + 1,
    }


@router.get("/library")
def library(
    request: Request,
    page: PageDep,
    session: SessionDep,
    runtime: RuntimeDep,
    offset: Offset = 0,
    files_offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=200)] = None,
    type: Annotated[str | None, Query(pattern="^(|image|video|audio)$")] = None,
    mine: Annotated[str | None, Query(pattern="^1?$")] = None,
) -> HTMLResponse:
    include_public = mine != "1"  # public packs of other workspaces too (read-only)
    pack_list = packs.list_packs(
        session,
        page.caller,
        limit=PACKS_PER_PAGE,
        offset=offset,
        include_public=include_public,
        search=q,
    )
    file_list = files.list_files(
        session,
        runtime,
        page.caller,
        limit=FILES_PER_PAGE,
        offset=files_offset,
        media_type=type or None,
        context=None,
    )
    query = tuple(request.query_params.multi_items())
    return render(
        request,
        "library/index.html",
        page,
        packs=pack_list.packs,
        packs_paging=Paging(offset, PACKS_PER_PAGE, pack_list.total, "offset", query),
        files=[file_row(item) for item in file_list.files],
        files_paging=Paging(files_offset, FILES_PER_PAGE, file_list.total, "files_offset", query),
        q=q or "",
        type=type or "",
        include_public=include_public,
    )


@router.get("/library/packs/{pack_id}")
def pack_page(request: Request, pack_id: str, page: PageDep, session: SessionDep) -> HTMLResponse:
    """One pack (own, or public of another workspace: read-only); 404 for anything else."""
    pack = packs.get_pack(session, page.caller, pack_id)
    return render(
        request,
        "library/pack.html",
        page,
        accept=",".join(IMAGE_CONTENT_TYPES),
        created=when(pack.created_at),
        **_images_context(request, pack, 0),
    )


@router.get("/library/packs/{pack_id}/images")
def pack_images(
    request: Request,
    pack_id: str,
    page: PageDep,
    session: SessionDep,
    round: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    """The images of a pack (a fragment the page swaps in after a change and while their
    metadata is being computed)."""
    pack = packs.get_pack(session, page.caller, pack_id)
    return render(request, "library/_images.html", page, **_images_context(request, pack, round))
