"""Configuration of the TikTok sandbox: the registered app, the sandbox users (TikTok
accounts) and the behaviour knobs. All three are Pydantic models so the admin API can
validate partial updates the same way the Python API does."""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from platform_sandbox.common import MIB, RegisteredApp, VideoStreamChecks

PRIVACY_LEVELS = (
    "PUBLIC_TO_EVERYONE",
    "MUTUAL_FOLLOW_FRIENDS",
    "FOLLOWER_OF_CREATOR",
    "SELF_ONLY",
)
PUBLIC_ACCOUNT_PRIVACY_OPTIONS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
PRIVATE_ACCOUNT_PRIVACY_OPTIONS = ("FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")

KNOWN_SCOPES = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.publish",
    "video.upload",
)

# Every documented ``fail_reason`` of the status endpoint.
FAIL_REASONS = (
    "file_format_check_failed",
    "duration_check_failed",
    "frame_rate_check_failed",
    "picture_size_check_failed",
    "internal",
    "video_pull_failed",
    "photo_pull_failed",
    "publish_cancelled",
    "auth_removed",
    "spam_risk_too_many_posts",
    "spam_risk_user_banned_from_posting",
    "spam_risk_text",
    "spam_risk",
)

# Endpoint names used by rate limits, failure rules and the request log.
ENDPOINTS = (
    "authorize",
    "oauth_token",
    "oauth_revoke",
    "user_info",
    "creator_info",
    "content_init",
    "video_init",
    "inbox_video_init",
    "upload_chunk",
    "status_fetch",
    "cancel",
    "video_list",
    "video_query",
)
INIT_ENDPOINTS = ("content_init", "video_init", "inbox_video_init")


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_ip_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class SandboxUser(BaseModel):
    """One TikTok account that can authorize the app."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    open_id: str = Field(min_length=1, max_length=128)
    username: str = Field(min_length=1, max_length=64)
    display_name: str = ""
    avatar_url: str = "https://p16-sign.tiktokcdn.com/sandbox/avatar.jpeg"
    union_id: str = ""
    bio_description: str = ""
    profile_deep_link: str = ""
    is_verified: bool = False
    follower_count: int = 0
    following_count: int = 0
    likes_count: int = 0
    video_count: int = 0
    private_account: bool = False
    """Private accounts get FOLLOWER_OF_CREATOR instead of PUBLIC_TO_EVERYONE, and duet and
    stitch are reported disabled."""
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_video_post_duration_sec: int = 600
    banned: bool = False
    """``spam_risk_user_banned_from_posting`` on creator_info and every init."""
    app_version_ok: bool = True
    """False: the user's TikTok app is older than 31.8, photo MEDIA_UPLOAD answers
    ``app_version_check_failed``."""
    daily_post_cap: int | None = Field(default=None, ge=0)
    """Direct posts per rolling 24 h (None: ``SandboxOptions.daily_post_cap``)."""
    pending_share_cap: int | None = Field(default=None, ge=0)
    """Pending inbox shares per rolling 24 h (None: ``SandboxOptions.pending_share_cap``)."""
    fail_reason: str | None = None
    """When set, every publish of this account ends FAILED with this reason."""

    @field_validator("fail_reason")
    @classmethod
    def _known_fail_reason(cls, value: str | None) -> str | None:
        if value is not None and value not in FAIL_REASONS:
            raise ValueError(f"unknown fail_reason {value!r}; one of {', '.join(FAIL_REASONS)}")
        return value

    def privacy_level_options(self) -> list[str]:
        if self.private_account:
            return list(PRIVATE_ACCOUNT_PRIVACY_OPTIONS)
        return list(PUBLIC_ACCOUNT_PRIVACY_OPTIONS)


class SandboxApp(RegisteredApp):
    """The developer-portal registration of the one app the sandbox serves. The API names
    it by ``client_key``; ``client_id`` is the numeric app ID the portal shows (the key of
    ``PlatformSandbox``'s registered apps)."""

    client_id: str = Field(default="7400000000000000001", pattern=r"^\d+$")
    client_key: str = Field(default="sbawsandboxclientkey", min_length=1)
    client_secret: str = Field(default="sandbox-client-secret", min_length=1)
    redirect_uris: list[str] = Field(default_factory=list, max_length=10)
    scopes: list[str] = Field(default_factory=lambda: list(KNOWN_SCOPES))
    """Scopes the app is approved for; authorize refuses others with ``invalid_scope``."""
    audited: bool = True
    active_user_cap: int | None = Field(default=None, ge=0)
    """Creators that may post through the app per rolling 24 h (None: 5 when unaudited,
    unlimited when audited)."""
    verified_domains: list[str] = Field(default_factory=list)
    verified_url_prefixes: list[str] = Field(default_factory=list)
    allow_loopback_url_prefixes: bool = False
    """Sandbox-only: accept ``http(s)://127.0.0.1:<port>/…`` (or localhost, ::1) URL prefixes,
    which TikTok never verifies, so tests can serve media on loopback."""
    webhook_url: str | None = None
    default_user: str | None = None
    """open_id that approves the authorize page when no ``sandbox_user`` is given."""

    @field_validator("redirect_uris")
    @classmethod
    def _static_redirect_uris(cls, value: list[str]) -> list[str]:
        for uri in value:
            parts = urlsplit(uri)
            if len(uri) >= 512:
                raise ValueError("redirect URIs must be shorter than 512 characters")
            if parts.query or parts.fragment or "#" in uri:
                raise ValueError(f"redirect URI {uri!r} must be static (no query or fragment)")
            if not parts.hostname:
                raise ValueError(f"redirect URI {uri!r} has no host")
            if parts.scheme != "https" and not (
                parts.scheme == "http" and is_loopback_host(parts.hostname)
            ):
                raise ValueError(f"redirect URI {uri!r} must use https (http only on loopback)")
        return value

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = [scope for scope in value if scope not in KNOWN_SCOPES]
        if unknown:
            raise ValueError(f"unknown scopes {unknown}")
        return value

    @field_validator("verified_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        out = []
        for domain in value:
            name = domain.strip().lower().rstrip(".")
            if not name or "/" in name or ":" in name or is_ip_host(name):
                raise ValueError(f"{domain!r} is not a domain name")
            out.append(name)
        return out

    @field_validator("verified_url_prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            parts = urlsplit(prefix)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{prefix!r} is not an absolute URL prefix")
            if not parts.path.startswith("/"):
                raise ValueError(f"{prefix!r} needs a path (at least '/')")
        return value


class SandboxOptions(BaseModel):
    """Behaviour knobs. Durations read the sandbox clock unless said otherwise."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    invalid_param_code: Literal["invalid_param", "invalid_params"] = "invalid_param"
    # OAuth
    access_token_ttl_seconds: int = Field(default=86_400, gt=0)
    refresh_token_ttl_seconds: int = Field(default=31_536_000, gt=0)
    auth_code_ttl_seconds: int = Field(default=600, gt=0)
    rotate_refresh_tokens: bool = True
    keep_old_refresh_token_valid: bool = False
    oauth_error_http_status: int = Field(default=400, ge=200, le=599)
    pkce_encoding: Literal["hex", "base64url"] = "hex"
    # Rate limits: requests per sliding window, per access token (or per user+app).
    rate_limits: dict[str, int] = Field(
        default_factory=lambda: {
            "content_init": 6,
            "video_init": 6,
            "inbox_video_init": 6,
            "creator_info": 20,
            "status_fetch": 30,
            "user_info": 600,
            "video_list": 600,
            "video_query": 600,
        }
    )
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    rate_limit_key: Literal["token", "user"] = "token"
    # Caps (rolling 24 h)
    daily_post_cap: int = Field(default=15, ge=0)
    pending_share_cap: int = Field(default=5, ge=0)
    unaudited_active_user_cap: int = Field(default=5, ge=0)
    unaudited_requires_private_account: bool = True
    reject_branded_self_only: bool = False
    # Async pipeline
    download_seconds: float = Field(default=1.0, ge=0)
    processing_seconds: float = Field(default=1.0, ge=0)
    moderation_seconds: float = Field(default=2.0, ge=0)
    pull_deadline_seconds: float = Field(default=3600.0, gt=0)
    pull_timeout_seconds: float = Field(default=10.0, gt=0)
    """Real (wall-clock) seconds the sandbox waits on a media server before failing the pull."""
    status_wait_seconds: float = Field(default=5.0, ge=0)
    """Real seconds a status fetch may wait for a media pull whose clock time is up."""
    fetch_workers: int = Field(default=8, ge=1, le=64)
    # FILE_UPLOAD
    upload_url_ttl_seconds: float = Field(default=3600.0, gt=0)
    upload_base_url: str | None = None
    """Base of the returned upload_url (default: the base URL the init request came to)."""
    chunk_min_bytes: int = Field(default=5 * MIB, gt=0)
    chunk_max_bytes: int = Field(default=64 * MIB, gt=0)
    last_chunk_max_bytes: int = Field(default=128 * MIB, gt=0)
    max_chunks: int = Field(default=1000, gt=0)
    max_video_bytes: int = Field(default=4 * 1024 * MIB, gt=0)
    reject_multi_chunk: bool = False
    """Reproduce the Aug 2026 reports: any multi-chunk init fails with "The chunk size is
    invalid"."""
    check_video_container: bool = True
    video_stream_checks: VideoStreamChecks = "readable"
    """Read the video's streams (PyAV) as TikTok checks them: codec H.264/H.265/VP8/VP9
    (else file_format_check_failed), duration ≤ the creator's max_video_post_duration_sec
    (duration_check_failed), 23–60 fps (frame_rate_check_failed), 360–4096 px per side
    (picture_size_check_failed). ``readable``: a file with no stream PyAV can read is
    checked by its container only; ``strict``: refused (file_format_check_failed)."""
    video_probe_max_bytes: int = Field(default=512 * MIB, gt=0)
    """Videos larger than this are checked by their container only (kept in memory)."""
    # Photo checks
    photo_max_bytes: int = Field(default=20 * MIB, gt=0)
    photo_max_short_side: int = Field(default=1080, gt=0)
    # Webhooks (real seconds)
    webhook_retry_delays: list[float] = Field(default_factory=lambda: [0.2, 0.5, 1.0, 2.0])
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_duplicates: int = Field(default=1, ge=1, le=10)
    """Deliver every event this many times (TikTok delivers at least once)."""
    tick_interval_seconds: float = Field(default=0.1, gt=0)
    # Display API
    video_list_delay_seconds: float = Field(default=3.0, ge=0)
    """How long after it is published a post starts to show in ``/v2/video/list/``."""
    metrics_seed: int = 0
    """Seed of the posts' growing counters (``platform_sandbox.common.engagement``): the same
    seed and the same clock give the same numbers."""


DEFAULT_USER = SandboxUser(
    open_id="-000sandboxcreator0001",
    username="sandbox.creator",
    display_name="Sandbox Creator",
)
