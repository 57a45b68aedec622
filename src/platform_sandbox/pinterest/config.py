"""What the Pinterest sandbox is configured with: its constants (scopes, endpoints with their
rate-limit category and scopes, source types), behaviour options, the records an admin
adds (apps, users) and failure rules with their presets."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from platform_sandbox.common import MIB, PlatformFailureRule, RegisteredApp, VideoStreamChecks

UPLOAD_PATH = "/pinterest-media-upload/"
SCOPES = (
    "ads:read",
    "ads:write",
    "biz_access:read",
    "biz_access:write",
    "boards:read",
    "boards:read_secret",
    "boards:write",
    "boards:write_secret",
    "catalogs:read",
    "catalogs:write",
    "pins:read",
    "pins:read_secret",
    "pins:write",
    "pins:write_secret",
    "user_accounts:read",
    "user_accounts:write",
)
ENDPOINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "user_account": ("org_read", ("user_accounts:read",)),
    "boards_list": ("org_read", ("boards:read",)),
    "boards_get": ("org_read", ("boards:read",)),
    "boards_pins": ("org_read", ("boards:read", "pins:read")),
    "boards_create": ("org_write", ("boards:read", "boards:write")),
    "media_create": ("org_write", ("pins:read", "pins:write")),
    "media_get": ("org_read", ("pins:read",)),
    "pins_create": ("org_write", ("boards:read", "boards:write", "pins:read", "pins:write")),
    "pins_get": ("org_read", ("boards:read", "pins:read")),
    "pins_list": ("org_read", ("boards:read", "pins:read")),
    "pins_analytics": ("org_read", ("boards:read", "pins:read")),
}
FAILURE_ENDPOINTS = ("*", "oauth_token", "upload", *ENDPOINTS)
AFTER_COMMIT_ENDPOINTS = ("pins_create", "boards_create", "media_create")
RATE_LIMIT_MESSAGE = (
    "This request exceeded a rate limit. This can happen if the client exceeds one of the "
    "published rate limits or if multiple write operations are applied to an object within "
    "a short time window."
)
TRIAL_PIN_MESSAGE = (
    "Apps with Trial access may not create Pins in production https://api.pinterest.com - "
    "use API Sandbox https://api-sandbox.pinterest.com instead."
)
IMAGE_FORMATS = ("jpeg", "png", "webp", "gif", "bmp", "tiff")
SOURCE_TYPES = (
    "image_url",
    "image_base64",
    "multiple_image_urls",
    "multiple_image_base64",
    "video_id",
    "pin_url",
)


class PinterestOptions(BaseModel):
    """Behaviour knobs. Durations are seconds of the sandbox clock."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    access_token_seconds: int = Field(default=2_592_000, gt=0)
    refresh_token_seconds: int = Field(default=5_184_000, gt=0)
    code_ttl_seconds: float = Field(default=600.0, gt=0)
    keep_old_refresh_token: bool = False
    """True: a refresh token stays usable after it was exchanged (no rotation enforcement)."""
    media_processing_seconds: float = Field(default=5.0, ge=0)
    upload_url_ttl_seconds: float = Field(default=3600.0, gt=0)
    fetch_timeout_seconds: float = Field(default=10.0, gt=0)
    image_max_bytes: int = Field(default=20 * MIB, gt=0)
    video_max_bytes: int = Field(default=2 * 1024 * MIB, gt=0)
    video_stream_checks: VideoStreamChecks = "readable"
    """Read an uploaded video's streams (PyAV) as Pinterest checks a video pin: H.264 or
    H.265, 4 s–15 min, aspect 1:2…1.91:1 (the media ends ``failed`` otherwise).
    ``readable``: a file with no stream PyAV can read is checked by its container only;
    ``strict``: refused."""
    multiple_images_check: Literal["off", "same_ratio", "same_dimensions"] = "same_ratio"
    standard_limits_per_minute: dict[str, int] = Field(
        default_factory=lambda: {"org_read": 1000, "org_write": 100}
    )
    standard_universal_per_second: int = Field(default=100, ge=1)
    trial_limits_per_day: dict[str, int] = Field(
        default_factory=lambda: {"org_read": 1000, "org_write": 1000}
    )
    trial_universal_per_day: int = Field(default=1000, ge=1)
    trial_blocks_pin_create: bool = False
    board_pins_delay_seconds: float = Field(default=3.0, ge=0)
    """How long after its creation a pin starts to show in ``GET /v5/boards/{id}/pins``."""
    metrics_seed: int = 0
    """Seed of the pins' growing counters (``platform_sandbox.common.engagement``): the same
    seed and the same clock give the same numbers."""


class PinterestApp(RegisteredApp):
    """A registered Pinterest app."""

    access_tier: Literal["trial", "standard"] = "standard"
    continuous_refresh_default: bool = True
    """False: an app created before 25 Sep 2025, which must send continuous_refresh=true."""
    default_user: str | None = None


class PinterestUser(BaseModel):
    """A Pinterest account that can authorize apps."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(default="", pattern=r"^\d*$")
    username: str = ""
    account_type: Literal["BUSINESS", "PINNER"] = "BUSINESS"
    business_name: str = ""
    about: str = ""
    website_url: str = ""
    profile_image: str = "https://i.pinimg.com/280x280_RS/sandbox/profile.jpg"
    follower_count: int = 0
    following_count: int = 0
    monthly_views: int = 0
    initial_boards: list[str] = Field(default_factory=lambda: ["Sandbox board"])
    """Boards the account has after every reset (public)."""


PRESETS: dict[str, dict[str, Any]] = {
    "rate_limited": {"http_status": 429, "code": 8, "message": RATE_LIMIT_MESSAGE},
    "server_error": {
        "http_status": 500,
        "code": 500,
        "message": "Something went wrong on our end. Sorry about that.",
    },
    "unavailable": {
        "http_status": 503,
        "code": 503,
        "message": "Service unavailable. Please retry later.",
    },
}


class FailureRule(PlatformFailureRule):
    """An injected failure. ``kind="http_error"`` answers matching requests with
    ``http_status`` and ``{code, message}`` (or S3 XML on ``upload``); with ``after_commit``
    (pins_create, boards_create, media_create) the object is really stored first.
    ``kind="media_failed"`` makes the next uploaded videos end ``failed``."""

    presets = PRESETS
    endpoints = FAILURE_ENDPOINTS
    after_commit_endpoints = AFTER_COMMIT_ENDPOINTS
    answering_kind = "http_error"

    kind: Literal["http_error", "media_failed"] = "http_error"
    http_status: int | None = Field(default=None, ge=400, le=599)
    code: int | None = None
    message: str | None = None
    user_id: str | None = None

    def _check_answer(self) -> None:
        if self.http_status is None:
            raise ValueError("an http_error rule needs a preset or http_status")
        if self.code is None:
            self.code = self.http_status
        if not self.message:
            self.message = "Injected failure."
