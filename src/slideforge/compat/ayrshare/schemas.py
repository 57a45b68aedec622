"""Ayrshare's request and response bodies (its TikTok post calls and its error shape)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from slideforge.kit.validation import RequestBody, Url
from slideforge.posts.schemas import MAX_COVER_TIMESTAMP_MS


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
    id: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="The post's id (or send bulk, or deleteAllScheduled)."
    )
    bulk: (
        Annotated[list[Annotated[str, Field(max_length=64)]], Field(min_length=1, max_length=100)]
        | None
    ) = Field(default=None, description="Several post ids to delete at once.")
    deleteAllScheduled: bool | None = Field(
        default=None,
        description="true: delete every post still scheduled (of the Profile-Key's account, "
        "else of the workspace); id and bulk are ignored.",
    )


class RetryBody(RequestBody):
    id: Annotated[str, Field(max_length=64)] = Field(
        description="The post's id; the post must have status error."
    )


class WebhookBody(RequestBody):
    action: Literal["scheduled", "social", "feed", "batch", "messages", "accountActivity"] = Field(
        description="Ayrshare's actions; slideforge sends scheduled and social."
    )
    url: Annotated[str, Field(max_length=2048)] | None = Field(
        default=None, description="Where to POST the action (required to register)."
    )
    secret: Annotated[str, Field(max_length=200)] | None = Field(
        default=None,
        description="Key of the X-Authorization-Content-SHA256 HMAC (hex HMAC-SHA256 of the "
        "body); without one the deliveries carry no HMAC.",
    )


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


class BulkDeleteItem(BaseModel):
    action: Literal["delete"] = "delete"
    status: Literal["success", "error"]
    id: str
    code: int | None = None
    message: str | None = None


class BulkDeleteResult(BaseModel):
    action: Literal["delete"] = "delete"
    status: Literal["success", "error"] = Field(description="error when any post was not deleted.")
    bulk: list[BulkDeleteItem]


class HistoryList(BaseModel):
    status: Literal["success"] = "success"
    history: list[HistoryItem] = Field(description="Newest first (by the publish date).")
    count: int
    lastUpdated: str


class RetryResult(BaseModel):
    action: Literal["retry"] = "retry"
    status: Literal["success"] = "success"
    id: str
    postIds: list[PostIdOut]


class DisplayName(BaseModel):
    created: str | None
    displayName: str
    id: str = Field(description="The platform's user id (TikTok open_id).")
    platform: str
    profileUrl: str | None
    userImage: str | None = None
    username: str
    refId: str = Field(description="The slideforge account id (use it as Profile-Key).")
    status: str = Field(description="active, paused or reauth_required.")
    refreshRequired: str | None = Field(
        default=None,
        description="When the authorisation ends and the account must be reconnected "
        "(TikTok: a year after the connect).",
    )
    refreshDaysRemaining: int | None = None


class UserResult(BaseModel):
    status: Literal["success"] = "success"
    activeSocialAccounts: list[str]
    displayNames: list[DisplayName]
    refId: str = Field(description="The workspace id.")
    title: str = Field(description="The workspace name.")
    created: str | None


class WebhookRegistered(BaseModel):
    status: Literal["success"] = "success"
    action: str
    url: str
    refId: str
    hookId: str


class WebhookItem(BaseModel):
    action: str
    url: str
    hookId: str
    created: str | None
    secret: bool = Field(description="Whether deliveries carry the HMAC headers.")


class WebhookList(BaseModel):
    status: Literal["success"] = "success"
    webhooks: list[WebhookItem]


class WebhookRemoved(BaseModel):
    status: Literal["success"] = "success"
    action: str
