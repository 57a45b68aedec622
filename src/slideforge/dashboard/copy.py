"""Copy a TikTok: paste a photo-post URL, see each original slide beside the slide an import
rebuilds (its text read into editable elements), choose a pack for the backgrounds, import.

The page lists the packs the caller can use (the packs service, as ``GET /packs`` with
public packs); the preview and the import are Partner API calls from the browser
(static/copy.js: ``POST /slideshows/copy-tiktok/preview`` and ``/import``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from slideforge.auth.deps import SessionDep
from slideforge.dashboard.web import PREFIX, PageDep, render
from slideforge.packs import service as packs

router = APIRouter(prefix=PREFIX, include_in_schema=False)

# The pack chooser lists this many packs (the API's page size limit), newest first.
PACK_CHOICES = 100


@router.get("/copy")
def copy_page(
    request: Request,
    page: PageDep,
    session: SessionDep,
    url: Annotated[str, Query(max_length=2048)] = "",
) -> HTMLResponse:
    found = packs.list_packs(
        session, page.caller, limit=PACK_CHOICES, offset=0, include_public=True, search=None
    )
    return render(
        request,
        "copy/index.html",
        page,
        url=url,
        own_packs=[pack for pack in found.packs if pack.is_owner],
        public_packs=[pack for pack in found.packs if not pack.is_owner],
        more_packs=found.total > len(found.packs),
    )
