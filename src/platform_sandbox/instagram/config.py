"""What the Instagram sandbox is configured with: its constants (login scopes, media types,
endpoint names), behaviour options, the records an admin adds (Meta apps, IG professional
accounts, Facebook users and Pages) and failure rules with their presets."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from platform_sandbox.common import (
    DAY,
    MIB,
    PlatformFailureRule,
    RegisteredApp,
    VideoStreamChecks,
)

SHORT_LIVED_SECONDS = 3_600
LONG_LIVED_SECONDS = 5_183_944  # Meta's documented ``expires_in`` for a 60-day token
IG_LOGIN_SCOPES = (
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_messages",
    "instagram_business_manage_comments",
    "instagram_business_manage_insights",
)
FB_LOGIN_SCOPES = (
    "public_profile",
    "email",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "instagram_manage_messages",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_metadata",
    "pages_manage_posts",
    "business_management",
)
IG_READ_SCOPES = ("instagram_business_basic",)
FB_READ_SCOPES = ("instagram_basic",)
IG_INSIGHTS_SCOPES = ("instagram_business_basic", "instagram_business_manage_insights")
FB_INSIGHTS_SCOPES = ("instagram_basic", "instagram_manage_insights")
IG_PUBLISH_SCOPES = ("instagram_business_basic", "instagram_business_content_publish")
FB_PUBLISH_SCOPES = ("instagram_basic", "instagram_content_publish", "pages_read_engagement")
MEDIA_TYPES = ("IMAGE", "VIDEO", "REELS", "STORIES", "CAROUSEL")
STATUS_TEXT = {
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "PUBLISHED": "Published: Media has been successfully published.",
    "EXPIRED": "Expired: Media was not published within 24 hours.",
}
DOWNLOAD_FAILED_TEXT = (
    "Error: Media download has failed. The media URI doesn't meet our requirements."
)
DOWNLOAD_TIMEOUT_TEXT = "Error: Media download has failed. It takes too long to download the media."
ENDPOINTS = (
    "ig_authorize",
    "fb_authorize",
    "ig_code_exchange",
    "fb_code_exchange",
    "fb_exchange_token",
    "ig_exchange_token",
    "ig_refresh_token",
    "me",
    "me_accounts",
    "me_permissions",
    "media",
    "media_list",
    "media_publish",
    "container_status",
    "node",
    "children",
    "publishing_limit",
    "insights",
    "unknown",
)
FAILURE_ENDPOINTS = (
    "*",
    "media",
    "media_publish",
    "container_status",
    "node",
    "publishing_limit",
    "insights",
    "me",
    "me_accounts",
)
AFTER_COMMIT_ENDPOINTS = ("media", "media_publish")


class InstagramOptions(BaseModel):
    """Behaviour knobs. Durations are seconds of the sandbox clock."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    publish_quota_total: int = Field(default=100, ge=0)
    """Published posts per account per rolling 24 h (Meta's page says 100 and 50)."""
    container_limit: int = Field(default=400, ge=0)
    image_processing_seconds: float = Field(default=1.0, ge=0)
    video_processing_seconds: float = Field(default=5.0, ge=0)
    carousel_processing_seconds: float = Field(default=1.0, ge=0)
    container_ttl_seconds: float = Field(default=DAY, gt=0)
    code_ttl_seconds: float = Field(default=600.0, gt=0)
    fb_short_lived_seconds: int = Field(default=SHORT_LIVED_SECONDS, gt=0)
    refresh_min_age_seconds: float = Field(default=DAY, ge=0)
    fetch_timeout_seconds: float = Field(default=10.0, gt=0)
    image_max_bytes: int = Field(default=8 * MIB, gt=0)
    video_max_bytes: int = Field(default=300 * MIB, gt=0)
    min_aspect_ratio: float = Field(default=0.8, gt=0)
    max_aspect_ratio: float = Field(default=1.91, gt=0)
    video_stream_checks: VideoStreamChecks = "readable"
    """Read a video's streams (PyAV) as Meta checks a Reel: H.264 or HEVC, 23–60 fps, long
    edge ≤ 1920 px, 3 s–15 min, AAC audio ≤ 48 kHz (352/2207026 otherwise). ``readable``:
    a file with no stream PyAV can read is checked by its container only; ``strict``:
    refused."""
    video_errors: Literal["status", "response"] = "status"
    """Where video download/format errors show: container ERROR, or the create call."""
    expired_publish_error: Literal["2207008", "2207020"] = "2207008"
    carousel_children_must_be_finished: bool = True
    """Creating a CAROUSEL whose child is still IN_PROGRESS answers 9007/2207027 (Meta: poll
    the children first). False: the parent is created and stays IN_PROGRESS until they
    are FINISHED."""
    code_exchange_shape: Literal["wrapped", "flat"] = "wrapped"
    token_error_http_status: int = Field(default=401, ge=400, le=499)
    permission_error_http_status: int = Field(default=403, ge=400, le=499)
    media_list_delay_seconds: float = Field(default=3.0, ge=0)
    """How long after it is published a media starts to show in ``GET /{ig-user-id}/media``."""
    buc_calls_per_hour: int | None = Field(default=None, ge=1)
    """Business-use-case limit per IG account and rolling hour (None: unlimited) → 80002."""
    metrics_seed: int = 0
    """Seed of the media's growing counters (``platform_sandbox.common.engagement``): the
    same seed and the same clock give the same numbers."""


class MetaApp(RegisteredApp):
    """A Meta app registered for Instagram Login and/or Facebook Login."""

    default_ig_user: str | None = None
    default_fb_user: str | None = None


class IgAccount(BaseModel):
    """An Instagram professional account."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(default="", pattern=r"^\d*$")
    app_scoped_id: str = Field(default="", pattern=r"^\d*$")
    username: str = ""
    name: str = ""
    account_type: Literal["BUSINESS", "MEDIA_CREATOR", "PERSONAL"] = "BUSINESS"
    biography: str = ""
    website: str = ""
    profile_picture_url: str = "https://scontent.cdninstagram.com/sandbox/profile.jpg"
    followers_count: int = 0
    follows_count: int = 0
    restricted: bool = False
    """25/2207050 on every create and publish."""
    spam_flagged: bool = False
    """4/2207051 on publish."""
    publish_quota_total: int | None = Field(default=None, ge=0)


class FbUser(BaseModel):
    """A Facebook user who logs in with Facebook Login and manages Pages."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(default="", pattern=r"^\d*$")
    name: str = "Sandbox User"
    email: str = "sandbox.user@example.test"


class FbPage(BaseModel):
    """A Facebook Page, optionally linked to an IG professional account."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(default="", pattern=r"^\d*$")
    name: str = "Sandbox Page"
    category: str = "Brand"
    ig_user_id: str | None = None
    managers: list[str] = Field(default_factory=list)
    tasks: list[str] = Field(
        default_factory=lambda: ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]
    )


PRESETS: dict[str, dict[str, Any]] = {
    "server_error": {
        "code": -1,
        "error_subcode": 2207001,
        "message": "An unexpected error has occurred. Please retry your request later.",
        "is_transient": True,
        "http_status": 500,
        "error_user_title": "Server error",
        "error_user_msg": "Instagram server error. Please retry.",
    },
    "create_failed": {
        "code": -1,
        "error_subcode": 2207032,
        "message": "Failed to create media, please try again.",
        "is_transient": True,
        "http_status": 500,
        "error_user_title": "Create media failed",
        "error_user_msg": "Failed to create media, please try again.",
    },
    "container_missing": {
        "code": 24,
        "error_subcode": 2207008,
        "message": "The media builder does not exist or has expired.",
        "is_transient": True,
        "error_user_title": "Media builder expired",
        "error_user_msg": "Try again in a moment; create a new container if it keeps failing.",
    },
    "unknown": {
        "code": 1,
        "message": "An unknown error occurred",
        "is_transient": True,
        "http_status": 500,
    },
    "spam": {
        "code": 4,
        "error_subcode": 2207051,
        "message": "Application request limit reached",
        "error_user_title": "Action is blocked",
        "error_user_msg": "We restrict certain activity to protect our community.",
    },
    "restricted": {
        "code": 25,
        "error_subcode": 2207050,
        "message": "The Instagram account is restricted.",
        "error_user_title": "Restricted account",
        "error_user_msg": "The account is inactive, checkpointed or restricted.",
    },
    "throttle_app": {
        "code": 4,
        "message": "(#4) Application request limit reached",
        "is_transient": True,
    },
    "throttle_user": {
        "code": 17,
        "message": "(#17) User request limit reached",
        "is_transient": True,
    },
    "throttle_page": {
        "code": 32,
        "message": "(#32) Page request limit reached",
        "is_transient": True,
    },
    "throttle_buc": {
        "code": 80002,
        "message": "There have been too many calls to this Instagram account. Wait a bit and try again.",
        "is_transient": True,
    },
    "quota": {
        "code": 9,
        "error_subcode": 2207042,
        "message": "Application request limit reached",
        "error_user_title": "Reached maximum daily limit",
        "error_user_msg": "The account reached the maximum number of posts published through the API in 24 hours.",
    },
}
THROTTLE_CODES = (4, 17, 32, 80002)


class FailureRule(PlatformFailureRule):
    """An injected failure. ``kind="error"`` answers matching requests with a Graph error
    (from ``preset`` and/or explicit fields); with ``after_commit`` (media, media_publish)
    the container or post is really created first. ``kind="container_error"`` makes the next
    matching containers end ERROR with ``status_text``."""

    presets = PRESETS
    endpoints = FAILURE_ENDPOINTS
    after_commit_endpoints = AFTER_COMMIT_ENDPOINTS
    answering_kind = "error"

    kind: Literal["error", "container_error"] = "error"
    code: int | None = None
    error_subcode: int | None = None
    message: str | None = None
    is_transient: bool | None = None
    error_user_title: str | None = None
    error_user_msg: str | None = None
    http_status: int | None = Field(default=None, ge=400, le=599)
    ig_user_id: str | None = None
    media_kind: Literal["video", "image", "any"] = "video"
    status_text: str | None = None

    def _check_answer(self) -> None:
        if self.code is None or not self.message:
            raise ValueError("an error rule needs a preset or code and message")


# Why a token was revoked → its 190 subcode and message ({app}: the app id).
REVOKE_REASONS: dict[str, tuple[int, str]] = {
    "app_removed": (
        458,
        "Error validating access token: The user has not authorized application {app}.",
    ),
    "checkpoint": (
        459,
        "Error validating access token: You cannot access the app till you log in to "
        "www.facebook.com and follow the instructions given.",
    ),
    "password_changed": (
        460,
        "Error validating access token: The session has been invalidated because the user "
        "changed their password or Facebook has changed the session for security reasons.",
    ),
    "logged_out": (
        467,
        "Error validating access token: The session is invalid because the user logged out.",
    ),
}
