"""Request and response models of /posts (contract §4)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from slideforge.kit.validation import RequestBody, Url
from slideforge.publishing.platforms.text import CAPTION_MAX

# Posts take videos of 15–60 s (publishing/media.py): no cover frame can be later than this,
# whether or not the video's duration can be read (a known duration is checked at ingest).
MAX_COVER_TIMESTAMP_MS = 60_000


class VideoMedia(RequestBody):
    type: Literal["video"]
    url: Url
    cover_url: Url | None = Field(
        default=None,
        description="A cover image for the video (Instagram Reels, Pinterest video pins).",
    )
    cover_timestamp_ms: Annotated[int, Field(ge=0, le=MAX_COVER_TIMESTAMP_MS)] | None = Field(
        default=None,
        description="The frame used as cover when no cover_url is given (Instagram "
        "thumb_offset, Pinterest key frame; TikTok when tiktok.video_cover_timestamp_ms is "
        "not set). Within the video (videos are at most 60 s long).",
    )


class SlideshowMedia(RequestBody):
    type: Literal["slideshow"]
    urls: Annotated[list[Url], Field(min_length=1, max_length=35)]


Media = Annotated[VideoMedia | SlideshowMedia, Field(discriminator="type")]


class AccountRef(RequestBody):
    id: Annotated[str, Field(min_length=1, max_length=64, description="Account UUID")]


class TikTokSettings(RequestBody):
    title: Annotated[str, Field(max_length=150)] | None = None
    description: Annotated[str, Field(max_length=CAPTION_MAX)] | None = None
    post_mode: Literal["DIRECT_POST", "MEDIA_UPLOAD"] | None = None
    privacy_level: (
        Literal["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
        | None
    ) = None
    disable_comment: bool | None = None
    disable_duet: bool | None = None
    disable_stitch: bool | None = None
    auto_add_music: bool | None = None
    is_commercial: bool | None = None
    is_branded_content: bool | None = None
    user_consent: bool | None = None
    is_your_brand: bool | None = None
    is_aigc: bool | None = None
    photo_cover_index: Annotated[int, Field(ge=0, le=34)] | None = None
    video_cover_timestamp_ms: Annotated[int, Field(ge=0, le=MAX_COVER_TIMESTAMP_MS)] | None = Field(
        default=None, description="The cover frame, in ms from the start of the video."
    )


class PinterestSettings(RequestBody):
    board_id: Annotated[str, Field(max_length=128)] | None = None
    title: Annotated[str, Field(max_length=100)] | None = None
    link: Annotated[str, Field(max_length=2048)] | None = None
    tags: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=30)] | None = None
    alt_text: Annotated[str, Field(max_length=500)] | None = None


class AccountSelection(RequestBody):
    """Let the server choose the account (UGC-style): ``strict`` true takes the exact time and
    the least recently posted free account; false takes the account whose next free slot is
    nearest to the time, and schedules the post there."""

    strict: bool = False
    account_id: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="Only this account (its free slots still apply)."
    )
    platform: Literal["tiktok", "instagram", "pinterest"] | None = None
    tag: Annotated[str, Field(max_length=60)] | None = None
    user_group: Annotated[str, Field(max_length=120)] | None = None
    org_group: Annotated[str, Field(max_length=120)] | None = None


class PostInput(RequestBody):
    """What ``posts.service.create_post`` takes. No caption length here: the service checks
    the caption against each targeted platform's limit (TikTok 2,200). The Genviral
    contract's 500 belongs to ``PostCreate``; other APIs (compat/ayrshare) build this one."""

    caption: str
    media: Media
    accounts: Annotated[list[AccountRef], Field(min_length=1, max_length=10)] | None = None
    account_selection: AccountSelection | None = None
    music_url: Annotated[str, Field(max_length=2048)] | None = None
    music_post_id: Annotated[str, Field(pattern=r"^[0-9]{1,32}$")] | None = Field(
        default=None,
        description="Id of a TikTok post that uses the wanted sound (UGC's musicPostId).",
    )
    scheduled_at: Annotated[str, Field(max_length=64)] | None = None
    external_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    tiktok: TikTokSettings | None = None
    pinterest: PinterestSettings | None = None


class PostCreate(PostInput):
    """The body of POST /posts (Genviral contract: captions of at most 500 characters)."""

    caption: Annotated[str, Field(max_length=500)]

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Give `accounts` (1–10 of the workspace) or `account_selection`."
        }
    )


class PostUpdate(RequestBody):
    """Partial: only the fields sent change; ``null`` clears scheduled_at, music_url, tiktok,
    pinterest and external_id."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    caption: Annotated[str, Field(max_length=500)] | SkipJsonSchema[None] = None
    media: Media | SkipJsonSchema[None] = None
    accounts: (
        Annotated[list[AccountRef], Field(min_length=1, max_length=10)] | SkipJsonSchema[None]
    ) = None
    music_url: Annotated[str, Field(max_length=2048)] | None = None
    scheduled_at: Annotated[str, Field(max_length=64)] | None = None
    external_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    tiktok: TikTokSettings | None = None
    pinterest: PinterestSettings | None = None


class RetryRequest(RequestBody):
    post_ids: Annotated[
        list[Annotated[str, Field(max_length=64)]], Field(min_length=1, max_length=20)
    ]
    account_ids: (
        Annotated[list[Annotated[str, Field(max_length=64)]], Field(min_length=1, max_length=10)]
        | None
    ) = None
    include_unknown: bool = Field(
        default=False,
        description="Also retry targets whose outcome is unknown (they may already be live: "
        "check the account first). slideforge reads the platform for them first: a target "
        "found live becomes posted (a retry of it answers 409 outcome_unknown_live), one "
        "found not posted is re-sent by itself; this flag is for those it could not decide "
        "(their error_message says why).",
    )


class DeleteRequest(RequestBody):
    """``postIds`` (camelCase, as genviral.sh sends it) or ``post_ids``."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["postIds"]}, {"required": ["post_ids"]}]}
    )

    postIds: (
        Annotated[list[Annotated[str, Field(max_length=64)]], Field(min_length=1, max_length=50)]
        | SkipJsonSchema[None]
    ) = None
    post_ids: (
        Annotated[list[Annotated[str, Field(max_length=64)]], Field(min_length=1, max_length=50)]
        | SkipJsonSchema[None]
    ) = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("postIds", "post_ids"):
                if key in data and data[key] is None:
                    raise ValueError(f"{key}: must be a list of post ids, not null")
        return data

    @model_validator(mode="after")
    def _one_list(self) -> DeleteRequest:
        if not self.postIds and not self.post_ids:
            raise ValueError("postIds: is required (1–50 post UUIDs)")
        return self


class PostWarning(BaseModel):
    field: str
    message: str
    code: str


class PostCreated(BaseModel):
    id: uuid.UUID
    status: str
    scheduled_at: str | None
    warnings: list[PostWarning]
    duplicate: bool = False
    accounts: list[dict[str, Any]] = Field(default_factory=list)


class AccountState(BaseModel):
    account_id: uuid.UUID
    platform: str
    username: str | None
    status: str
    scheduled_for: str | None
    published_at: str | None
    published_url: str | None
    error_message: str | None
    error_code: str | None
    last_attempted_at: str | None
    attempt: int
    platform_status: str | None
    delivery: str | None


class AccountStates(BaseModel):
    total: int
    states: list[AccountState]


class PostOut(BaseModel):
    id: uuid.UUID
    caption: str
    status: str
    scheduled_at: str | None
    created_at: str | None
    updated_at: str | None
    media: dict[str, Any]
    music_url: str | None
    tiktok: dict[str, Any] | None
    pinterest: dict[str, Any] | None
    external_id: str | None
    source: str
    warnings: list[PostWarning]
    accounts: AccountStates


class PostSummary(BaseModel):
    total: int
    pending: int
    published: int
    by_status: dict[str, int]


class PostList(BaseModel):
    summary: PostSummary
    posts: list[PostOut]
    limit: int


class RetryResult(BaseModel):
    retried: int
    ids: list[uuid.UUID]
    failed: list[uuid.UUID]
    errors: dict[str, str] | None = None


class DeleteResult(BaseModel):
    deletedIds: list[uuid.UUID]
    blockedStatuses: list[dict[str, str]]
    skipped: list[str]
    errors: dict[str, str] | None = None


class PlannedAccount(BaseModel):
    account_id: uuid.UUID
    platform: str
    username: str | None
    scheduled_for: str | None = Field(
        description="When the post would be due on this account (for account_selection: "
        "the account the server would choose now, and its slot)."
    )
    draft: bool = Field(description="Delivered to the creator's inbox as a draft.")
    waits_until: str | None = Field(
        default=None,
        description="For an account whose caps a post at scheduled_for would exceed: about "
        "when it would be sent (ACCOUNT_CAP warning).",
    )


class MediaVariant(BaseModel):
    platform: str
    notes: list[str]


class PlannedMedia(BaseModel):
    type: str
    count: int
    variants: list[MediaVariant]


class PostPlan(BaseModel):
    """What POST /posts would do with this body (POST /posts/validate): nothing stored."""

    valid: bool = True
    scheduled_at: str | None
    accounts: list[PlannedAccount]
    media: PlannedMedia
    warnings: list[PostWarning]
    duplicate_of: uuid.UUID | None = Field(
        default=None,
        description="The post an earlier request with this external_id (or, without one, "
        "the same body within the dedupe window) made: POST /posts would answer it.",
    )
