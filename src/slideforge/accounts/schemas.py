"""Request and response models of /accounts."""

from __future__ import annotations

import uuid
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from slideforge.kit.validation import HHMM_PATTERN, TIMEZONES, RequestBody


class AllowedHours(BaseModel):
    """A daily window in the account's time zone; ``end`` before ``start`` wraps midnight."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(pattern=HHMM_PATTERN, description="HH:MM (24 h)")
    end: str = Field(pattern=HHMM_PATTERN, description="HH:MM (24 h)")


class PostingPolicy(RequestBody):
    model_config = ConfigDict(extra="forbid")

    min_gap_minutes: int | None = Field(default=None, ge=0, le=1440)
    max_posts_per_24h: int | None = Field(default=None, ge=1, le=1000)
    max_drafts_per_24h: int | None = Field(default=None, ge=0, le=5)
    allowed_hours: AllowedHours | None = None
    timezone: str | None = Field(
        default=None,
        max_length=64,
        json_schema_extra={"enum": [*TIMEZONES, None]},
        description="IANA time zone, e.g. Europe/Paris",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as Europe/Paris") from exc
        return value


def _tags(value: object) -> object:
    """Trim, drop blanks and duplicates; anything but a string is refused, not dropped."""
    if isinstance(value, list):
        out: list[str] = []
        for tag in value:
            if not isinstance(tag, str):
                raise ValueError("tags must be a list of strings")
            if tag.strip() and tag.strip() not in out:
                out.append(tag.strip())
        return out
    return value


class AccountSettingsUpdate(RequestBody):
    """Platform settings of one account (partial; ``null`` resets one to its default)."""

    model_config = ConfigDict(extra="forbid")

    pinterest_board_id: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,32}$",
        description="Pinterest: the board pins go to when a post names none.",
    )
    instagram_share_to_feed: bool | None = Field(
        default=None, description="Instagram: Reels also appear in the feed (default true)."
    )


class AccountUpdate(RequestBody):
    """Partial; ``null`` clears tags and groups and resets the policy to the defaults."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    display_name: str | None = Field(default=None, max_length=200)
    tags: list[str] | None = Field(default=None, max_length=50)
    user_group: str | None = Field(default=None, max_length=120)
    org_group: str | None = Field(default=None, max_length=120)
    policy: PostingPolicy | None = None
    status: Literal["active", "paused"] | SkipJsonSchema[None] = Field(
        default=None,
        description="Pause or resume posting (other states are set by the system; an "
        "unconnected account becomes active by connecting it).",
    )
    settings: AccountSettingsUpdate | SkipJsonSchema[None] = None

    _tags = field_validator("tags", mode="before")(_tags)

    @field_validator("tags")
    @classmethod
    def _tag_length(cls, value: list[str] | None) -> list[str] | None:
        if value and any(len(tag) > 60 for tag in value):
            raise ValueError("each tag is at most 60 characters")
        return value


class AccountOut(BaseModel):
    id: uuid.UUID
    platform: str
    type: str
    username: str
    display_name: str
    status: str
    workspace_id: uuid.UUID
    tags: list[str]
    user_group: str | None
    org_group: str | None
    policy: dict[str, Any]
    last_posted_at: str | None
    token_expires_at: str | None
    refresh_expires_at: str | None
    created_at: str | None
    capabilities: dict[str, Any]
    # Platform settings: Pinterest default board and boards, Instagram login model and ids …
    settings: dict[str, Any] = Field(default_factory=dict)


class AccountList(BaseModel):
    scope: str
    owner_user_id: uuid.UUID | None
    workspace_id: uuid.UUID
    accounts: list[AccountOut]


# A page of this server's dashboard (no scheme, host, query, ``//`` or ``..``): the only
# place a connect's callback sends the browser to (no open redirect).
DASHBOARD_PATH = r"^/app(/[A-Za-z0-9_-]+)+$"


class ConnectRequest(RequestBody):
    platform: Literal["tiktok", "instagram", "pinterest"]
    tags: list[str] | None = Field(default=None, max_length=50)
    user_group: str | None = Field(default=None, max_length=120)
    org_group: str | None = Field(default=None, max_length=120)
    return_to: str | None = Field(
        default=None,
        max_length=200,
        pattern=DASHBOARD_PATH,
        description="A dashboard page (e.g. /app/accounts): the callback then sends the "
        "browser back there (303, with ?connect=<id> to show the outcome) instead of "
        "answering JSON.",
    )

    _tags = field_validator("tags", mode="before")(_tags)


class ConnectStart(BaseModel):
    platform: str
    authorize_url: str
    redirect_uri: str
    expires_at: str | None


class Connected(BaseModel):
    account: AccountOut
    reconnected: bool
