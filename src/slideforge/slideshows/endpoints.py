"""HTTP of /slideshows (contract §5.1–5.8)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import Deleted, Envelope, error_responses, respond
from slideforge.kit.pagination import PageDep
from slideforge.slideshows import generation, rendering, service, video
from slideforge.slideshows.schemas import (
    GenerateBody,
    RegenerateBody,
    RegenerateOut,
    SlideshowList,
    SlideshowOut,
    SlideshowPatch,
    Status,
    VideoBody,
)
from slideforge.slideshows.texts import regenerate_slide

router = APIRouter(tags=["slideshows"])


_errors = partial(
    error_responses,
    {
        403: "Forbidden (forbidden_product_access)",
        409: "Conflict (conflict, slideshow_changed, video_in_progress)",
        502: "The AI model failed (ai_failed)",
    },
)


@router.post(
    "/slideshows/generate",
    response_model=Envelope[SlideshowOut],
    responses=_errors(403, 502),
)
def generate(
    body: GenerateBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Create a draft slideshow. Manual mode (``skip_ai: true``) builds it from
    ``slide_config``; AI mode writes the texts with the configured model
    (``422 ai_not_configured`` without one). Errors: ``invalid_slide_config``,
    ``pack_required``, ``pack_not_found``, ``pack_empty``, ``product_not_found``,
    ``forbidden_product_access``, ``template_not_found``, ``prompt_required``, ``ai_failed``."""
    created = generation.generate(session, runtime, caller, body)
    return respond(created, "Slideshow generated")


@router.get("/slideshows", response_model=Envelope[SlideshowList])
def list_slideshows(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    status: Status | None = None,
    search: Annotated[str | None, Query(max_length=200, description="matches the title")] = None,
) -> JSONResponse:
    result = service.list_slideshows(
        session, caller, limit=page.limit, offset=page.offset, status=status, search=search
    )
    return respond(result)


@router.get("/slideshows/{slideshow_id}", response_model=Envelope[SlideshowOut])
def get_slideshow(slideshow_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.get_slideshow(session, caller, slideshow_id))


@router.patch(
    "/slideshows/{slideshow_id}",
    response_model=Envelope[SlideshowOut],
    responses=_errors(403, 409),
)
def update_slideshow(
    slideshow_id: str,
    body: SlideshowPatch,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    """Partial update. Changing ``slides`` or the aspect ratio sets the slideshow back to
    draft and clears its rendered images. ``revision`` (optional) makes the update conditional:
    409 ``conflict`` when the slideshow changed since that revision."""
    result = service.update_slideshow(session, runtime, caller, slideshow_id, body)
    return respond(result, "Slideshow updated")


@router.post(
    "/slideshows/{slideshow_id}/render",
    response_model=Envelope[SlideshowOut],
    responses=_errors(409),
)
def render(
    slideshow_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Render every slide (synchronously) to a JPEG. No body. Errors: ``no_slides``,
    ``image_fetch_failed``, ``image_url_not_allowed``, ``invalid_image`` (each naming the
    slide and URL), ``409 slideshow_changed`` when it was edited meanwhile."""
    result = rendering.render_slideshow(session, runtime, caller, slideshow_id)
    return respond(result, "Slideshow rendered")


@router.post(
    "/slideshows/{slideshow_id}/video",
    status_code=202,
    response_model=Envelope[SlideshowOut],
    responses=_errors(409),
)
def make_video(
    slideshow_id: str,
    body: VideoBody,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    """Start making the slideshow's video (1080 wide H.264 MP4, AAC audio when
    ``audio_file_id`` is given, the slideshow's aspect ratio): 202 with the slideshow, whose
    ``video`` shows ``status`` queued → rendering → succeeded | failed and ``progress``
    (0-1); poll ``GET /slideshows/{id}``. The slides are rendered first when they need it.
    Errors: ``no_slides``, ``audio_file_not_found`` (404), ``audio_stream_missing``,
    ``invalid_audio_file``, ``409 video_in_progress`` while one is queued or rendering."""
    result = video.start_video(session, runtime, caller, slideshow_id, body)
    return respond(result, "Video started", 202)


@router.post(
    "/slideshows/{slideshow_id}/slides/{slide_index}/regenerate",
    response_model=Envelope[RegenerateOut],
    responses=_errors(409, 502),
)
def regenerate(
    slideshow_id: str,
    slide_index: Annotated[int, Path(ge=0, le=1000, description="0-based")],
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: RegenerateBody | None = None,
) -> JSONResponse:
    """Rewrite one slide's texts with the AI model (positions and styles stay)."""
    result = regenerate_slide(session, runtime, caller, slideshow_id, slide_index, body)
    return respond(result, "Slide regenerated")


@router.post(
    "/slideshows/{slideshow_id}/duplicate",
    status_code=201,
    response_model=Envelope[SlideshowOut],
)
def duplicate(
    slideshow_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """A draft copy ("Copy of …") without the rendered images. No body."""
    result = service.duplicate_slideshow(session, runtime, caller, slideshow_id)
    return respond(result, "Slideshow duplicated", 201)


@router.delete("/slideshows/{slideshow_id}", response_model=Envelope[Deleted])
def delete_slideshow(
    slideshow_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    result = service.delete_slideshow(session, runtime, caller, slideshow_id)
    return respond(result, "Slideshow deleted")
