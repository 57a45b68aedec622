"""Ayrshare-compatible TikTok posting (seeds/004) under ``/ayrshare/api``: ``POST /post``,
``GET /post/{id}``, ``GET /history/{id}``, ``DELETE /delete`` (also ``DELETE /post``), so
Ayrshare's SDKs work with ``base`` pointed here. TikTok only: other platforms are refused.

Which account: ``Profile-Key`` (the SDK's ``setProfileKey``) names one of the workspace's
TikTok accounts by id or @username; without it the workspace's only active TikTok account
posts, and zero or several active ones is an error that says what to send.

Asynchronous publishing, as Ayrshare reports it: ``POST`` waits up to ``SEND_WAIT_SECONDS``
for the one irreversible TikTok call and answers ``id: "pending"`` with ``idShare`` = TikTok's
publish_id (null if the call has not happened yet: scheduled, or waiting for the account's
daily cap). ``GET`` shows TikTok's post id and ``postUrl`` once TikTok made the post public;
drafts (inbox) and private posts stay ``"pending"``; failures show ``id: "failed"`` and
``errors``.

Errors are Ayrshare's shape, not our envelope: HTTP 4xx/5xx with ``{action, status: "error",
code, message}`` (``POST /post`` adds ``errors`` and ``postIds: []``). A post that was created
but refused by TikTok answers 200 with ``status: "error"``. Codes are listed in ``CODES``."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import APIRouter, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from slideforge.accounts.service import connect_hint
from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.auth.service import Caller
from slideforge.kit.clock import isoformat
from slideforge.kit.envelope import (
    body_not_json,
    describe_validation_errors,
    not_json_message,
    register_error_shape,
)
from slideforge.kit.errors import ApiError
from slideforge.kit.ids import parse_id
from slideforge.kit.validation import RequestBody, Url
from slideforge.models import Account, Post, PostTarget
from slideforge.posts import service
from slideforge.posts.schemas import MAX_COVER_TIMESTAMP_MS, PostInput
from slideforge.publishing import workflows
from slideforge.runtime import Runtime

log = logging.getLogger(__name__)

PREFIX = "/ayrshare/api"
# How long POST /post waits for the TikTok call that yields idShare (TikTok's publish_id).
SEND_WAIT_SECONDS = 5.0
SEND_POLL_SECONDS = 0.1

# Ayrshare-style numeric codes (slideforge's own numbering; the HTTP status says the class).
CODES = {
    "invalid_parameters": 101,  # the body does not match the documented schema (400)
    "unauthorized": 102,  # missing or unknown API key (401)
    "rate_limited": 103,  # too many requests for this key; see Retry-After (429)
    "account": 104,  # no, several, unknown or inactive TikTok account (400)
    "platform": 105,  # a platform other than tiktok (400)
    "media": 106,  # mixing video and images, several videos, media that cannot be used (400)
    "text_too_long": 107,  # more than TikTok's 2,200 characters (400)
    "schedule": 108,  # scheduleDate not a time with a zone, or in the past (400)
    "not_found": 109,  # no such post in this workspace (404)
    "not_deletable": 110,  # published or being sent: TikTok's API cannot delete it (400)
    "option": 111,  # a tikTokOptions value TikTok's Content Posting API cannot honour (400)
    "refused": 112,  # any other refusal (400 or 409)
    "tiktok_failed": 150,  # TikTok failed the post (in errors of a created post)
    "outcome_unknown": 151,  # the TikTok call's answer was lost: check the account
    "endpoint": 120,  # an Ayrshare endpoint slideforge does not offer (404)
    "internal": 500,  # the server failed; logged (500)
}

PRIVACY = {
    "public": "PUBLIC_TO_EVERYONE",
    "private": "SELF_ONLY",
    "followers": "FOLLOWER_OF_CREATOR",
    "friends": "MUTUAL_FOLLOW_FRIENDS",
}
VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".m4v", ".avi", ".mpeg", ".mpg", ".mkv", ".3gp")
# Line breaks (and the spaces around them) become one space: TikTok drops line breaks.
LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|[\n\r\v\f\x85\u2028\u2029])+[ \t]*")


class Refusal(Exception):
    """A request refused in Ayrshare's error shape (``platforms``: the networks it concerns,
    one ``errors`` item each on POST /post)."""

    def __init__(
        self,
        kind: str,
        message: str,
        status: int = 400,
        *,
        headers: dict[str, str] | None = None,
        platforms: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = CODES[kind]
        self.message = message
        self.status = status
        self.headers = headers
        self.platforms = platforms or ["tiktok"]


# -- request and response models -----------------------------------------------------------


class TikTokOptions(RequestBody):
    """Ayrshare's ``tikTokOptions``; see the README for what each becomes."""

    autoAddMusic: bool | None = Field(default=None, description="Images: TikTok adds music.")
    disableComments: bool | None = None
    disableDuet: bool | None = Field(default=None, description="Video only.")
    disableStitch: bool | None = Field(default=None, description="Video only.")
    draft: bool | None = Field(
        default=None,
        description="Images: deliver to the creator's TikTok inbox (MEDIA_UPLOAD) instead of "
        "publishing. Not offered for videos.",
    )
    isAIGenerated: bool | None = Field(default=None, description="Video only.")
    isBrandedContent: bool | None = None
    isBrandOrganic: bool | None = None
    imageCoverIndex: Annotated[int, Field(ge=0, le=34)] | None = Field(
        default=None, description="Images: which image is the cover (0-based)."
    )
    title: Annotated[str, Field(max_length=150)] | None = Field(
        default=None, description="Images: the photo post's title (TikTok shows 90 characters)."
    )
    thumbNailOffset: Annotated[int, Field(ge=0, le=MAX_COVER_TIMESTAMP_MS)] | None = Field(
        default=None, description="Video: the cover frame, in milliseconds (videos are ≤ 60 s)."
    )
    thumbNail: Url | None = Field(
        default=None,
        description="Refused: TikTok's Content Posting API has no field for a cover image "
        "(use thumbNailOffset).",
    )
    visibility: Literal["public", "private", "followers", "friends"] | None = Field(
        default=None,
        description="Default: the most public level the creator's account allows.",
    )


class AyrsharePostBody(RequestBody):
    post: Annotated[str, Field(max_length=10_000)] = Field(
        description="The text (may be empty). Line breaks become spaces; at most 2,200 "
        "characters for TikTok (UTF-16 units: an emoji counts 2)."
    )
    mediaUrls: Annotated[list[Url], Field(min_length=1, max_length=35)] = Field(
        description="One video or 1–35 images; not both."
    )
    platforms: Annotated[
        list[Annotated[str, Field(max_length=40)]],
        Field(min_length=1, max_length=20),
    ] = Field(description='Only ["tiktok"] is offered here.')
    scheduleDate: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="ISO 8601 with a zone, e.g. 2026-07-08T12:30:00Z."
    )
    isVideo: bool | None = Field(
        default=None, description="The one media URL is a video even without a video extension."
    )
    tikTokOptions: TikTokOptions | None = None


class DeleteBody(RequestBody):
    id: Annotated[str, Field(max_length=64)] = Field(description="The post's id.")


class ErrorItem(BaseModel):
    action: str
    status: Literal["error"] = "error"
    code: int
    message: str
    platform: str | None = None


class ErrorResponse(ErrorItem):
    errors: list[ErrorItem] | None = None
    postIds: list[Any] | None = None


class Warning_(BaseModel):
    code: str
    message: str


class PostIdOut(BaseModel):
    status: str = Field(description="success (sent to TikTok), error, pending (not sent yet).")
    id: str = Field(description='TikTok\'s post id, or "pending", or "failed".')
    idShare: str | None = Field(description="TikTok's publish_id; null until the TikTok call.")
    platform: str
    isVideo: bool
    postUrl: str | None = None
    tikTokStatus: str | None = Field(
        default=None,
        description="TikTok's last publish status (SEND_TO_USER_INBOX for a delivered draft).",
    )


class PostResult(BaseModel):
    status: str = Field(description="success, scheduled, or error (TikTok refused it).")
    errors: list[ErrorItem]
    postIds: list[PostIdOut]
    id: str
    refId: str = Field(description="The TikTok account (slideforge account id) it went to.")
    post: str
    scheduleDate: str | None = None
    warnings: list[Warning_] = Field(default_factory=list)


class HistoryItem(BaseModel):
    id: str
    status: str = Field(description="success, processing, pending (scheduled), error, deleted.")
    post: str
    platforms: list[str]
    postIds: list[PostIdOut]
    errors: list[ErrorItem]
    mediaUrls: list[str]
    created: str | None
    scheduleDate: str | None
    type: Literal["now", "scheduled"]
    refId: str | None
    warnings: list[Warning_] = Field(default_factory=list)


class DeleteResult(BaseModel):
    action: Literal["delete"] = "delete"
    status: Literal["success"] = "success"
    id: str


# -- errors in Ayrshare's shape ------------------------------------------------------------


def _action(request: Request) -> str:
    path = request.url.path.removeprefix(PREFIX).strip("/")
    if request.method == "DELETE":
        return "delete"
    return path.split("/", 1)[0] or "request"


def error_response(
    request: Request,
    code: int,
    message: str,
    status: int,
    headers: dict[str, str] | None = None,
    platforms: list[str] | None = None,
) -> JSONResponse:
    action = _action(request)
    body = ErrorResponse(action=action, code=code, message=message)
    if action == "post" and request.method == "POST":
        body.errors = [
            ErrorItem(action=action, code=code, message=message, platform=platform)
            for platform in platforms or ["tiktok"]
        ]
        body.postIds = []
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _ayrshare_wording(message: str) -> str:
    """Our field names in service messages, as an Ayrshare client knows them."""
    for ours, theirs in (
        ("media.urls", "mediaUrls"),
        ("media.url", "mediaUrls[0]"),
        ("scheduled_at", "scheduleDate"),
        ("caption", "post"),
    ):
        message = message.replace(ours, theirs)
    return message


def _from_api_error(exc: ApiError) -> tuple[int, str, int]:
    """(code, message, HTTP status) for one of our errors."""
    fields = [str(e.get("field") or "") for e in (exc.data or {}).get("errors", [])]
    field = fields[0] if fields else ""
    if exc.status == 401:
        kind = "unauthorized"
    elif exc.status == 429:
        kind = "rate_limited"
    elif exc.status == 404:
        kind = "not_found"
    elif exc.error_code == "invalid_scheduled_at" or field == "scheduled_at":
        kind = "schedule"
    elif exc.error_code == "media_unreachable" or field.startswith("media"):
        kind = "media"
    elif field == "caption":
        kind = "text_too_long"
    elif field.startswith("tiktok"):
        kind = "option"
    elif exc.error_code in ("unknown_accounts", "missing_accounts"):
        kind = "account"
    elif exc.error_code == "invalid_payload":
        kind = "invalid_parameters"
    else:
        kind = "refused"
    status = exc.status if exc.status in (401, 404, 429) or exc.status >= 500 else 400
    return CODES[kind], _ayrshare_wording(exc.message), status


class AyrshareRoute(APIRoute):
    """Every error of these routes, including authentication, validation and framework
    errors, answers in Ayrshare's shape (its SDK parses that, not our envelope)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as exc:
                return error_response(
                    request, exc.code, exc.message, exc.status, exc.headers, exc.platforms
                )
            except ApiError as exc:
                code, message, status = _from_api_error(exc)
                return error_response(request, code, message, status, exc.headers)
            except RequestValidationError as exc:
                errors = exc.errors()
                if body_not_json(errors):
                    message = not_json_message(request)
                else:
                    message = describe_validation_errors(errors)[0]
                return error_response(request, CODES["invalid_parameters"], message, 400)
            except StarletteHTTPException as exc:
                if exc.status_code == 400:
                    message = not_json_message(request)
                    return error_response(request, CODES["invalid_parameters"], message, 400)
                headers = dict(exc.headers) if exc.headers else None
                return error_response(
                    request, CODES["refused"], str(exc.detail), exc.status_code, headers
                )
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return error_response(
                    request,
                    CODES["internal"],
                    "The server failed to handle this request; it was logged.",
                    500,
                )

        return route


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "Refused (Ayrshare error shape; code says why, message what to change)"),
        (401, "Missing or unknown API key (code 102)"),
        (404, "No such post (code 109)"),
        (429, "Rate limited (code 103); see Retry-After"),
        # Also keeps FastAPI from documenting a 422: these routes answer 400 (code 101).
        ("default", "Any other error (e.g. 500, code 500), in the same shape"),
    )
}

router = APIRouter(
    prefix=PREFIX,
    tags=["compat: Ayrshare (TikTok)"],
    route_class=AyrshareRoute,
    responses=ERROR_RESPONSES,
)


# -- POST /post ----------------------------------------------------------------------------


def strip_line_breaks(text: str) -> str:
    return LINE_BREAKS.sub(" ", text).strip()


def media_of(urls: list[str], is_video: bool | None) -> dict[str, Any]:
    """Our media object: one video, or a slideshow of images (never both)."""
    if is_video:
        if len(urls) != 1:
            raise Refusal(
                "media",
                f"isVideo: true takes exactly one video URL; mediaUrls has {len(urls)}. TikTok "
                "publishes one video or up to 35 images, never both.",
            )
        return {"type": "video", "url": urls[0]}
    videos = [u for u in urls if urlsplit(u).path.lower().endswith(VIDEO_EXTENSIONS)]
    if videos and len(videos) < len(urls):
        raise Refusal(
            "media",
            f"mediaUrls mixes {len(videos)} video(s) and {len(urls) - len(videos)} image(s): "
            "TikTok publishes one video or up to 35 images, not a combination.",
        )
    if len(videos) > 1:
        raise Refusal(
            "media", f"mediaUrls has {len(videos)} videos: TikTok publishes one video per post."
        )
    if videos:
        return {"type": "video", "url": videos[0]}
    return {"type": "slideshow", "urls": urls}


def tiktok_settings(
    options: TikTokOptions, media: dict[str, Any]
) -> tuple[dict[str, Any], list[Warning_]]:
    """tikTokOptions -> our TikTok settings, and warnings for options TikTok ignores here."""
    warnings: list[Warning_] = []
    is_video = media["type"] == "video"
    given = options.model_dump(exclude_none=True)

    def ignored(names: list[str], why: str) -> None:
        present = [n for n in names if n in given]
        if present:
            warnings.append(Warning_(code="OPTION_IGNORED", message=f"{', '.join(present)}: {why}"))

    if options.thumbNail is not None:
        raise Refusal(
            "option",
            "tikTokOptions.thumbNail: TikTok's Content Posting API has no field for a cover "
            "image, so slideforge cannot set one. Send thumbNailOffset (milliseconds into the "
            "video) to choose a frame instead.",
        )
    if options.draft and is_video:
        raise Refusal(
            "option",
            "tikTokOptions.draft: slideforge delivers drafts to the TikTok inbox for image "
            "posts only; it does not upload videos to the inbox. Send the video with draft: "
            "false to publish it, or post images as a draft.",
        )
    if options.isBrandedContent and options.visibility == "private":
        raise Refusal(
            "option",
            "tikTokOptions: TikTok does not allow branded content (isBrandedContent) with "
            "visibility private.",
        )
    if options.imageCoverIndex is not None and not is_video:
        count = len(media["urls"])
        if options.imageCoverIndex >= count:
            raise Refusal(
                "option",
                f"tikTokOptions.imageCoverIndex {options.imageCoverIndex} is out of range: the "
                f"post has {count} image(s) (0–{count - 1}).",
            )
    settings: dict[str, Any] = {"post_mode": "MEDIA_UPLOAD" if options.draft else "DIRECT_POST"}
    if options.draft:
        ignored(
            [
                "visibility",
                "disableComments",
                "autoAddMusic",
                "isBrandedContent",
                "isBrandOrganic",
            ],
            "a draft goes to the creator's TikTok inbox; these are chosen in the TikTok app "
            "when the creator publishes it",
        )
    else:
        if options.visibility is not None:
            settings["privacy_level"] = PRIVACY[options.visibility]
        if options.disableComments is not None:
            settings["disable_comment"] = options.disableComments
        if options.isBrandedContent is not None:
            settings["is_branded_content"] = options.isBrandedContent
        if options.isBrandOrganic is not None:
            settings["is_your_brand"] = options.isBrandOrganic
        if options.isBrandedContent or options.isBrandOrganic:
            settings["is_commercial"] = True
    if is_video:
        for ours, theirs in (
            ("disable_duet", options.disableDuet),
            ("disable_stitch", options.disableStitch),
            ("is_aigc", options.isAIGenerated),
            ("video_cover_timestamp_ms", options.thumbNailOffset),
        ):
            if theirs is not None:
                settings[ours] = theirs
        ignored(
            ["autoAddMusic", "imageCoverIndex", "title"],
            "these apply to image posts only (a video's title is the post text)",
        )
    else:
        if options.autoAddMusic is not None and not options.draft:
            settings["auto_add_music"] = options.autoAddMusic
        if options.imageCoverIndex is not None:
            settings["photo_cover_index"] = options.imageCoverIndex
        if options.title is not None:
            settings["title"] = options.title
        ignored(
            ["disableDuet", "disableStitch", "isAIGenerated", "thumbNailOffset"],
            "TikTok's photo posts have no such setting; they apply to videos only",
        )
    return settings, warnings


def choose_account(session: Session, caller: Caller, profile_key: str | None) -> Account:
    """The Profile-Key's account (id or @username), else the only active TikTok account."""
    rows = list(
        session.scalars(
            sa.select(Account)
            .where(Account.workspace_id == caller.workspace_id, Account.platform == "tiktok")
            .order_by(Account.created_at, Account.id)
        )
    )
    if profile_key is not None and profile_key.strip():
        key = profile_key.strip()
        wanted = parse_id(key)
        name = key.removeprefix("@").lower()
        matches = [
            a
            for a in rows
            if (wanted is not None and a.id == wanted)
            or (wanted is None and (a.username or "").lower() == name)
        ]
        if not matches:
            raise Refusal(
                "account",
                f"Profile-Key {key!r} names no TikTok account of this workspace: send an "
                "account id (GET /api/partner/v1/accounts) or its @username.",
            )
        if len(matches) > 1:
            raise Refusal(
                "account",
                f"Profile-Key {key!r} matches {len(matches)} TikTok accounts: send the id of "
                "one (" + ", ".join(str(a.id) for a in matches) + ").",
            )
        account = matches[0]
        if account.status == "unconnected":
            raise Refusal(
                "account",
                f"@{account.username} cannot post: it was added without connecting it, so it "
                f"has no TikTok tokens; {connect_hint(account)}.",
            )
        if account.status != "active":
            raise Refusal(
                "account",
                f"@{account.username} cannot post: the account is {account.status} (reconnect it).",
            )
        return account
    active = [a for a in rows if a.status == "active"]
    if not active:
        raise Refusal(
            "account",
            "This workspace has no active TikTok account: connect one "
            "(POST /api/partner/v1/accounts/connect).",
        )
    if len(active) > 1:
        listed = ", ".join(f"@{a.username} ({a.id})" for a in active[:10])
        raise Refusal(
            "account",
            f"This workspace has {len(active)} active TikTok accounts: {listed}. Name one "
            "with the Profile-Key header (SDK: setProfileKey('<account id or @username>')).",
        )
    return active[0]


def _wait_for_send(runtime: Runtime, post_id: uuid.UUID) -> None:
    """Until every target made its TikTok call, stopped, or waits for a cap (or time out)."""
    deadline = time.monotonic() + SEND_WAIT_SECONDS
    while time.monotonic() < deadline:
        with runtime.db.session() as session:
            targets = list(
                session.scalars(sa.select(PostTarget).where(PostTarget.post_id == post_id))
            )
            waiting = [
                t
                for t in targets
                if t.status in ("pending", "publishing")
                and t.publish_id is None
                and not (t.progress or {}).get("waiting_for_cap_until")
            ]
        if not waiting:
            return
        time.sleep(SEND_POLL_SECONDS)


@router.post("/post", response_model=PostResult)
def create_post(
    body: AyrsharePostBody,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    profile_key: Annotated[
        str | None,
        Header(
            alias="Profile-Key",
            max_length=200,
            description="The TikTok account (id or @username); optional when the workspace "
            "has one active TikTok account.",
        ),
    ] = None,
) -> JSONResponse:
    """Publish (or schedule) a TikTok post: one video or up to 35 images."""
    platforms = [p.strip().lower() for p in body.platforms]
    others = sorted({p for p in platforms if p != "tiktok"})
    if others:
        raise Refusal(
            "platform",
            "slideforge's Ayrshare-compatible API posts to TikTok only; "
            f"{', '.join(map(repr, others))} is not offered here (send platforms: "
            '["tiktok"]; other platforms: POST /api/partner/v1/posts).',
            platforms=others,
        )
    text = strip_line_breaks(body.post)
    media = media_of(body.mediaUrls, body.isVideo)
    settings, warnings = tiktok_settings(body.tikTokOptions or TikTokOptions(), media)
    account = choose_account(session, caller, profile_key)
    try:
        post_input = PostInput.model_validate(
            {
                "caption": text,
                "media": media,
                "accounts": [{"id": str(account.id)}],
                "scheduled_at": body.scheduleDate,
                "tiktok": settings,
            }
        )
    except ValidationError as exc:
        raise Refusal("invalid_parameters", describe_validation_errors(exc.errors())[0]) from exc
    created, targets = service.create_post(session, runtime, caller, post_input, source="ayrshare")
    workflows.enqueue_targets(targets)
    session.commit()  # no transaction of this request stays open while we wait
    if created.status != "scheduled":
        _wait_for_send(runtime, created.id)
    with runtime.db.session() as fresh:
        post = fresh.get(Post, created.id)
        assert post is not None
        view = _history(fresh, post)
    scheduled = view.status == "pending"
    result = PostResult(
        status="error" if view.errors else "scheduled" if scheduled else "success",
        errors=view.errors,
        # Ayrshare answers "pending" for TikTok at first, whatever happened since.
        postIds=[
            pid.model_copy(
                update={
                    "id": "failed" if pid.status == "error" else "pending",
                    "status": pid.status
                    if pid.status == "error"
                    else "scheduled"
                    if scheduled
                    else "success",
                    "postUrl": None,
                }
            )
            for pid in view.postIds
        ],
        id=view.id,
        refId=str(account.id),
        post=post_input.caption,
        scheduleDate=view.scheduleDate,
        warnings=warnings + view.warnings,
    )
    return JSONResponse(result.model_dump(mode="json"))


# -- GET /post/{id}, GET /history/{id} -----------------------------------------------------


def _post_id_out(target: PostTarget, is_video: bool) -> PostIdOut:
    if target.status in ("failed", "outcome_unknown"):
        status, ident = "error", "failed"
    elif target.status == "canceled":
        status, ident = "deleted", "pending"
    elif target.publish_id is None and target.status != "posted":
        status, ident = "pending", "pending"
    else:
        status, ident = "success", target.platform_post_id or "pending"
    return PostIdOut(
        status=status,
        id=ident,
        idShare=target.publish_id,
        platform=target.platform,
        isVideo=is_video,
        postUrl=target.published_url if target.platform_post_id else None,
        tikTokStatus=target.platform_status,
    )


def _history_status(post: Post, targets: list[PostTarget]) -> str:
    if post.status in ("deleted", "canceled"):
        return "deleted"
    statuses = {t.status for t in targets if t.status != "canceled"}
    if statuses & {"failed", "outcome_unknown"}:
        return "error"
    if statuses and statuses <= {"posted"}:
        return "success"
    if statuses and statuses <= {"scheduled"}:
        return "pending"
    return "processing"


def _history(session: Session, post: Post) -> HistoryItem:
    targets = list(
        session.scalars(
            sa.select(PostTarget)
            .where(PostTarget.post_id == post.id)
            .order_by(PostTarget.created_at, PostTarget.id)
        )
    )
    is_video = post.media.get("type") == "video"
    errors = [
        ErrorItem(
            action="post",
            code=CODES["outcome_unknown" if t.status == "outcome_unknown" else "tiktok_failed"],
            message=(
                "The TikTok call's answer was lost: check the account before retrying."
                if t.status == "outcome_unknown"
                else t.error_message or "TikTok refused the post."
            ),
            platform=t.platform,
        )
        for t in targets
        if t.status in ("failed", "outcome_unknown")
    ]
    urls = post.media.get("urls") or ([post.media["url"]] if post.media.get("url") else [])
    return HistoryItem(
        id=str(post.id),
        status=_history_status(post, targets),
        post=post.caption,
        platforms=sorted({t.platform for t in targets}),
        postIds=[_post_id_out(t, is_video) for t in targets],
        errors=errors,
        mediaUrls=list(urls),
        created=isoformat(post.created_at),
        scheduleDate=isoformat(post.scheduled_at),
        type="scheduled" if post.scheduled_at is not None else "now",
        refId=str(targets[0].account_id) if targets else None,
        warnings=[Warning_(code=w["code"], message=w["message"]) for w in post.warnings or []],
    )


def _find(session: Session, caller: Caller, post_id: str) -> Post:
    parsed = parse_id(post_id)
    post = session.get(Post, parsed) if parsed else None
    if post is None or post.workspace_id != caller.workspace_id:
        raise Refusal("not_found", f"No post with id {post_id.strip()!r} in this workspace.", 404)
    return post


@router.get("/post/{post_id}", response_model=HistoryItem)
def get_post(post_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """The post and its TikTok state: ``postIds[0].id`` becomes TikTok's post id and
    ``postUrl`` appears once TikTok made it public."""
    return JSONResponse(_history(session, _find(session, caller, post_id)).model_dump(mode="json"))


@router.get("/history/{post_id}", response_model=HistoryItem)
def get_history(post_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """Ayrshare's history item of one post (status success, processing, pending, error or
    deleted)."""
    return JSONResponse(_history(session, _find(session, caller, post_id)).model_dump(mode="json"))


# -- DELETE /delete ------------------------------------------------------------------------


def _delete(body: DeleteBody, caller: Caller, session: Session, runtime: Runtime) -> JSONResponse:
    post = _find(session, caller, body.id)
    if post.status == "deleted":
        raise Refusal("not_deletable", f"Post {post.id} was already deleted.")
    result, canceled = service.delete_posts(session, runtime, caller, [str(post.id)])
    workflows.cancel_targets(canceled)
    if result.blockedStatuses:
        targets = list(session.scalars(sa.select(PostTarget).where(PostTarget.post_id == post.id)))
        if any(t.status == "publishing" for t in targets):
            message = (
                "This post is being sent to TikTok right now and can no longer be stopped; "
                "TikTok's Content Posting API cannot delete posts, so if it goes live, delete "
                "it in the TikTok app."
            )
        elif any(t.platform_status == "SEND_TO_USER_INBOX" for t in targets):
            message = (
                "This draft was delivered to the creator's TikTok inbox; TikTok's Content "
                "Posting API cannot delete it: delete the draft in the TikTok app."
            )
        else:
            message = (
                "This post was already sent to TikTok; TikTok's Content Posting API cannot "
                "delete published posts: delete it in the TikTok app."
            )
        raise Refusal("not_deletable", message)
    return JSONResponse(DeleteResult(id=str(post.id)).model_dump(mode="json"))


@router.delete("/delete", response_model=DeleteResult)
def delete_post(
    body: DeleteBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Delete a scheduled (or not yet sent, or failed) post. Published posts cannot be
    deleted through TikTok's API: the answer says to delete them in the TikTok app."""
    return _delete(body, caller, session, runtime)


@router.delete("/post", response_model=DeleteResult)
def delete_post_v2(
    body: DeleteBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Same as ``DELETE /delete`` (Ayrshare's newer path)."""
    return _delete(body, caller, session, runtime)


OFFERED = "POST /post, GET /post/{id}, GET /history/{id}, DELETE /delete and DELETE /post"


def _methods_of(request: Request) -> list[str]:
    """Every method some route of this API answers at this path."""
    methods: set[str] = set()
    for route in router.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] != Match.NONE:
            methods |= set(route.methods or ())
    return sorted(methods)


def _outside_routes(
    request: Request,
    error_code: str,
    message: str,
    status: int,
    headers: dict[str, str] | None,
) -> Response:
    """Errors under ``/ayrshare/api`` that no route's handler saw (registered with the
    envelope's handlers): unknown paths and methods, bodies refused before routing (413,
    JSON nested too deep), anything unexpected. Ayrshare's shape, with the same status."""
    path = request.url.path.removeprefix(PREFIX) or "/"
    call = f"{request.method} {path}"
    if status == 405:
        # Starlette's Allow names the first route of the path only (POST of /post, not DELETE).
        allowed = ", ".join(_methods_of(request))
        headers = {**(headers or {}), "Allow": allowed} if allowed else headers
        takes = f" ({path} takes {allowed})" if allowed else ""
        return error_response(
            request,
            CODES["endpoint"],
            f"{call} is not offered by slideforge's Ayrshare-compatible API{takes}; it offers "
            f"{OFFERED} (TikTok only).",
            405,
            headers,
        )
    if status == 404 and error_code == "not_found":
        return error_response(
            request,
            CODES["endpoint"],
            f"{call} is not offered by slideforge's Ayrshare-compatible API; it offers "
            f"{OFFERED} (TikTok only).",
            404,
            headers,
        )
    if error_code in ("invalid_json", "invalid_payload"):
        return error_response(request, CODES["invalid_parameters"], message, 400, headers)
    if status >= 500:
        return error_response(request, CODES["internal"], message, status, headers)
    if status == 401:
        kind = "unauthorized"
    elif status == 429:
        kind = "rate_limited"
    else:
        kind = "refused"
    return error_response(request, CODES[kind], message, status, headers)


register_error_shape(PREFIX, _outside_routes)
