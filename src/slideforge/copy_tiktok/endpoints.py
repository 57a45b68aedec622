"""HTTP of /slideshows/copy-tiktok (contract §5.9–5.10)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.copy_tiktok import service
from slideforge.copy_tiktok.schemas import ImportBody, ImportOut, PreviewBody, PreviewOut
from slideforge.kit.envelope import Envelope, error_responses, respond

router = APIRouter(tags=["copy-tiktok"])

_TEXT = {
    402: "Not enough credits (insufficient_credits)",
    403: "The product belongs to another member (forbidden_product_access)",
    404: "pack_not_found, product_not_found",
    422: "invalid_payload, invalid_tiktok_url, not_slideshow, pack_empty, pack_source_conflict, "
    "pack_source_required",
    500: "upstream_config_error (TikTok settings), preview_failed / import_failed",
    502: "TikTok could not be fetched (tiktok_fetch_failed)",
}


_errors = partial(error_responses, _TEXT)


@router.post(
    "/slideshows/copy-tiktok/preview",
    response_model=Envelope[PreviewOut],
    responses=_errors(422, 500, 502),
)
def preview(
    body: PreviewBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Fetch a TikTok photo post (at most 8 slides), read the text on its slides and keep
    both for about 10 minutes under ``preview_id``. ``images`` are the slides, served by this
    server; ``slides[].text_elements`` is what an import will create. Errors:
    ``invalid_tiktok_url``, ``not_slideshow`` (422), ``rate_limited`` (429),
    ``tiktok_fetch_failed`` (502), ``upstream_config_error``, ``preview_failed`` (500)."""
    return respond(service.preview(session, runtime, caller, body), "TikTok slideshow preview")


@router.post(
    "/slideshows/copy-tiktok/import",
    status_code=201,
    response_model=Envelope[ImportOut],
    responses=_errors(402, 403, 404, 422, 500, 502),
)
def import_post(
    body: ImportBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Create a draft slideshow from a TikTok photo post: the text on its slides becomes
    editable text elements (same place, size and style), the backgrounds come from
    ``pack_id`` or ``pack_images`` (exactly one). A valid ``preview_id`` of this workspace for
    the same post is reused (``used_cached_preview``); otherwise the post is fetched again.
    Costs one credit per two slides, charged before the work and refunded if it fails."""
    created = service.import_post(session, runtime, caller, body)
    return respond(created, "TikTok slideshow imported", 201)
