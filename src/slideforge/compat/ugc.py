"""UGC Inc-compatible post calls (seeds/001): ``POST /ugc/post/slideshow`` and
``/ugc/post/video`` with camelCase fields. ``accountId: null`` lets the server choose the
account: ``strict: true`` keeps the exact time and takes the least recently posted free
account; ``strict: false`` takes the account whose next free slot is nearest and schedules
the post there. ``tag``, ``user_group``, ``org_group`` and ``platform`` (tiktok | instagram)
filter the candidates; a post with ``musicPostId`` asks for a TikTok account (UGC attaches
music on TikTok only). The answer's ``data`` is the created post as UGC documents its Post
object (``UgcPost``). Same envelope and errors as /posts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import ERROR_RESPONSES, Envelope, respond
from slideforge.kit.errors import ApiError
from slideforge.kit.validation import RequestBody, Url
from slideforge.models import PostTarget
from slideforge.posts import service
from slideforge.posts.schemas import PostCreate, PostOut, PostWarning

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
    platform: Literal["tiktok", "instagram"] | None = Field(
        default=None,
        description="Only accounts of this platform (when accountId is null); with "
        "musicPostId the account is a TikTok one.",
    )


class UgcSlideshow(UgcCommon):
    imageUrls: Annotated[list[Url], Field(min_length=1, max_length=35)]


class UgcVideo(UgcCommon):
    videoUrl: Url


class UgcPost(BaseModel):
    """UGC's Post object."""

    id: str
    account_id: str | None
    platform: str | None
    type: Literal["video", "slideshow"]
    status: str = Field(description="scheduled, pending (being posted), complete or failed.")
    social_id: str | None = Field(description="The platform's post id, once public.")
    caption: str
    title: str | None
    media_urls: list[str]
    thumbnail_url: str | None = None
    social_audio_id: str | None = None
    music_post_id: str | None
    scheduled_at: str | None
    postUrl: str | None = None
    error: str | None = None
    warnings: list[PostWarning] = Field(default_factory=list)


# Our post status -> UGC's.
UGC_STATUS = {
    "scheduled": "scheduled",
    "pending": "pending",
    "retry": "pending",
    "posted": "complete",
    "failed": "failed",
    "partial": "failed",
    "outcome_unknown": "failed",
    "deleted": "deleted",
}


def ugc_post(view: PostOut, music_post_id: str | None, social_id: str | None) -> UgcPost:
    """Our post (one account: UGC posts go to one) as UGC's Post object."""
    state = view.accounts.states[0] if view.accounts.states else None
    media = view.media
    urls = list(media.get("urls") or ([media["url"]] if media.get("url") else []))
    public = (
        state is not None
        and state.published_url
        and state.platform_status != ("SEND_TO_USER_INBOX")
    )
    return UgcPost(
        id=str(view.id),
        account_id=str(state.account_id) if state else None,
        platform=state.platform if state else None,
        type="video" if media.get("type") == "video" else "slideshow",
        status=UGC_STATUS.get(view.status, "pending"),
        social_id=social_id,
        caption=view.caption,
        title=(view.tiktok or {}).get("title"),
        media_urls=urls,
        music_post_id=music_post_id,
        scheduled_at=(state.scheduled_for if state else None) or view.scheduled_at,
        postUrl=state.published_url if public and state else None,
        error=state.error_message if state else None,
        warnings=view.warnings,
    )


def _social_id(session: Any, post_id: uuid.UUID) -> str | None:
    return session.scalar(
        sa.select(PostTarget.platform_post_id)
        .where(PostTarget.post_id == post_id, PostTarget.platform_post_id.is_not(None))
        .limit(1)
    )


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
    platform = body.platform
    if body.musicPostId is not None:
        if platform == "instagram":
            raise ApiError(
                "ugc_music_needs_tiktok",
                "musicPostId attaches a TikTok sound, and UGC posts music on TikTok only: send "
                'platform "tiktok" (or leave platform out), or drop musicPostId to post on '
                "Instagram.",
                422,
                data={"errors": [{"field": "platform", "message": "music needs tiktok"}]},
            )
        platform = "tiktok"
    selection: dict[str, Any] = {
        "platform": platform if body.accountId is None else None,
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
        ugc_post(view, body.musicPostId, _social_id(session, created.id)),
        "Post scheduled" if status == 201 else "Duplicate of an existing post",
        status,
    )


@router.post("/post/slideshow", status_code=201, response_model=Envelope[UgcPost])
def post_slideshow(
    body: UgcSlideshow, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Schedule a slideshow (1–35 images) on a given account or one the server picks."""
    return _create(body, {"type": "slideshow", "urls": body.imageUrls}, caller, session, runtime)


@router.post("/post/video", status_code=201, response_model=Envelope[UgcPost])
def post_video(
    body: UgcVideo, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Schedule a video on a given account or one the server picks."""
    return _create(body, {"type": "video", "url": body.videoUrl}, caller, session, runtime)
