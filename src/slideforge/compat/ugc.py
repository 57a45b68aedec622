"""UGC Inc-compatible post calls (seeds/001): ``POST /ugc/post/slideshow`` and
``/ugc/post/video`` with camelCase fields. ``accountId: null`` lets the server choose the
account: ``strict: true`` keeps the exact time and takes the least recently posted free
account; ``strict: false`` takes the account whose next free slot is nearest and schedules
the post there. ``tag``, ``user_group`` and ``org_group`` filter the candidates. Same
envelope and errors as /posts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import ERROR_RESPONSES, Envelope, respond
from slideforge.kit.errors import ApiError
from slideforge.kit.validation import RequestBody, Url
from slideforge.posts import service
from slideforge.posts.schemas import PostCreate, PostOut

router = APIRouter(prefix="/ugc", tags=["compat: UGC"], responses=ERROR_RESPONSES)


class UgcCommon(RequestBody):
    accountId: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="The account to post from, or null to let the server choose."
    )
    caption: Annotated[str, Field(max_length=500)] = ""
    musicPostId: Annotated[str, Field(pattern=r"^[0-9]{1,32}$")] | None = None
    postTime: Annotated[str, Field(max_length=64)] | None = None
    strict: bool = False
    tag: Annotated[str, Field(max_length=60)] | None = None
    user_group: Annotated[str, Field(max_length=120)] | None = None
    org_group: Annotated[str, Field(max_length=120)] | None = None


class UgcSlideshow(UgcCommon):
    imageUrls: Annotated[list[Url], Field(min_length=1, max_length=35)]


class UgcVideo(UgcCommon):
    videoUrl: Url


def _ugc_wording(exc: ApiError) -> ApiError:
    """Our field names in a service error, as a UGC client sent them."""
    names = (("scheduled_at", "postTime"), ("music_post_id", "musicPostId"))

    def reword(text: str) -> str:
        for ours, theirs in names:
            text = text.replace(ours, theirs)
        return text

    data = exc.data
    if data and isinstance(data.get("errors"), list):
        data = {
            **data,
            "errors": [
                {**e, "field": reword(str(e.get("field")))} if isinstance(e, dict) else e
                for e in data["errors"]
            ],
        }
    return ApiError(exc.error_code, reword(exc.message), exc.status, data=data, headers=exc.headers)


def _create(
    body: UgcCommon, media: dict[str, Any], caller: Any, session: Any, runtime: Any
) -> JSONResponse:
    selection: dict[str, Any] = {
        "strict": body.strict,
        "account_id": body.accountId,
        "tag": body.tag,
        "user_group": body.user_group,
        "org_group": body.org_group,
    }
    post = PostCreate.model_validate(
        {
            "caption": body.caption,
            "media": media,
            "account_selection": {k: v for k, v in selection.items() if v is not None},
            "music_post_id": body.musicPostId,
            "scheduled_at": body.postTime,
        }
    )
    try:
        created = service.create_post(session, runtime, caller, post, source="ugc")
    except ApiError as exc:
        raise _ugc_wording(exc) from exc
    view = service.get_post(session, caller, created.id)
    status = 200 if created.duplicate else 201
    return respond(
        view, "Post scheduled" if status == 201 else "Duplicate of an existing post", status
    )


@router.post("/post/slideshow", status_code=201, response_model=Envelope[PostOut])
def post_slideshow(
    body: UgcSlideshow, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Schedule a slideshow (1–35 images) on a given account or one the server picks."""
    return _create(body, {"type": "slideshow", "urls": body.imageUrls}, caller, session, runtime)


@router.post("/post/video", status_code=201, response_model=Envelope[PostOut])
def post_video(
    body: UgcVideo, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Schedule a video on a given account or one the server picks."""
    return _create(body, {"type": "video", "url": body.videoUrl}, caller, session, runtime)
