"""HTTP of /studio (contract §10): the configured AI models, image generation (synchronous)
and video generation (202, then polled)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import Envelope, error_responses, respond
from slideforge.studio import service
from slideforge.studio.schemas import (
    ImageGenerate,
    ImageOut,
    ModelsOut,
    ModeQuery,
    VideoGenerate,
    VideoOut,
)

router = APIRouter(tags=["studio"])

_errors = partial(
    error_responses,
    {
        402: "Not enough credits (insufficient_credits)",
        404: "No such video in this workspace (video_not_found)",
        422: "invalid_payload (an unknown model_id), studio_not_configured, "
        "model_requires_image, model_input_not_supported, invalid_input, "
        "image_url_not_allowed, image_fetch_failed; GET /studio/models: invalid_query",
        500: "The provider failed; the credits were refunded (generation_failed)",
    },
)


@router.get("/studio/models", response_model=Envelope[ModelsOut], responses=_errors(422))
def models(caller: CallerDep, runtime: RuntimeDep, mode: ModeQuery = None) -> JSONResponse:
    """The AI models this server's operator configured (``SLIDEFORGE_STUDIO_PROVIDERS``),
    as ``<provider>/<model>`` with their cost in credits, inputs and params. ``mode``:
    image | video. Without a configured provider ``models`` is empty and ``note`` says
    which setting to set."""
    return respond(service.list_models(runtime.settings, mode))


@router.post(
    "/studio/images/generate",
    response_model=Envelope[ImageOut],
    responses=_errors(402, 422, 500),
)
def generate_image(
    body: ImageGenerate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Make one image (synchronous). With ``image_urls`` (fetched by this server; public
    http(s) URLs or our own media URLs) the model edits or combines them. The image is
    stored as a file of context ``ai-studio`` (``GET /files?context=ai-studio``); add it to
    a pack with ``POST /packs/{id}/images`` and its ``output_url``. Credits are charged
    before the provider call and refunded when it fails (500 generation_failed)."""
    return respond(service.generate_image(session, runtime, caller, body), "Image generated")


@router.post(
    "/studio/videos/generate",
    status_code=202,
    response_model=Envelope[VideoOut],
    responses=_errors(402, 422),
)
def generate_video(
    body: VideoGenerate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Start a video (202, ``status: processing``); poll ``GET /studio/videos/{video_id}``
    until ``succeeded`` (``output_url``: the MP4, also a file of context ``ai-studio``) or
    ``failed`` (``error``; the credits were refunded). ``prediction_id`` is the provider's
    job id, null until the job was submitted."""
    started = service.start_video(session, runtime, caller, body)
    return respond(started, "Video generation started", 202)


@router.get("/studio/videos/{video_id}", response_model=Envelope[VideoOut], responses=_errors(404))
def get_video(
    video_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """A video's status: processing | succeeded | failed."""
    return respond(service.get_video(session, runtime, caller, video_id))
