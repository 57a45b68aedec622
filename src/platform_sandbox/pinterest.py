"""Pinterest API v5 sandbox: a real HTTP server built from Pinterest's documentation and
OpenAPI description (``docs/platforms.md``, "Pinterest" and its "Pinterest sandbox
checklist"), for the product's Pinterest adapter, dry runs and tests.

Use::

    sandbox = PinterestSandbox(clock=ManualClock())        # or SystemClock (default)
    server = serve_in_thread(create_app(sandbox))
    sandbox.update_app(sandbox.apps()[0].client_id, redirect_uris=[...])
    tokens = sandbox.issue_tokens(sandbox.users()[0].id)   # or the OAuth dance

Every admin action is also reachable over HTTP under ``/__sandbox/`` (see ``create_app``).

Reproduced (documented behaviour):

- OAuth: ``GET /oauth/`` (www.pinterest.com) checks client_id, the exact registered
  redirect_uri, ``response_type=code`` and the scope list, then redirects 302 to
  ``redirect_uri?code=…&state=…``. ``POST /v5/oauth/token`` takes a urlencoded form and
  HTTP Basic ``client_id:client_secret`` (401 ``{"code": 2, "message": "Authentication
  failed."}`` otherwise); ``authorization_code`` codes are single-use, expire and need the
  same redirect_uri; ``refresh_token`` issues a new access token and a new continuous
  refresh token (60 days from the refresh, refreshable indefinitely); the old refresh token
  dies on use unless ``keep_old_refresh_token``; an optional narrower ``scope`` is honoured;
  apps created before 25 Sep 2025 (``continuous_refresh_default=False``) must send
  ``continuous_refresh=true``. Answers carry ``access_token`` (``pina_…``), ``refresh_token``
  (``pinr_…``), ``response_type``, ``token_type``, ``expires_in`` (30 d), ``scope``,
  ``refresh_token_expires_in`` and ``refresh_token_expires_at``.
- Bearer endpoints with the scopes of the OpenAPI description: ``GET /v5/user_account``,
  ``GET /v5/boards`` (``page_size`` 1–250, default 25, opaque ``bookmark`` paging, privacy
  filter, secret boards only with ``boards:read_secret``), ``GET /v5/boards/{id}``,
  ``GET /v5/boards/{id}/pins`` (newest first, ``page_size`` 1–250, ``bookmark`` paging; a
  pin shows there ``board_pins_delay_seconds`` after its creation),
  ``POST /v5/boards`` (duplicate name → code 58, secret/protected boards need
  ``boards:write_secret``), ``POST /v5/media`` (201 ``{media_id, media_type, upload_url,
  upload_parameters}``), ``GET /v5/media/{id}`` (``registered`` → ``processing`` after the
  upload → ``succeeded`` | ``failed`` after ``media_processing_seconds``), ``POST /v5/pins``,
  ``GET /v5/pins/{id}`` (404 code 50).
- The upload URL is served by the sandbox itself, standing in for the S3 bucket: a
  multipart POST that must echo every upload parameter unchanged, before a ``file`` part,
  within the policy's lifetime → 204; S3-style XML errors otherwise.
- Pin creation: ``board_id`` must match ``^\\d+$`` (400) and be the user's board (404
  ``{"code": 40, "message": "Board not found."}``); title ≤ 100, description ≤ 800,
  link ≤ 2048 and a valid http(s) URL, alt_text ≤ 500, dominant_color ``#RRGGBB``;
  ``media_source`` by ``source_type``: ``image_url`` (really downloaded: connection failure or
  timeout → 400 "Unable to reach the URL…", HTTP error → 400 "Sorry we could not fetch the
  image.", not an image → 403 code 235), ``image_base64`` (image/jpeg or image/png),
  ``multiple_image_urls`` / ``multiple_image_base64`` (2–5 items: "constraint: minItems=2" /
  "constraint: maxItems=5"; "Pinterest Images must have the same width/height ratios." by
  default), ``video_id`` (a cover is required; the media must be the user's and
  ``succeeded``). 201 with the Pin object (numeric-string ``id``, ``created_at``,
  ``board_id``, ``media``); no idempotency key, so a retried create duplicates a pin.
- Errors ``{"code": int, "message": str}`` with HTTP 400/401/403/404/429: 401 code 2 for a
  missing, unknown, expired or revoked token, 401 code 29 "You are not permitted to access
  that resource." for a missing scope, 429 code 8 on rate limits.
- Rate limits: Standard access counts per user per app per category (org_read, org_write)
  in a sliding minute plus 100 requests per second; Trial access counts per app per day
  (1000 for everything, plus per-category limits), and pins and boards created with Trial
  access are flagged visible only to their creator (``trial_blocks_pin_create`` reproduces
  production's 403 code 29 instead). ``x-ratelimit-limit``/``-remaining``/``-reset``
  headers on every Bearer answer.

Deliberate deviations (sandbox conveniences, or where the documentation is silent):

- One host serves www.pinterest.com/oauth/, api.pinterest.com/v5 and the upload bucket
  (``/pinterest-media-upload/``); the authorize page answers JSON errors, not HTML.
- Nobody clicks "Give access": authorize approves at once as ``sandbox_user`` (id or
  username) or the app's default user; ``sandbox_decision=deny`` redirects with
  ``error=access_denied``; ``sandbox_scopes=a,b`` grants a subset.
- Media URLs may be plain ``http://`` on loopback; Pinterest fetches public URLs. Images are
  checked for reachability, format (JPEG, PNG, WebP, GIF, BMP, TIFF) and size
  (``image_max_bytes``); uploaded videos only for an MP4/MOV/M4V container.
- Undocumented details chosen here: invalid grants answer 400 code 283; a legacy app
  without ``continuous_refresh=true`` gets 400 code 1 (the 365-day token is gone); the
  category limits' numbers (org_read 1000/min, org_write 100/min Standard; 1000/day each
  on Trial) are configurable defaults; 5xx bodies use the HTTP status as ``code``; board
  sections are not modelled (any ``board_section_id`` → 404 code 2031); a video pin whose
  media is not ``succeeded`` answers 400 code 1; the token endpoint is not rate limited.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import re
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from platform_sandbox.common import (
    DAY,
    MIB,
    AdminCall,
    PlatformSandbox,
    RegisteredApp,
    Reply,
    SandboxError,
    admin_endpoint,
    apply_preset,
    build_model,
    fetch_media,
    iso,
    parse_multipart,
    platform_admin_call,
    reply_response,
    sandbox_app,
    sniff_image,
    split_scopes,
    with_changes,
    with_query,
)
from slideforge.kit.clock import Clock
from slideforge.kit.video import sniff_video

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

# endpoint → (rate-limit category, required scopes), from the OpenAPI description.
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

# ---------------------------------------------------------------------- errors


class PinterestError(Exception):
    """An API error: ``{"code": int, "message": str}`` with an HTTP status."""

    def __init__(
        self,
        http_status: int,
        code: int,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class S3Error(Exception):
    """An error of the upload bucket, answered as S3's XML."""

    def __init__(self, http_status: int, code: str, message: str) -> None:
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message

    def xml(self, request_id: str) -> str:
        message = self.message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )


def _invalid(message: str) -> PinterestError:
    return PinterestError(400, 1, message)


def _auth_failed() -> PinterestError:
    return PinterestError(401, 2, "Authentication failed.")


def _invalid_grant(message: str) -> PinterestError:
    return PinterestError(400, 283, message)


# ---------------------------------------------------------------------- configuration


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


class FailureRule(BaseModel):
    """An injected failure. ``kind="http_error"`` answers matching requests with
    ``http_status`` and ``{code, message}`` (or S3 XML on ``upload``); with ``after_commit``
    (pins_create, boards_create, media_create) the object is really stored first.
    ``kind="media_failed"`` makes the next uploaded videos end ``failed``."""

    model_config = ConfigDict(extra="forbid")

    id: int = 0
    kind: Literal["http_error", "media_failed"] = "http_error"
    preset: str | None = None
    endpoint: str = "*"
    http_status: int | None = Field(default=None, ge=400, le=599)
    code: int | None = None
    message: str | None = None
    after_commit: bool = False
    user_id: str | None = None
    count: int | None = Field(default=1, ge=1)
    """How many times the rule fires; None: until cleared."""
    fired: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> FailureRule:
        apply_preset(self, self.preset, PRESETS)
        if self.endpoint not in FAILURE_ENDPOINTS:
            raise ValueError(f"endpoint must be one of {FAILURE_ENDPOINTS}")
        if self.kind == "http_error":
            if self.http_status is None:
                raise ValueError("an http_error rule needs a preset or http_status")
            if self.code is None:
                self.code = self.http_status
            if not self.message:
                self.message = "Injected failure."
            if self.after_commit and self.endpoint not in AFTER_COMMIT_ENDPOINTS:
                raise ValueError(f"after_commit only applies to {AFTER_COMMIT_ENDPOINTS}")
        return self


# ---------------------------------------------------------------------- records


@dataclass
class AccessToken:
    value: str
    app_id: str
    user_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    value: str
    app_id: str
    user_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    used_at: float | None = None
    revoked: bool = False


@dataclass
class AuthCode:
    value: str
    app_id: str
    user_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    issued_at: float
    used: bool = False


@dataclass
class Board:
    id: str
    user_id: str
    name: str
    description: str
    privacy: str
    created_at: float
    app_id: str | None = None
    visible_only_to_creator: bool = False


@dataclass
class MediaUpload:
    id: str
    user_id: str
    app_id: str
    created_at: float
    upload_parameters: dict[str, str]
    expires_at: float
    uploaded_at: float | None = None
    bytes: int = 0
    format: str | None = None
    fail: bool = False


@dataclass
class ImageInfo:
    source: str  # URL or "base64"
    width: int
    height: int
    format: str


@dataclass
class Pin:
    id: str
    user_id: str
    app_id: str
    board_id: str
    created_at: float
    source_type: str
    title: str | None
    description: str | None
    link: str | None
    alt_text: str | None
    dominant_color: str | None
    parent_pin_id: str | None
    note: str | None
    images: list[ImageInfo] = field(default_factory=list)
    media_id: str | None = None
    cover: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    visible_only_to_creator: bool = False


@dataclass
class _MediaPlan:
    """The media of a pin being created, before the downloads."""

    image_items: list[tuple[str, Any]]  # ("url", url) | ("base64", (content_type, data))
    multiple: bool = False
    media_id: str | None = None
    cover: str | None = None
    item_meta: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Ctx:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: Mapping[str, str]
    base_url: str
    endpoint: str = "unknown"
    user_id: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------- helpers


def _pin_time(ts: float) -> str:
    """Pinterest's ``created_at``: ``2026-03-02T09:00:00`` (UTC, no zone)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _too_long(name: str, value: str, limit: int) -> PinterestError:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return _invalid(
        f"Invalid request: '{shown}' is too long (field: {name}, constraint: maxLength={limit})"
    )


def _optional_str(
    body: Mapping[str, Any], key: str, limit: int | None, where: str = ""
) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    name = f"{where}{key}"
    if not isinstance(value, str):
        raise _invalid(f"Invalid request: {value!r} is not of type 'string' (field: {name})")
    if limit is not None and len(value) > limit:
        raise _too_long(name, value, limit)
    return value


def _valid_link(link: str) -> bool:
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in link


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return client_id, secret


def _request_id() -> str:
    return secrets.token_hex(8)


# ---------------------------------------------------------------------- the sandbox


class PinterestSandbox(PlatformSandbox[PinterestOptions, PinterestApp, FailureRule]):
    """In-memory Pinterest API v5: OAuth with continuous refresh tokens, user account,
    boards, media uploads through a stand-in S3 bucket, pins, rate limits, trial mode,
    failure injection and an admin view of every pin. Thread-safe: state is guarded by one
    lock; image downloads run outside it. Options, apps, failure rules, the clock and
    ``reset`` are ``PlatformSandbox``'s."""

    failure_rule_model = FailureRule

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        options: PinterestOptions | None = None,
        seed_defaults: bool = True,
    ) -> None:
        self._upload_secret = secrets.token_bytes(32)
        super().__init__(
            clock=clock, options=options or PinterestOptions(), seed_defaults=seed_defaults
        )

    # ------------------------------------------------------------------ setup

    def _load_config(self) -> None:
        """Options, apps and users as configured at start."""
        self._options = self._initial_options.model_copy(deep=True)
        self._apps = {}
        self._users: dict[str, PinterestUser] = {}
        self._config_seq = 0
        if self._seed_defaults:
            self._apps["1234567"] = PinterestApp(
                client_id="1234567", client_secret="sandbox-pinterest-secret"
            )
            user = PinterestUser(
                id="1022106146619700001", username="sandbox_pinner", business_name="Sandbox"
            )
            self._users[user.id] = user

    def _clear_state(self) -> None:
        """Forget tokens, codes, pins, media, boards (back to each user's initial boards),
        counters, rules and the request log."""
        self._seq = 0
        self._codes: dict[str, AuthCode] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._boards: dict[str, Board] = {}
        self._media: dict[str, MediaUpload] = {}
        self._pins: dict[str, Pin] = {}
        self._rules = []
        self._rule_seq = 0
        self._windows: dict[tuple[str, ...], deque[float]] = {}
        self._requests = deque(maxlen=20_000)
        now = self._now()
        for user in self._users.values():
            self._seed_boards(user, now)

    def _seed_boards(self, user: PinterestUser, now: float) -> None:
        for name in user.initial_boards:
            board = Board(
                id=self._next(1_022_106_077_902_800_000),
                user_id=user.id,
                name=name,
                description="",
                privacy="PUBLIC",
                created_at=now,
            )
            self._boards[board.id] = board

    # ------------------------------------------------------------------ configuration API

    def add_app(self, **fields: Any) -> PinterestApp:
        with self._lock:
            app = build_model(PinterestApp, fields)
            if not app.client_id:
                app.client_id = self._next_config_id(1_500_000)
            if not app.client_secret:
                app.client_secret = secrets.token_hex(20)
            if app.client_id in self._apps:
                raise SandboxError(f"app {app.client_id} exists", status=409, code="conflict")
            self._apps[app.client_id] = app
            return app.model_copy(deep=True)

    def users(self) -> list[PinterestUser]:
        with self._lock:
            return [user.model_copy(deep=True) for user in self._users.values()]

    def _user(self, key: str) -> PinterestUser:
        for user in self._users.values():
            if key in (user.id, user.username):
                return user
        raise SandboxError(f"no user {key!r}", status=404, code="not_found")

    def get_user(self, key: str) -> PinterestUser:
        with self._lock:
            return self._user(key).model_copy(deep=True)

    def add_user(self, **fields: Any) -> PinterestUser:
        with self._lock:
            user = build_model(PinterestUser, fields)
            if not user.id:
                user.id = self._next_config_id(1_022_106_146_619_700_100)
            if not user.username:
                user.username = f"pinner_{user.id[-4:]}"
            if user.id in self._users:
                raise SandboxError(f"user {user.id} exists", status=409, code="conflict")
            self._users[user.id] = user
            self._seed_boards(user, self._now())
            return user.model_copy(deep=True)

    def update_user(self, key: str, **changes: Any) -> PinterestUser:
        with self._lock:
            current = self._user(key)
            user = with_changes(current, changes)
            if user.id != current.id:
                raise SandboxError("id cannot change")
            self._users[user.id] = user
            return user.model_copy(deep=True)

    def add_board(
        self, user_id: str, name: str, *, privacy: str = "PUBLIC", description: str = ""
    ) -> dict[str, Any]:
        with self._lock:
            user = self._user(user_id)
            if privacy not in ("PUBLIC", "PROTECTED", "SECRET"):
                raise SandboxError("privacy must be PUBLIC, PROTECTED or SECRET")
            board = Board(
                id=self._next(1_022_106_077_902_800_000),
                user_id=user.id,
                name=name,
                description=description,
                privacy=privacy,
                created_at=self._now(),
            )
            self._boards[board.id] = board
            return self._board_view(board)

    def boards(self, user_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    **self._board_view(board),
                    "user_id": board.user_id,
                    "visible_only_to_creator": board.visible_only_to_creator,
                }
                for board in self._boards.values()
                if user_id is None or board.user_id == user_id
            ]

    # ------------------------------------------------------------------ tokens API

    def _issue(
        self, app_id: str, user_id: str, scopes: tuple[str, ...], response_type: str
    ) -> dict[str, Any]:
        now = self._now()
        options = self._options
        access = AccessToken(
            value="pina_" + secrets.token_urlsafe(48),
            app_id=app_id,
            user_id=user_id,
            scopes=scopes,
            issued_at=now,
            expires_at=now + options.access_token_seconds,
        )
        refresh = RefreshToken(
            value="pinr_" + secrets.token_urlsafe(48),
            app_id=app_id,
            user_id=user_id,
            scopes=scopes,
            issued_at=now,
            expires_at=now + options.refresh_token_seconds,
        )
        self._access[access.value] = access
        self._refresh[refresh.value] = refresh
        return {
            "access_token": access.value,
            "refresh_token": refresh.value,
            "response_type": response_type,
            "token_type": "bearer",
            "expires_in": options.access_token_seconds,
            "refresh_token_expires_in": options.refresh_token_seconds,
            "refresh_token_expires_at": int(refresh.expires_at),
            "scope": " ".join(scopes),
        }

    def issue_tokens(
        self, user_id: str, *, app_id: str | None = None, scopes: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Mint an access + refresh token pair without the OAuth dance (all scopes by
        default); the answer has the token endpoint's shape."""
        with self._lock:
            user = self._user(user_id)
            app = self._app(app_id) if app_id else next(iter(self._apps.values()), None)
            if app is None:
                raise SandboxError("no app registered")
            granted = tuple(scopes) if scopes is not None else SCOPES
            unknown = [scope for scope in granted if scope not in SCOPES]
            if unknown:
                raise SandboxError(f"unknown scopes: {unknown}")
            return self._issue(app.client_id, user.id, granted, "authorization_code")

    def revoke_user(self, user_id: str, *, app_id: str | None = None) -> int:
        """The user removes the app (or changes password): every access and refresh token
        of the user (for ``app_id`` only, if given) stops working."""
        with self._lock:
            user = self._user(user_id)
            count = 0
            tokens: list[AccessToken | RefreshToken] = [
                *self._access.values(),
                *self._refresh.values(),
            ]
            for token in tokens:
                if token.user_id == user.id and (app_id is None or token.app_id == app_id):
                    if not token.revoked:
                        count += 1
                    token.revoked = True
            return count

    def expire_access_tokens(self, user_id: str) -> int:
        with self._lock:
            user = self._user(user_id)
            now = self._now()
            count = 0
            for token in self._access.values():
                if token.user_id == user.id:
                    token.expires_at = min(token.expires_at, now - 1)
                    count += 1
            return count

    def tokens(self, user_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            out: list[dict[str, Any]] = []
            tokens: list[AccessToken | RefreshToken] = [
                *self._access.values(),
                *self._refresh.values(),
            ]
            for token in tokens:
                if user_id is not None and token.user_id != user_id:
                    continue
                entry: dict[str, Any] = {
                    "kind": "refresh" if isinstance(token, RefreshToken) else "access",
                    "token": token.value,
                    "app_id": token.app_id,
                    "user_id": token.user_id,
                    "scopes": list(token.scopes),
                    "issued_at": iso(token.issued_at),
                    "expires_at": iso(token.expires_at),
                    "revoked": token.revoked,
                }
                if isinstance(token, RefreshToken):
                    entry["used_at"] = iso(token.used_at)
                out.append(entry)
            return out

    # ------------------------------------------------------------------ failure injection

    def _take_rule(
        self, kind: str, endpoint: str, user_id: str | None, *, after_commit: bool = False
    ) -> FailureRule | None:
        for rule in self._rules:
            if rule.kind != kind or rule.after_commit != after_commit:
                continue
            if kind == "http_error" and rule.endpoint not in ("*", endpoint):
                continue
            if rule.user_id is not None and rule.user_id != user_id:
                continue
            rule.fired += 1
            if rule.count is not None and rule.fired >= rule.count:
                self._rules.remove(rule)
            return rule
        return None

    @staticmethod
    def _rule_error(rule: FailureRule) -> PinterestError:
        status = rule.http_status or 500
        headers = {"retry-after": "1"} if status == 429 else {}
        return PinterestError(status, rule.code or status, rule.message or "", headers)

    def _inject(self, endpoint: str, user_id: str | None) -> None:
        rule = self._take_rule("http_error", endpoint, user_id)
        if rule is not None:
            raise self._rule_error(rule)

    # ------------------------------------------------------------------ listings API

    def pins(
        self, *, user_id: str | None = None, board_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every pin created, oldest first: board, title, media, created time, trial flag."""
        with self._lock:
            return [
                self._pin_admin_view(pin)
                for pin in self._pins.values()
                if (user_id is None or pin.user_id == user_id)
                and (board_id is None or pin.board_id == board_id)
            ]

    def _pin_admin_view(self, pin: Pin) -> dict[str, Any]:
        return {
            "id": pin.id,
            "user_id": pin.user_id,
            "app_id": pin.app_id,
            "board_id": pin.board_id,
            "title": pin.title,
            "description": pin.description,
            "link": pin.link,
            "source_type": pin.source_type,
            "media_sources": [image.source for image in pin.images],
            "media_id": pin.media_id,
            "created_at": iso(pin.created_at),
            "visible_only_to_creator": pin.visible_only_to_creator,
        }

    def duplicate_pins(self) -> list[dict[str, Any]]:
        """Pins created more than once on the same board with the same title, description,
        link and media."""
        with self._lock:
            groups: dict[tuple[Any, ...], list[str]] = {}
            for pin in self._pins.values():
                key = (
                    pin.board_id,
                    pin.title,
                    pin.description,
                    pin.link,
                    tuple(image.source for image in pin.images),
                    pin.media_id,
                )
                groups.setdefault(key, []).append(pin.id)
            return [
                {"board_id": key[0], "title": key[1], "pin_ids": ids}
                for key, ids in groups.items()
                if len(ids) > 1
            ]

    def media(self, *, user_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            now = self._now()
            return [
                {
                    "media_id": upload.id,
                    "user_id": upload.user_id,
                    "status": self._media_status(upload, now),
                    "bytes": upload.bytes,
                    "format": upload.format,
                    "created_at": iso(upload.created_at),
                    "uploaded_at": iso(upload.uploaded_at),
                }
                for upload in self._media.values()
                if user_id is None or upload.user_id == user_id
            ]

    def requests_log(
        self, *, endpoint: str | None = None, user_id: str | None = None
    ) -> list[dict[str, Any]]:
        return self._logged_requests(endpoint=endpoint, user_id=user_id)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                "now": iso(self._now()),
                "manual_clock": self.manual_clock,
                "apps": len(self._apps),
                "users": len(self._users),
                "boards": len(self._boards),
                "pins": len(self._pins),
                "media": len(self._media),
                "access_tokens": len(self._access),
                "failure_rules": len(self._rules),
                "requests": len(self._requests),
            }

    # ------------------------------------------------------------------ HTTP entry point

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: Mapping[str, str],
        base_url: str,
    ) -> Reply:
        """Answer one request (the ASGI app calls this in a worker thread)."""
        ctx = _Ctx(
            method=method.upper(),
            path=path,
            query=query,
            body=body,
            headers=headers,
            base_url=base_url.rstrip("/"),
        )
        request_id = _request_id()
        code: int | str | None = None
        try:
            reply = self._dispatch(ctx)
        except PinterestError as error:
            code = error.code
            reply = Reply(error.http_status, error.body(), dict(error.headers))
        except S3Error as error:
            code = error.code
            reply = Reply(error.http_status, xml=error.xml(request_id))
        for key, value in ctx.extra_headers.items():
            reply.headers.setdefault(key, value)
        reply.headers.setdefault("x-pinterest-rid", request_id)
        self._log_request(
            method=ctx.method,
            path=path,
            endpoint=ctx.endpoint,
            status=reply.status,
            code=code,
            user_id=ctx.user_id,
        )
        return reply

    def _dispatch(self, ctx: _Ctx) -> Reply:
        parts = [part for part in ctx.path.split("/") if part]
        match (ctx.method, parts):
            case ("GET", ["oauth"]):
                ctx.endpoint = "authorize"
                return self._authorize(ctx)
            case ("POST", ["v5", "oauth", "token"]):
                ctx.endpoint = "oauth_token"
                return self._token(ctx)
            case ("POST", ["pinterest-media-upload"]):
                ctx.endpoint = "upload"
                return self._upload(ctx)
            case ("GET", ["v5", "user_account"]):
                return self._bearer(ctx, "user_account", self._user_account)
            case ("GET", ["v5", "boards"]):
                return self._bearer(ctx, "boards_list", self._list_boards)
            case ("POST", ["v5", "boards"]):
                return self._bearer(ctx, "boards_create", self._create_board)
            case ("GET", ["v5", "boards", board_id]):
                return self._bearer(ctx, "boards_get", lambda c, t: self._get_board(t, board_id))
            case ("GET", ["v5", "boards", board_id, "pins"]):
                return self._bearer(
                    ctx, "boards_pins", lambda c, t: self._board_pins(c, t, board_id)
                )
            case ("POST", ["v5", "media"]):
                return self._bearer(ctx, "media_create", self._create_media)
            case ("GET", ["v5", "media", media_id]):
                return self._bearer(ctx, "media_get", lambda c, t: self._get_media(t, media_id))
            case ("POST", ["v5", "pins"]):
                return self._create_pin(ctx)
            case ("GET", ["v5", "pins", pin_id]):
                return self._bearer(ctx, "pins_get", lambda c, t: self._get_pin(t, pin_id))
        raise PinterestError(404, 404, f"Resource not found: {ctx.method} {ctx.path}")

    # ------------------------------------------------------------------ OAuth

    def _authorize(self, ctx: _Ctx) -> Reply:
        q = ctx.query
        with self._lock:
            app = self._apps.get(q.get("client_id", ""))
            if app is None:
                raise _invalid("Invalid client_id: the app does not exist.")
            redirect_uri = q.get("redirect_uri", "")
            if redirect_uri not in app.redirect_uris:
                raise _invalid("Invalid redirect_uri: it is not registered for this app.")
            if q.get("response_type") != "code":
                raise _invalid("Invalid response_type: only 'code' is supported.")
            scopes = split_scopes(q.get("scope", ""))
            if not scopes:
                raise _invalid("Invalid scope: at least one scope is required.")
            unknown = [scope for scope in scopes if scope not in SCOPES]
            if unknown:
                raise _invalid(f"Invalid scope: {', '.join(unknown)}")
            state = q.get("state")
            if q.get("sandbox_decision") == "deny":
                return Reply(
                    302,
                    location=with_query(redirect_uri, {"error": "access_denied", "state": state}),
                )
            key = q.get("sandbox_user") or app.default_user
            if key:
                try:
                    user = self._user(key)
                except SandboxError as exc:
                    raise _invalid(f"Unknown sandbox user {key!r}") from exc
            elif self._users:
                user = next(iter(self._users.values()))
            else:
                raise _invalid("No user exists in the sandbox")
            granted = tuple(scopes)
            subset = q.get("sandbox_scopes")
            if subset is not None:
                allowed = set(split_scopes(subset))
                granted = tuple(scope for scope in scopes if scope in allowed)
            code = AuthCode(
                value=secrets.token_hex(20),
                app_id=app.client_id,
                user_id=user.id,
                redirect_uri=redirect_uri,
                scopes=granted,
                issued_at=self._now(),
            )
            self._codes[code.value] = code
            ctx.user_id = user.id
            return Reply(
                302, location=with_query(redirect_uri, {"code": code.value, "state": state})
            )

    def _token(self, ctx: _Ctx) -> Reply:
        credentials = _basic_credentials(ctx.headers.get("authorization", ""))
        with self._lock:
            app = self._apps.get(credentials[0]) if credentials else None
            if (
                credentials is None
                or app is None
                or not hmac.compare_digest(credentials[1], app.client_secret)
            ):
                raise _auth_failed()
            self._inject("oauth_token", None)
            kind = ctx.headers.get("content-type", "").split(";")[0].strip().lower()
            form: dict[str, str] = {}
            if kind == "application/x-www-form-urlencoded":
                form = dict(parse_qsl(ctx.body.decode("utf-8", "replace"), keep_blank_values=True))
            grant_type = form.get("grant_type")
            if not grant_type:
                raise _invalid(
                    "Invalid request: 'grant_type' is a required property (send a "
                    "application/x-www-form-urlencoded body)"
                )
            if grant_type not in ("authorization_code", "refresh_token"):
                raise _invalid(f"Invalid request: grant_type '{grant_type}' is not supported")
            if not app.continuous_refresh_default and form.get("continuous_refresh") != "true":
                raise _invalid(
                    "This app must send continuous_refresh=true: legacy refresh tokens are no "
                    "longer supported."
                )
            if grant_type == "authorization_code":
                return Reply(200, self._exchange_code(ctx, app, form))
            return Reply(200, self._refresh_grant(ctx, app, form))

    def _exchange_code(
        self, ctx: _Ctx, app: PinterestApp, form: Mapping[str, str]
    ) -> dict[str, Any]:
        raw = form.get("code")
        if not raw:
            raise _invalid("Invalid request: 'code' is a required property")
        code = self._codes.get(raw)
        if code is None or code.app_id != app.client_id:
            raise _invalid_grant("Invalid authorization code.")
        if code.used:
            raise _invalid_grant("The authorization code has already been used.")
        if self._now() > code.issued_at + self._options.code_ttl_seconds:
            raise _invalid_grant("The authorization code has expired.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _invalid_grant("redirect_uri does not match the authorization request.")
        code.used = True
        ctx.user_id = code.user_id
        return self._issue(app.client_id, code.user_id, code.scopes, "authorization_code")

    def _refresh_grant(
        self, ctx: _Ctx, app: PinterestApp, form: Mapping[str, str]
    ) -> dict[str, Any]:
        raw = form.get("refresh_token")
        if not raw:
            raise _invalid("Invalid request: 'refresh_token' is a required property")
        token = self._refresh.get(raw)
        if token is None or token.app_id != app.client_id:
            raise _invalid_grant("Invalid refresh token.")
        ctx.user_id = token.user_id
        if token.revoked:
            raise _invalid_grant("The refresh token has been revoked.")
        now = self._now()
        if now >= token.expires_at:
            raise _invalid_grant("The refresh token has expired.")
        if token.used_at is not None and not self._options.keep_old_refresh_token:
            raise _invalid_grant(
                "The refresh token has already been used; use the latest refresh token."
            )
        scopes = token.scopes
        if form.get("scope"):
            wanted = tuple(split_scopes(form["scope"]))
            extra = [scope for scope in wanted if scope not in token.scopes]
            if extra:
                raise _invalid(f"Invalid scope: {', '.join(extra)} was not granted.")
            scopes = wanted
        token.used_at = now
        return self._issue(app.client_id, token.user_id, scopes, "refresh_token")

    # ------------------------------------------------------------------ Bearer endpoints

    def _authenticate(self, ctx: _Ctx) -> AccessToken:
        scheme, _, value = ctx.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _auth_failed()
        token = self._access.get(value.strip())
        if token is None or token.revoked or self._now() >= token.expires_at:
            raise _auth_failed()
        return token

    def _bearer(
        self,
        ctx: _Ctx,
        endpoint: str,
        call: Callable[[_Ctx, AccessToken], Reply],
    ) -> Reply:
        with self._lock:
            token = self._enter(ctx, endpoint)
            return call(ctx, token)

    def _enter(self, ctx: _Ctx, endpoint: str) -> AccessToken:
        ctx.endpoint = endpoint
        token = self._authenticate(ctx)
        ctx.user_id = token.user_id
        category, scopes = ENDPOINTS[endpoint]
        self._rate_limit(ctx, token, category)
        missing = [scope for scope in scopes if scope not in token.scopes]
        if missing:
            raise PinterestError(401, 29, "You are not permitted to access that resource.")
        self._inject(endpoint, token.user_id)
        return token

    def _window(self, key: tuple[str, ...], span: float, now: float) -> deque[float]:
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - span:
            window.popleft()
        return window

    def _rate_limit(self, ctx: _Ctx, token: AccessToken, category: str) -> None:
        app = self._apps.get(token.app_id)
        options = self._options
        now = self._now()
        checks: list[tuple[tuple[str, ...], float, int]]
        if app is not None and app.access_tier == "trial":
            checks = [
                (("trial", token.app_id), DAY, options.trial_universal_per_day),
            ]
            if category in options.trial_limits_per_day:
                checks.append(
                    (("trial", token.app_id, category), DAY, options.trial_limits_per_day[category])
                )
        else:
            checks = [
                (("std", token.app_id, token.user_id), 1.0, options.standard_universal_per_second)
            ]
            if category in options.standard_limits_per_minute:
                checks.append(
                    (
                        ("std", token.app_id, token.user_id, category),
                        60.0,
                        options.standard_limits_per_minute[category],
                    )
                )
        windows = [(self._window(key, span, now), span, limit) for key, span, limit in checks]
        window, span, limit = windows[-1]
        for candidate in windows:
            if len(candidate[0]) >= candidate[2]:
                reset = max(1, int(candidate[0][0] + candidate[1] - now + 0.999))
                raise PinterestError(
                    429,
                    8,
                    RATE_LIMIT_MESSAGE,
                    {
                        "x-ratelimit-limit": str(candidate[2]),
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": str(reset),
                        "retry-after": str(reset),
                    },
                )
        for candidate in windows:
            candidate[0].append(now)
        ctx.extra_headers.update(
            {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": str(max(0, limit - len(window))),
                "x-ratelimit-reset": str(int(span)),
            }
        )

    def _user_account(self, ctx: _Ctx, token: AccessToken) -> Reply:
        user = self._users[token.user_id]
        boards = [board for board in self._boards.values() if board.user_id == user.id]
        pins = [pin for pin in self._pins.values() if pin.user_id == user.id]
        return Reply(
            200,
            {
                "account_type": user.account_type,
                "id": user.id,
                "profile_image": user.profile_image,
                "website_url": user.website_url,
                "username": user.username,
                "about": user.about,
                "business_name": user.business_name or None,
                "board_count": len(boards),
                "pin_count": len(pins),
                "follower_count": user.follower_count,
                "following_count": user.following_count,
                "monthly_views": user.monthly_views,
            },
        )

    def _board_view(self, board: Board) -> dict[str, Any]:
        user = self._users.get(board.user_id)
        pins = [pin for pin in self._pins.values() if pin.board_id == board.id]
        return {
            "id": board.id,
            "created_at": _pin_time(board.created_at),
            "board_pins_modified_at": _pin_time(
                max([board.created_at, *(pin.created_at for pin in pins)])
            ),
            "name": board.name,
            "description": board.description,
            "collaborator_count": 0,
            "pin_count": len(pins),
            "follower_count": 0,
            "media": {"image_cover_url": None, "pin_thumbnail_urls": []},
            "owner": {"username": user.username if user else None},
            "privacy": board.privacy,
        }

    def _visible_board(self, token: AccessToken, board: Board) -> bool:
        if board.user_id != token.user_id:
            return False
        return board.privacy == "PUBLIC" or "boards:read_secret" in token.scopes

    @staticmethod
    def _page_size(q: Mapping[str, str]) -> int:
        raw_size = q.get("page_size", "25")
        if not raw_size.isdigit():
            raise _invalid(f"Parameter 'page_size' was not numeric (was {raw_size})")
        page_size = int(raw_size)
        if not 1 <= page_size <= 250:
            raise _invalid(
                f"Invalid parameter: page_size {page_size} is out of range (minimum 1, maximum 250)"
            )
        return page_size

    @staticmethod
    def _bookmark_offset(q: Mapping[str, str], prefix: str) -> int:
        bookmark = q.get("bookmark")
        if not bookmark:
            return 0
        try:
            decoded = base64.urlsafe_b64decode(bookmark.encode()).decode()
            found, _, number = decoded.partition(":")
            if found != prefix or not number.isdigit():
                raise ValueError(decoded)
            return int(number)
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise _invalid("Invalid parameter: bookmark is not valid") from exc

    def _board_pins(self, ctx: _Ctx, token: AccessToken, board_id: str) -> Reply:
        """``GET /v5/boards/{board_id}/pins``: the board's pins newest first, ``page_size``
        1–250 (default 25), opaque ``bookmark`` paging; a pin shows
        ``board_pins_delay_seconds`` after its creation."""
        board = self._boards.get(board_id)
        if board is None or not self._visible_board(token, board):
            raise PinterestError(404, 40, "Board not found.")
        page_size = self._page_size(ctx.query)
        offset = self._bookmark_offset(ctx.query, f"pins-{board_id}")
        visible_at = self._now() - self._options.board_pins_delay_seconds
        pins = sorted(
            (
                pin
                for pin in self._pins.values()
                if pin.board_id == board_id and pin.created_at <= visible_at
            ),
            key=lambda pin: pin.created_at,
            reverse=True,
        )
        page = pins[offset : offset + page_size]
        following = offset + page_size
        next_bookmark = (
            base64.urlsafe_b64encode(f"pins-{board_id}:{following}".encode()).decode()
            if following < len(pins)
            else None
        )
        return Reply(
            200, {"items": [self._pin_view(pin) for pin in page], "bookmark": next_bookmark}
        )

    def _list_boards(self, ctx: _Ctx, token: AccessToken) -> Reply:
        q = ctx.query
        page_size = self._page_size(q)
        privacy = q.get("privacy")
        if privacy is not None and privacy not in ("PUBLIC", "PROTECTED", "SECRET"):
            raise _invalid(
                f"Invalid parameter: privacy '{privacy}' is not one of PUBLIC, PROTECTED, SECRET"
            )
        boards = [
            board
            for board in self._boards.values()
            if self._visible_board(token, board) and (privacy is None or board.privacy == privacy)
        ]
        offset = 0
        bookmark = q.get("bookmark")
        if bookmark:
            try:
                decoded = base64.urlsafe_b64decode(bookmark.encode()).decode()
                prefix, _, number = decoded.partition(":")
                if prefix != "boards" or not number.isdigit():
                    raise ValueError(decoded)
                offset = int(number)
            except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
                raise _invalid("Invalid parameter: bookmark is not valid") from exc
        page = boards[offset : offset + page_size]
        following = offset + page_size
        next_bookmark = (
            base64.urlsafe_b64encode(f"boards:{following}".encode()).decode()
            if following < len(boards)
            else None
        )
        return Reply(
            200, {"items": [self._board_view(board) for board in page], "bookmark": next_bookmark}
        )

    def _get_board(self, token: AccessToken, board_id: str) -> Reply:
        board = self._boards.get(board_id)
        if board is None or not self._visible_board(token, board):
            raise PinterestError(404, 40, "Board not found.")
        return Reply(200, self._board_view(board))

    def _json_object(self, ctx: _Ctx) -> dict[str, Any]:
        try:
            body = json.loads(ctx.body) if ctx.body.strip() else None
        except ValueError as exc:
            raise _invalid("Invalid request: the body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise _invalid("Invalid request: the body must be a JSON object")
        return body

    def _create_board(self, ctx: _Ctx, token: AccessToken) -> Reply:
        body = self._json_object(ctx)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _invalid("Invalid request: 'name' is a required property")
        if len(name) > 180:
            raise _too_long("name", name, 180)
        description = _optional_str(body, "description", 500) or ""
        privacy = body.get("privacy", "PUBLIC")
        if privacy not in ("PUBLIC", "PROTECTED", "SECRET"):
            raise _invalid(
                f"Invalid request: '{privacy}' is not one of ['PUBLIC', 'PROTECTED', 'SECRET'] "
                "(field: privacy)"
            )
        if privacy != "PUBLIC" and "boards:write_secret" not in token.scopes:
            raise PinterestError(401, 29, "You are not permitted to access that resource.")
        for board in self._boards.values():
            if board.user_id == token.user_id and board.name.lower() == name.strip().lower():
                raise PinterestError(
                    400, 58, "Try a different name. You already have a board with this name."
                )
        app = self._apps.get(token.app_id)
        board = Board(
            id=self._next(1_022_106_077_902_800_000),
            user_id=token.user_id,
            name=name.strip(),
            description=description,
            privacy=privacy,
            created_at=self._now(),
            app_id=token.app_id,
            visible_only_to_creator=app is not None and app.access_tier == "trial",
        )
        self._boards[board.id] = board
        rule = self._take_rule("http_error", "boards_create", token.user_id, after_commit=True)
        if rule is not None:
            raise self._rule_error(rule)
        return Reply(201, self._board_view(board))

    # ------------------------------------------------------------------ media

    def _media_status(self, upload: MediaUpload, now: float) -> str:
        if upload.uploaded_at is None:
            return "registered"
        if now < upload.uploaded_at + self._options.media_processing_seconds:
            return "processing"
        return "failed" if upload.fail else "succeeded"

    def _create_media(self, ctx: _Ctx, token: AccessToken) -> Reply:
        body = self._json_object(ctx)
        media_type = body.get("media_type")
        if media_type != "video":
            raise _invalid(
                f"Invalid request: {media_type!r} is not one of ['video'] (field: media_type)"
            )
        now = self._now()
        media_id = self._next(5_216_397_987_686_698_000)
        expires = now + self._options.upload_url_ttl_seconds
        day = datetime.fromtimestamp(now, UTC)
        key = f"uploads/{token.user_id[-6:]}/{media_id}/{secrets.token_hex(6)}"
        credential = (
            f"ASIASANDBOX{secrets.token_hex(4).upper()}/{day:%Y%m%d}/us-east-1/s3/aws4_request"
        )
        policy_doc = {
            "expiration": iso(expires),
            "conditions": [
                {"bucket": "pinterest-media-upload"},
                {"key": key},
                {"x-amz-credential": credential},
                {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                ["content-length-range", 0, self._options.video_max_bytes],
            ],
        }
        policy = base64.b64encode(json.dumps(policy_doc).encode()).decode()
        signature = hmac.new(self._upload_secret, policy.encode(), hashlib.sha256).hexdigest()
        params = {
            "x-amz-date": f"{day:%Y%m%dT%H%M%SZ}",
            "x-amz-signature": signature,
            "x-amz-security-token": base64.b64encode(secrets.token_bytes(48)).decode(),
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "key": key,
            "policy": policy,
            "x-amz-credential": credential,
            "Content-Type": "multipart/form-data",
        }
        upload = MediaUpload(
            id=media_id,
            user_id=token.user_id,
            app_id=token.app_id,
            created_at=now,
            upload_parameters=params,
            expires_at=expires,
        )
        self._media[media_id] = upload
        rule = self._take_rule("http_error", "media_create", token.user_id, after_commit=True)
        if rule is not None:
            raise self._rule_error(rule)
        return Reply(
            201,
            {
                "media_id": media_id,
                "media_type": "video",
                "upload_url": ctx.base_url + UPLOAD_PATH,
                "upload_parameters": params,
            },
        )

    def _get_media(self, token: AccessToken, media_id: str) -> Reply:
        upload = self._media.get(media_id)
        if upload is None or upload.user_id != token.user_id:
            raise PinterestError(404, 404, "Media upload not found")
        return Reply(
            200,
            {
                "media_id": upload.id,
                "media_type": "video",
                "status": self._media_status(upload, self._now()),
            },
        )

    def _upload(self, ctx: _Ctx) -> Reply:
        content_type = ctx.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise S3Error(
                412,
                "PreconditionFailed",
                "Bucket POST must be of the enclosure-type multipart/form-data",
            )
        parts = parse_multipart(ctx.body, content_type)
        if parts is None:
            raise S3Error(
                400,
                "MalformedPOSTRequest",
                "The body of your POST request is not well-formed multipart/form-data.",
            )
        fields: dict[str, str] = {}
        file_data: bytes | None = None
        for name, filename, data in parts:
            if name == "file" or filename is not None:
                file_data = data
                break  # S3 ignores every field after the file
            fields[name] = data.decode("utf-8", "replace")
        with self._lock:
            rule = self._take_rule("http_error", "upload", None)
            if rule is not None:
                status = rule.http_status or 500
                raise S3Error(
                    status, "SlowDown" if status == 503 else "InternalError", rule.message or ""
                )
            if "key" not in fields:
                raise S3Error(
                    400, "InvalidArgument", "Bucket POST must contain a field named 'key'."
                )
            upload = next(
                (u for u in self._media.values() if u.upload_parameters["key"] == fields["key"]),
                None,
            )
            if upload is None:
                raise S3Error(
                    403,
                    "AccessDenied",
                    'Invalid according to Policy: Policy Condition failed: ["eq", "$key"]',
                )
            ctx.user_id = upload.user_id
            expected = upload.upload_parameters
            if (
                fields.get("x-amz-signature") != expected["x-amz-signature"]
                or fields.get("policy") != expected["policy"]
            ):
                raise S3Error(
                    403,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.",
                )
            for name, value in expected.items():
                if fields.get(name) != value:
                    raise S3Error(
                        403,
                        "AccessDenied",
                        f'Invalid according to Policy: Policy Condition failed: ["eq", "${name}", "{value[:20]}"]',
                    )
            if self._now() > upload.expires_at:
                raise S3Error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
            if file_data is None:
                raise S3Error(
                    400, "InvalidArgument", "POST requires exactly one file upload per request."
                )
            if len(file_data) > self._options.video_max_bytes:
                raise S3Error(
                    400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
                )
            upload.uploaded_at = self._now()
            upload.bytes = len(file_data)
            upload.format = sniff_video(file_data[:64])
            upload.fail = upload.format not in ("mp4", "mov")
            if self._take_rule("media_failed", "upload", upload.user_id) is not None:
                upload.fail = True
            etag = hashlib.md5(file_data, usedforsecurity=False).hexdigest()
            return Reply(
                204,
                headers={
                    "etag": f'"{etag}"',
                    "location": f"https://pinterest-media-upload.s3.amazonaws.com/{fields['key']}",
                },
            )

    # ------------------------------------------------------------------ pins

    def _create_pin(self, ctx: _Ctx) -> Reply:
        with self._lock:
            token = self._enter(ctx, "pins_create")
            app = self._apps.get(token.app_id)
            trial = app is not None and app.access_tier == "trial"
            if trial and self._options.trial_blocks_pin_create:
                raise PinterestError(403, 29, TRIAL_PIN_MESSAGE)
            body = self._json_object(ctx)
            fields = self._pin_fields(body, token)
            source = body.get("media_source")
            if not isinstance(source, dict):
                raise _invalid("Invalid request: 'media_source' is a required property")
            source_type = source.get("source_type")
            if source_type not in SOURCE_TYPES:
                raise _invalid(
                    f"Invalid request: {source_type!r} is not one of {list(SOURCE_TYPES)} "
                    "(field: media_source.source_type)"
                )
            plan = self._plan_media(source_type, source, token)
            options = self._options.model_copy()
        images = [self._load_image(item, options) for item in plan.image_items]
        with self._lock:
            self._check_same_shape(images, plan.multiple, options)
            if plan.media_id is not None:
                self._check_video_media(plan.media_id, token)  # status may have changed
            if fields["board_id"] not in self._boards:
                raise PinterestError(404, 40, "Board not found.")
            pin = Pin(
                id=self._next(1_022_106_077_903_000_000),
                user_id=token.user_id,
                app_id=token.app_id,
                board_id=fields["board_id"],
                created_at=self._now(),
                source_type=str(source_type),
                title=fields["title"],
                description=fields["description"],
                link=fields["link"],
                alt_text=fields["alt_text"],
                dominant_color=fields["dominant_color"],
                parent_pin_id=fields["parent_pin_id"],
                note=fields["note"],
                images=[] if plan.media_id else images,
                media_id=plan.media_id,
                cover=plan.cover,
                items=plan.item_meta,
                visible_only_to_creator=trial,
            )
            if plan.media_id and images:
                pin.cover = images[0].source
            self._pins[pin.id] = pin
            rule = self._take_rule("http_error", "pins_create", token.user_id, after_commit=True)
            if rule is not None:
                raise self._rule_error(rule)
            return Reply(201, self._pin_view(pin))

    def _pin_fields(self, body: Mapping[str, Any], token: AccessToken) -> dict[str, Any]:
        board_id = body.get("board_id")
        if board_id is None:
            raise _invalid("Invalid request: 'board_id' is a required property")
        if not isinstance(board_id, str) or not re.fullmatch(r"\d+", board_id):
            raise _invalid(
                f"Invalid request: {board_id!r} does not match '^\\\\d+$' (field: board_id)"
            )
        board = self._boards.get(board_id)
        if board is None or board.user_id != token.user_id:
            raise PinterestError(404, 40, "Board not found.")
        if board.privacy != "PUBLIC" and "pins:write_secret" not in token.scopes:
            raise PinterestError(401, 29, "You are not permitted to access that resource.")
        section = body.get("board_section_id")
        if section is not None:
            if not isinstance(section, str) or not re.fullmatch(r"\d+", section):
                raise _invalid(
                    f"Invalid request: {section!r} does not match '^\\\\d+$' (field: board_section_id)"
                )
            raise PinterestError(404, 2031, "Sorry! We couldn't find this board section.")
        link = _optional_str(body, "link", 2048)
        if link is not None and not _valid_link(link):
            raise _invalid(
                "Whoops! It looks like you entered an invalid URL. Try creating a Pin again "
                "with a valid URL."
            )
        color = _optional_str(body, "dominant_color", None)
        if color is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
            raise _invalid(
                f"Invalid request: '{color}' does not match '^#[0-9a-fA-F]{{6}}$' "
                "(field: dominant_color)"
            )
        parent = _optional_str(body, "parent_pin_id", None)
        if parent is not None and not re.fullmatch(r"\d+", parent):
            raise _invalid(
                f"Invalid request: '{parent}' does not match '^\\\\d+$' (field: parent_pin_id)"
            )
        return {
            "board_id": board_id,
            "title": _optional_str(body, "title", 100),
            "description": _optional_str(body, "description", 800),
            "link": link,
            "alt_text": _optional_str(body, "alt_text", 500),
            "dominant_color": color,
            "parent_pin_id": parent,
            "note": _optional_str(body, "note", 500),
        }

    def _plan_media(
        self, source_type: str, source: Mapping[str, Any], token: AccessToken
    ) -> _MediaPlan:
        where = "media_source."
        if source_type == "image_url":
            url = source.get("url")
            if not isinstance(url, str) or not url:
                raise _invalid(
                    "Invalid request: 'url' is a required property (field: media_source)"
                )
            return _MediaPlan(image_items=[("url", url)])
        if source_type == "image_base64":
            return _MediaPlan(image_items=[("base64", self._base64_source(source, where))])
        if source_type in ("multiple_image_urls", "multiple_image_base64"):
            items = source.get("items")
            if not isinstance(items, list):
                raise _invalid(
                    f"Invalid request: 'items' is a required property (field: {where}items)"
                )
            if len(items) < 2:
                raise _invalid(
                    f"Invalid request: {where}items has too few items (constraint: minItems=2)"
                )
            if len(items) > 5:
                raise _invalid(
                    f"Invalid request: {where}items has too many items (constraint: maxItems=5)"
                )
            index = source.get("index")
            if index is not None and (
                isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(items)
            ):
                raise _invalid(f"Invalid request: {where}index is out of range")
            plan = _MediaPlan(image_items=[], multiple=True)
            for number, item in enumerate(items):
                item_where = f"{where}items[{number}]."
                if not isinstance(item, dict):
                    raise _invalid(f"Invalid request: {item_where[:-1]} must be an object")
                meta = {
                    "title": _optional_str(item, "title", 100, item_where),
                    "description": _optional_str(item, "description", 800, item_where),
                    "link": _optional_str(item, "link", 2048, item_where),
                }
                if meta["link"] is not None and not _valid_link(meta["link"]):
                    raise _invalid(
                        "Whoops! It looks like you entered an invalid URL. Try creating a Pin "
                        "again with a valid URL."
                    )
                plan.item_meta.append(meta)
                if source_type == "multiple_image_urls":
                    url = item.get("url")
                    if not isinstance(url, str) or not url:
                        raise _invalid(
                            f"Invalid request: 'url' is a required property (field: {item_where[:-1]})"
                        )
                    plan.image_items.append(("url", url))
                else:
                    plan.image_items.append(("base64", self._base64_source(item, item_where)))
            return plan
        if source_type == "video_id":
            media_id = source.get("media_id")
            if not isinstance(media_id, str) or not re.fullmatch(r"\d+", media_id):
                raise _invalid(
                    f"Invalid request: {media_id!r} does not match '^\\\\d+$' (field: {where}media_id)"
                )
            plan = _MediaPlan(image_items=[], media_id=media_id)
            cover_url = source.get("cover_image_url")
            cover_type = source.get("cover_image_content_type")
            key_frame = source.get("cover_image_key_frame_time")
            if cover_url is not None:
                if not isinstance(cover_url, str):
                    raise _invalid(f"Invalid request: {where}cover_image_url must be a string")
                plan.image_items.append(("url", cover_url))
            elif cover_type is not None:
                plan.image_items.append(
                    (
                        "base64",
                        self._base64_source(
                            {"content_type": cover_type, "data": source.get("cover_image_data")},
                            where + "cover_image_",
                        ),
                    )
                )
            elif key_frame is not None:
                if (
                    isinstance(key_frame, bool)
                    or not isinstance(key_frame, int | float)
                    or key_frame < 0
                ):
                    raise _invalid(
                        f"Invalid request: {where}cover_image_key_frame_time must be a number >= 0"
                    )
                plan.cover = f"key_frame:{key_frame}"
            else:
                raise _invalid(
                    "Invalid request: a video Pin needs cover_image_url or "
                    "cover_image_content_type and cover_image_data, or cover_image_key_frame_time "
                    "(field: media_source)"
                )
            self._check_video_media(media_id, token)
            return plan
        raise _invalid("source_type 'pin_url' is only available to apps in the beta.")

    @staticmethod
    def _base64_source(source: Mapping[str, Any], where: str) -> tuple[str, bytes]:
        content_type = source.get("content_type")
        if content_type not in ("image/jpeg", "image/png"):
            raise _invalid(
                f"Invalid request: {content_type!r} is not one of ['image/jpeg', 'image/png'] "
                f"(field: {where}content_type)"
            )
        data = source.get("data")
        if not isinstance(data, str) or not data:
            raise _invalid(f"Invalid request: 'data' is a required property (field: {where}data)")
        try:
            decoded = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _invalid(f"Invalid request: {where}data is not valid base64") from exc
        return str(content_type), decoded

    def _check_video_media(self, media_id: str, token: AccessToken) -> None:
        upload = self._media.get(media_id)
        if upload is None or upload.user_id != token.user_id:
            raise _invalid(f"Invalid request: media {media_id} was not found for this user.")
        status = self._media_status(upload, self._now())
        if status != "succeeded":
            raise _invalid(
                f"Invalid request: media {media_id} is not ready for a Pin (status: {status})."
            )

    @staticmethod
    def _load_image(item: tuple[str, Any], options: PinterestOptions) -> ImageInfo:
        """Fetch or decode one image (outside the lock) and check it is a usable picture."""
        kind, value = item
        if kind == "url":
            url = str(value)
            probe, body, error = fetch_media(
                url, timeout=options.fetch_timeout_seconds, max_bytes=options.image_max_bytes
            )
            if error == "too_large":
                raise _invalid(
                    f"The image at {url} is too large (more than {options.image_max_bytes} bytes)."
                )
            if error is not None and probe.http_status is None:
                raise _invalid(
                    f"Unable to reach the URL: {url}. Sorry we could not fetch the image."
                )
            if error is not None:
                raise _invalid("Sorry we could not fetch the image.")
            source = url
        else:
            content_type, body = value
            source = "base64"
        image_format = sniff_image(body[:16])
        broken = PinterestError(
            403, 235, "Sorry, this image is broken. Please pick a different image."
        )
        if image_format is None:
            try:
                with Image.open(io.BytesIO(body)) as image:
                    image_format = (image.format or "").lower()
            except Exception as exc:
                raise broken from exc
        if image_format not in IMAGE_FORMATS:
            raise broken
        if kind == "base64" and f"image/{image_format}" != content_type:
            raise broken
        try:
            with Image.open(io.BytesIO(body)) as image:
                width, height = image.size
        except Exception as exc:
            raise broken from exc
        return ImageInfo(source=source, width=width, height=height, format=image_format)

    @staticmethod
    def _check_same_shape(
        images: list[ImageInfo], multiple: bool, options: PinterestOptions
    ) -> None:
        if not multiple or len(images) < 2 or options.multiple_images_check == "off":
            return
        first = images[0]
        for image in images[1:]:
            if options.multiple_images_check == "same_dimensions":
                if (image.width, image.height) != (first.width, first.height):
                    raise _invalid("Pinterest Images must have the same width and height.")
            elif image.width * first.height != first.width * image.height:
                raise _invalid("Pinterest Images must have the same width/height ratios.")

    def _image_set(self, pin: Pin, image: ImageInfo, index: int = 0) -> dict[str, Any]:
        sizes = {"150x150": (150, 150), "400x300": (400, 300)}
        out: dict[str, Any] = {
            name: {
                "width": w,
                "height": h,
                "url": f"https://i.pinimg.com/{name}/sandbox/{pin.id}-{index}.jpg",
            }
            for name, (w, h) in sizes.items()
        }
        for width in (600, 1200):
            height = round(image.height * width / image.width) if image.width else width
            out[f"{width}x"] = {
                "width": width,
                "height": height,
                "url": f"https://i.pinimg.com/{width}x/sandbox/{pin.id}-{index}.jpg",
            }
        return out

    def _pin_view(self, pin: Pin) -> dict[str, Any]:
        user = self._users.get(pin.user_id)
        media: dict[str, Any]
        if pin.media_id is not None:
            media = {
                "media_type": "video",
                "cover_image_url": pin.cover if pin.cover and "://" in pin.cover else None,
                "video_url": None,
                "duration": None,
                "height": None,
                "width": None,
            }
            creative_type = "VIDEO"
        elif pin.source_type.startswith("multiple"):
            media = {
                "media_type": "multiple_images",
                "items": [
                    {
                        "item_type": "image",
                        "title": meta.get("title"),
                        "description": meta.get("description"),
                        "link": meta.get("link"),
                        "images": self._image_set(pin, image, index),
                    }
                    for index, (image, meta) in enumerate(zip(pin.images, pin.items, strict=True))
                ],
            }
            creative_type = "CAROUSEL"
        else:
            media = {"media_type": "image", "images": self._image_set(pin, pin.images[0])}
            creative_type = "REGULAR"
        return {
            "id": pin.id,
            "created_at": _pin_time(pin.created_at),
            "link": pin.link,
            "title": pin.title,
            "description": pin.description,
            "dominant_color": pin.dominant_color,
            "alt_text": pin.alt_text,
            "creative_type": creative_type,
            "board_id": pin.board_id,
            "board_section_id": None,
            "board_owner": {"username": user.username if user else None},
            "is_owner": True,
            "media": media,
            "parent_pin_id": pin.parent_pin_id,
            "is_standard": True,
            "has_been_promoted": False,
            "note": pin.note,
            "pin_metrics": None,
            "product_tags": [],
        }

    def _get_pin(self, token: AccessToken, pin_id: str) -> Reply:
        pin = self._pins.get(pin_id)
        if pin is None or pin.user_id != token.user_id:
            raise PinterestError(404, 50, "Pin not found.")
        board = self._boards.get(pin.board_id)
        if board is not None and not self._visible_board(token, board):
            raise PinterestError(403, 29, "You are not permitted to access that resource.")
        return Reply(200, self._pin_view(pin))


# ---------------------------------------------------------------------- HTTP layer


class _Api:
    def __init__(self, sandbox: PinterestSandbox) -> None:
        self.sandbox = sandbox

    async def api(self, request: Request) -> Response:
        body = await request.body()
        headers = {key.lower(): value for key, value in request.headers.items()}
        base_url = str(request.base_url).rstrip("/")
        reply = await run_in_threadpool(
            self.sandbox.handle,
            request.method,
            request.url.path,
            dict(request.query_params),
            body,
            headers,
            base_url,
        )
        return reply_response(reply)

    def admin_call(
        self, method: str, parts: list[str], query: Mapping[str, str], body: dict[str, Any]
    ) -> AdminCall | None:
        """The Pinterest admin routes, then those of every platform sandbox (state, reset,
        options, apps, failures, clock)."""
        sb = self.sandbox
        match (method, parts):
            case ("GET", ["users"]):
                return sb.users, 200
            case ("POST", ["users"]):
                return (lambda: sb.add_user(**body)), 201
            case ("GET", ["users", key]):
                return (lambda: sb.get_user(key)), 200
            case ("PATCH", ["users", key]):
                return (lambda: sb.update_user(key, **body)), 200
            case ("POST", ["users", key, "revoke"]):
                app_id = body.get("app_id")
                return (lambda: {"revoked": sb.revoke_user(key, app_id=app_id)}), 200
            case ("POST", ["users", key, "expire_tokens"]):
                return (lambda: {"expired": sb.expire_access_tokens(key)}), 200
            case ("GET", ["boards"]):
                return (lambda: sb.boards(query.get("user_id"))), 200
            case ("POST", ["boards"]):
                return (
                    lambda: sb.add_board(
                        str(body.get("user_id", "")),
                        str(body.get("name", "")),
                        privacy=str(body.get("privacy", "PUBLIC")),
                        description=str(body.get("description", "")),
                    )
                ), 201
            case ("GET", ["pins"]):
                return (
                    lambda: sb.pins(user_id=query.get("user_id"), board_id=query.get("board_id"))
                ), 200
            case ("GET", ["pins", "duplicates"]):
                return sb.duplicate_pins, 200
            case ("GET", ["media"]):
                return (lambda: sb.media(user_id=query.get("user_id"))), 200
            case ("GET", ["tokens"]):
                return (lambda: sb.tokens(query.get("user_id"))), 200
            case ("POST", ["tokens"]):
                user_id = str(body.get("user_id", ""))
                app_id = body.get("app_id")
                scopes = body.get("scopes")
                return (lambda: sb.issue_tokens(user_id, app_id=app_id, scopes=scopes)), 201
            case ("GET", ["requests"]):
                return (
                    lambda: sb.requests_log(
                        endpoint=query.get("endpoint"), user_id=query.get("user_id")
                    )
                ), 200
        return platform_admin_call(sb, method, parts, body)


def create_app(sandbox: PinterestSandbox | None = None, *, clock: Clock | None = None) -> Starlette:
    """The sandbox as an ASGI app: ``/oauth/``, ``/v5/…``, the upload bucket
    ``/pinterest-media-upload/`` and the admin API under ``/__sandbox/``. The sandbox object
    is ``app.state.sandbox``."""
    sandbox = sandbox or PinterestSandbox(clock=clock)
    api = _Api(sandbox)
    return sandbox_app(
        sandbox,
        # An unexpected keyword in an admin body (a TypeError) answers 400, not 500.
        admin=admin_endpoint(api.admin_call),
        api=api.api,
        api_methods=["GET", "POST", "PATCH", "DELETE"],
    )


__all__ = [
    "PRESETS",
    "SCOPES",
    "FailureRule",
    "PinterestApp",
    "PinterestError",
    "PinterestOptions",
    "PinterestSandbox",
    "PinterestUser",
    "SandboxError",
    "create_app",
]
