"""Instagram Graph API sandbox: a real HTTP server built from Meta's documentation of content
publishing (``docs/platforms.md``, "Instagram" and its "Instagram sandbox checklist"), for
the product's Instagram adapter, dry runs and tests.

Use::

    sandbox = InstagramSandbox(clock=ManualClock())        # or SystemClock (default)
    server = serve_in_thread(create_app(sandbox))
    sandbox.update_app(sandbox.apps()[0].client_id, redirect_uris=[...])
    token = sandbox.issue_token(ig_user_id=sandbox.ig_users()[0].id)["access_token"]

Every admin action is also reachable over HTTP under ``/__sandbox/`` (see ``create_app``).

Reproduced (documented behaviour):

- Paths with or without any ``vNN.N`` prefix; parameters in the query string, a urlencoded
  or multipart form body, or a JSON body; the token as ``access_token`` or an
  ``Authorization: Bearer|OAuth`` header.
- Instagram Login: ``GET /oauth/authorize`` (client_id, exact registered redirect_uri,
  ``response_type=code``, ``instagram_business_*`` scopes, state) redirects 302 to
  ``redirect_uri?code=…&state=…#_`` (Instagram appends ``#_``); ``POST /oauth/access_token``
  (``grant_type=authorization_code``, single-use code, same redirect_uri) answers
  ``{"data":[{access_token, user_id, permissions}]}`` with a 1 h token (flat shape optional)
  and errors in api.instagram.com's shape ``{error_type, code, error_message}``;
  ``GET /access_token?grant_type=ig_exchange_token`` gives a 60-day token
  (``expires_in: 5183944``); ``GET /refresh_access_token?grant_type=ig_refresh_token``
  refuses short-lived tokens, tokens younger than 24 h and expired ones, and returns a
  token valid 60 days from the refresh.
- Facebook Login: ``GET /dialog/oauth`` redirects to ``redirect_uri?code=…&state=…#_=_``;
  ``GET /oauth/access_token`` exchanges the code (subcodes 36007/36008/36009) for a
  short-lived user token and ``grant_type=fb_exchange_token`` for a ~60-day one;
  ``GET /me/accounts`` lists managed Pages with Page tokens (non-expiring when minted from a
  long-lived user token); ``GET /{page-id}?fields=access_token,instagram_business_account``;
  ``GET|DELETE /me/permissions``; ``GET /me?fields=…``.
- Publishing: ``POST /{ig-user-id}/media`` (IMAGE implicit, ``is_carousel_item``, VIDEO only
  as a carousel item, REELS, STORIES, CAROUSEL with ``children``), ``GET /{container-id}?
  fields=status_code,status``, ``POST /{ig-user-id}/media_publish?creation_id=…``,
  ``GET /{media-id}?fields=permalink,…`` (plus ``/children`` and ``GET /{ig-user-id}/media``:
  newest first, ``limit`` ≤ 100, ``after``/``before`` cursors and ``paging.next``; a media
  shows there ``media_list_delay_seconds`` after it was published),
  ``GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config[&since=]``.
- The Graph error envelope ``{"error": {message, type, code, error_subcode, is_transient,
  error_user_title, error_user_msg, fbtrace_id}}``: 190 with subcodes 458/459/460/463/467
  for revoked or expired tokens, 104 without a token, 10 for a missing permission, 100/33
  for objects the token cannot see, and the publishing codes of the error table:
  100/2207023 media type, 100/2207028 carousel size, 24/2207006 unknown child or container,
  -2/2207020 expired child, 36004/2207010 caption > 2200 chars, 100/2207040 > 20 mentions,
  9004/2207052 unreachable media, -2/2207003 download timeout, 36001/2207005 not JPEG,
  36000/2207004 > 8 MiB, 36003/2207009 aspect outside 4:5…1.91:1, 352/2207026 video not
  MP4/MOV, 1/2207057 ``thumb_offset`` beyond the video, 9/2207042 publishing quota,
  9007/2207027 not FINISHED, 24/2207008 expired container, 25/2207050 restricted account,
  4/2207051 spam, throttling 4/17/32/80002 with an ``X-Business-Use-Case-Usage`` header.
- Media URLs are really downloaded (httpx, redirects followed) when the container is
  created: JPEG sniffed from the bytes, size and aspect ratio checked (not for stories),
  video container sniffed, duration read for the ``thumb_offset`` check.
- Containers: IN_PROGRESS → FINISHED (images after ``image_processing_seconds``, videos
  after ``video_processing_seconds``), ERROR with a free-text ``status`` ("Error: Media
  upload has failed with error code 2207026"), EXPIRED 24 h after creation, PUBLISHED after
  media_publish; a CAROUSEL needs FINISHED children (9007/2207027 otherwise; optionally the
  parent is accepted and stays IN_PROGRESS until every child is FINISHED); 400
  containers per account per rolling 24 h (orphans count); the publishing quota (50 or
  100, configurable) per rolling 24 h, a carousel counting once.

Deliberate deviations (sandbox conveniences, or where the documentation is silent):

- One host serves the www.instagram.com, www.facebook.com, api.instagram.com,
  graph.instagram.com and graph.facebook.com paths; the adapter points all five base URLs
  at the sandbox. The authorize "pages" answer JSON errors instead of HTML.
- Nobody clicks "Allow": authorize approves at once as ``sandbox_user`` (an IG account id,
  app-scoped id or username for Instagram Login; a Facebook user id for Facebook Login) or
  the app's default user; ``sandbox_decision=deny`` redirects with ``error=access_denied``;
  ``sandbox_scopes=a,b`` grants a subset (the rest reads "declined" in /me/permissions).
- Media URLs may be plain ``http://`` on loopback (the product's own media server in tests);
  Meta needs a public URL. ``media_url`` of a published media is the source URL, not a CDN
  copy.
- Video errors surface as a container ERROR after the processing time by default
  (``video_errors="status"``) or as an error of the create call (``"response"``). Only the
  container, size and duration of videos are checked, not codecs, frame rate or bitrate;
  ``cover_url`` is fetched and must be a JPEG.
- Undocumented details chosen here: the 400-container limit answers code 9 without a
  subcode; more than 30 hashtags answers 100/2207040 like the mention limit; publishing a
  container twice answers code 100 "This media has already been published" (the container
  stays PUBLISHED); publishing a carousel item on its own answers code 100;
  ``ig_exchange_token`` on an already long-lived token and a refresh of a token younger
  than 24 h answer code 100; token errors use HTTP 401 and permission errors HTTP 403
  (both configurable, graph.facebook.com often answers 400); the refreshed token is a new
  string and the old one stays valid until it expires; the code exchange's ``user_id`` is
  the app-scoped id and both that id and the professional account id are accepted in
  paths; ``upload_type=resumable`` is refused (the rupload host is not reproduced).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import secrets
import string
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from platform_sandbox.common import (
    DAY,
    MIB,
    AdminCall,
    MediaProbe,
    PlatformSandbox,
    RegisteredApp,
    Reply,
    SandboxError,
    admin_endpoint,
    apply_preset,
    build_model,
    failing,
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
from slideforge.kit.video import probe_video, sniff_video

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
    "unknown",
)
FAILURE_ENDPOINTS = (
    "*",
    "media",
    "media_publish",
    "container_status",
    "node",
    "publishing_limit",
    "me",
    "me_accounts",
)
AFTER_COMMIT_ENDPOINTS = ("media", "media_publish")

_VERSION_RE = re.compile(r"^v\d+\.\d+$")
_HASHTAG_RE = re.compile(r"#\w+")
_MENTION_RE = re.compile(r"@[\w.]+")
_SHORTCODE_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"

# ---------------------------------------------------------------------- errors


class GraphError(Exception):
    """An error answered in the Graph envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        http_status: int = 400,
        kind: str = "OAuthException",
        is_transient: bool = False,
        user_title: str | None = None,
        user_msg: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}/{subcode}: {message}")
        self.code = code
        self.message = message
        self.subcode = subcode
        self.http_status = http_status
        self.kind = kind
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.headers = dict(headers or {})

    def body(self, fbtrace_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["is_transient"] = self.is_transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}


class LegacyOAuthError(Exception):
    """api.instagram.com / www.instagram.com OAuth errors:
    ``{"error_type": "OAuthException", "code": 400, "error_message": …}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error_type": "OAuthException", "code": 400, "error_message": self.message}


# ---------------------------------------------------------------------- configuration


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
_THROTTLE_CODES = (4, 17, 32, 80002)


class FailureRule(BaseModel):
    """An injected failure. ``kind="error"`` answers matching requests with a Graph error
    (from ``preset`` and/or explicit fields); with ``after_commit`` (media, media_publish)
    the container or post is really created first. ``kind="container_error"`` makes the next
    matching containers end ERROR with ``status_text``."""

    model_config = ConfigDict(extra="forbid")

    id: int = 0
    kind: Literal["error", "container_error"] = "error"
    preset: str | None = None
    endpoint: str = "*"
    code: int | None = None
    error_subcode: int | None = None
    message: str | None = None
    is_transient: bool | None = None
    error_user_title: str | None = None
    error_user_msg: str | None = None
    http_status: int | None = Field(default=None, ge=400, le=599)
    after_commit: bool = False
    ig_user_id: str | None = None
    media_kind: Literal["video", "image", "any"] = "video"
    status_text: str | None = None
    count: int | None = Field(default=1, ge=1)
    """How many times the rule fires; None: until cleared."""
    fired: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> FailureRule:
        apply_preset(self, self.preset, PRESETS)
        if self.endpoint not in FAILURE_ENDPOINTS:
            raise ValueError(f"endpoint must be one of {FAILURE_ENDPOINTS}")
        if self.kind == "error":
            if self.code is None or not self.message:
                raise ValueError("an error rule needs a preset or code and message")
            if self.after_commit and self.endpoint not in AFTER_COMMIT_ENDPOINTS:
                raise ValueError(f"after_commit only applies to {AFTER_COMMIT_ENDPOINTS}")
        return self


# ---------------------------------------------------------------------- records


TokenKind = Literal["ig_short", "ig_long", "fb_user_short", "fb_user_long", "fb_page"]


@dataclass
class Token:
    value: str
    kind: TokenKind
    app_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None
    ig_user_id: str | None = None
    fb_user_id: str | None = None
    page_id: str | None = None
    declined: tuple[str, ...] = ()
    revoked: tuple[int, str] | None = None

    @property
    def family(self) -> Literal["ig", "fb"]:
        return "ig" if self.kind.startswith("ig") else "fb"

    @property
    def subject(self) -> str:
        return self.ig_user_id or self.fb_user_id or self.page_id or ""


@dataclass
class AuthCode:
    value: str
    model: Literal["instagram", "facebook"]
    app_id: str
    redirect_uri: str
    subject: str
    scopes: tuple[str, ...]
    declined: tuple[str, ...]
    issued_at: float
    used: bool = False


@dataclass
class Container:
    id: str
    ig_user_id: str
    app_id: str
    media_type: str
    is_carousel_item: bool
    created_at: float
    ready_at: float
    params: dict[str, str]
    children: list[str] = field(default_factory=list)
    probes: list[MediaProbe] = field(default_factory=list)
    error_text: str | None = None
    parent_id: str | None = None
    published_media_id: str | None = None
    published_at: float | None = None

    @property
    def is_video(self) -> bool:
        return self.media_type in ("VIDEO", "REELS") or (
            self.media_type == "STORIES" and "video_url" in self.params
        )


@dataclass
class IgMedia:
    id: str
    ig_user_id: str
    container_id: str
    media_type: str  # IMAGE | VIDEO | CAROUSEL_ALBUM
    media_product_type: str  # FEED | REELS | STORY
    caption: str | None
    shortcode: str
    permalink: str
    published_at: float
    media_url: str | None
    source_urls: list[str]
    children: list[str] = field(default_factory=list)
    parent_id: str | None = None
    alt_text: str | None = None
    share_to_feed: bool | None = None


@dataclass
class _Ctx:
    method: str
    path: str
    params: dict[str, str]
    headers: Mapping[str, str]
    endpoint: str = "unknown"
    ig_user_id: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Plan:
    """A validated container creation waiting for its media downloads."""

    account: IgAccount
    app_id: str
    media_type: str
    is_item: bool
    params: dict[str, str]
    children: list[str]
    image_url: str | None
    video_url: str | None
    cover_url: str | None
    check_aspect: bool
    thumb_offset_ms: int | None


# ---------------------------------------------------------------------- recurring errors


def _preset_error(name: str) -> GraphError:
    """The Graph error described by ``PRESETS[name]``."""
    preset = PRESETS[name]
    return GraphError(
        preset["code"],
        preset["message"],
        subcode=preset.get("error_subcode"),
        http_status=preset.get("http_status", 400),
        is_transient=preset.get("is_transient", False),
        user_title=preset.get("error_user_title"),
        user_msg=preset.get("error_user_msg"),
    )


def _media_not_found(media_id: str, user_msg: str) -> GraphError:
    return GraphError(
        24,
        f"The media with id {media_id} cannot be found.",
        subcode=2207006,
        user_title="Media not found",
        user_msg=user_msg,
    )


def _media_expired(user_msg: str) -> GraphError:
    return GraphError(
        -2,
        "The media has expired. Please upload the media again.",
        subcode=2207020,
        user_title="Media expired",
        user_msg=user_msg,
    )


def _download_failed(url: str) -> GraphError:
    return GraphError(
        9004,
        "Only photo or video can be accepted as media type.",
        subcode=2207052,
        user_title="Media download has failed.",
        user_msg=f"The media could not be fetched from this uri: {url}",
    )


def _download_timeout() -> GraphError:
    return GraphError(
        -2,
        "It takes too long to download the media.",
        subcode=2207003,
        is_transient=True,
        user_title="Timeout downloading media",
        user_msg="It takes too long to download the media. Please try again.",
    )


# ---------------------------------------------------------------------- helpers


def _iso_graph(ts: float) -> str:
    """Graph timestamps: ``2026-03-02T09:00:00+0000``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _bool_param(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("true", "1", "yes")


def _split_path(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part]
    if parts and _VERSION_RE.match(parts[0]):
        parts = parts[1:]
    return parts


def parse_fields(raw: str | None) -> list[tuple[str, list[str] | None]]:
    """``id,children{media_url,id},permalink`` → [(id, None), (children, [media_url, id]), …]."""
    if not raw:
        return []
    items: list[str] = []
    depth = 0
    current = ""
    for char in raw:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    out: list[tuple[str, list[str] | None]] = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        if "{" in item:
            name, _, rest = item.partition("{")
            inner = [name for name, _ in parse_fields(rest.rsplit("}", 1)[0])]
            out.append((name.strip(), inner))
        else:
            out.append((item, None))
    return out


def _shortcode(media_id: str) -> str:
    number = int(media_id)
    out = ""
    while number:
        number, rest = divmod(number, 64)
        out = _SHORTCODE_ALPHABET[rest] + out
    return out or "A"


def _fbtrace_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "A" + "".join(secrets.choice(alphabet) for _ in range(22))


def _param_error(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(100, message, subcode=subcode)


# ---------------------------------------------------------------------- the sandbox


class InstagramSandbox(PlatformSandbox[InstagramOptions, MetaApp, FailureRule]):
    """In-memory Instagram Graph API: both login models, containers, publishing, quotas,
    failure injection and an admin view of everything created. Thread-safe: state is
    guarded by one lock; media downloads run outside it. Options, apps, failure rules, the
    clock and ``reset`` are ``PlatformSandbox``'s."""

    failure_rule_model = FailureRule

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        options: InstagramOptions | None = None,
        seed_defaults: bool = True,
    ) -> None:
        super().__init__(
            clock=clock, options=options or InstagramOptions(), seed_defaults=seed_defaults
        )

    # ------------------------------------------------------------------ setup

    def _load_config(self) -> None:
        """Options, apps, IG accounts, Facebook users and Pages as configured at start."""
        self._options = self._initial_options.model_copy(deep=True)
        self._apps = {}
        self._ig_users: dict[str, IgAccount] = {}
        self._fb_users: dict[str, FbUser] = {}
        self._pages: dict[str, FbPage] = {}
        self._config_seq = 0
        if self._seed_defaults:
            self.add_app(client_id="990602627938098", client_secret="sandbox-app-secret")
            account = self.add_ig_user(username="sandbox_creator", name="Sandbox Creator")
            user = self.add_fb_user(name="Sandbox User")
            self.add_page(name="Sandbox Page", ig_user_id=account.id, managers=[user.id])

    def _clear_state(self) -> None:
        """Forget tokens, codes, containers, media, counters, rules and the request log."""
        self._seq = 0
        self._codes: dict[str, AuthCode] = {}
        self._tokens: dict[str, Token] = {}
        self._page_tokens: dict[tuple[str, str], str] = {}
        self._containers: dict[str, Container] = {}
        self._media: dict[str, IgMedia] = {}
        self._container_events: dict[str, list[float]] = {}
        self._publish_events: dict[str, list[float]] = {}
        self._buc_calls: dict[str, deque[float]] = {}
        self._rules = []
        self._rule_seq = 0
        self._requests = deque(maxlen=20_000)

    # ------------------------------------------------------------------ configuration API

    def add_app(self, **fields: Any) -> MetaApp:
        with self._lock:
            app = build_model(MetaApp, fields)
            if not app.client_id:
                app.client_id = self._next_config_id(990_602_627_900_000)
            if not app.client_secret:
                app.client_secret = secrets.token_hex(16)
            if app.client_id in self._apps:
                raise SandboxError(f"app {app.client_id} exists", status=409, code="conflict")
            self._apps[app.client_id] = app
            return app.model_copy(deep=True)

    def ig_users(self) -> list[IgAccount]:
        with self._lock:
            return [user.model_copy(deep=True) for user in self._ig_users.values()]

    def get_ig_user(self, ig_user_id: str) -> IgAccount:
        with self._lock:
            return self._ig_user(ig_user_id).model_copy(deep=True)

    def _ig_user(self, key: str) -> IgAccount:
        for account in self._ig_users.values():
            if key in (account.id, account.app_scoped_id, account.username):
                return account
        raise SandboxError(f"no Instagram account {key!r}", status=404, code="not_found")

    def add_ig_user(self, **fields: Any) -> IgAccount:
        with self._lock:
            account = build_model(IgAccount, fields)
            if not account.id:
                account.id = self._next_config_id(17_841_400_000_000_000)
            if not account.app_scoped_id:
                account.app_scoped_id = str(27_000_000_000_000_000 + int(account.id) % 10**15)
            if not account.username:
                account.username = f"sandbox_{account.id[-4:]}"
            if not account.name:
                account.name = account.username
            if account.id in self._ig_users:
                raise SandboxError(f"account {account.id} exists", status=409, code="conflict")
            self._ig_users[account.id] = account
            return account.model_copy(deep=True)

    def update_ig_user(self, ig_user_id: str, **changes: Any) -> IgAccount:
        with self._lock:
            current = self._ig_user(ig_user_id)
            account = with_changes(current, changes)
            if account.id != current.id:
                raise SandboxError("id cannot change")
            self._ig_users[account.id] = account
            return account.model_copy(deep=True)

    def fb_users(self) -> list[FbUser]:
        with self._lock:
            return [user.model_copy(deep=True) for user in self._fb_users.values()]

    def add_fb_user(self, **fields: Any) -> FbUser:
        with self._lock:
            user = build_model(FbUser, fields)
            if not user.id:
                user.id = self._next_config_id(10_000_000_000_000_000)
            if user.id in self._fb_users:
                raise SandboxError(f"user {user.id} exists", status=409, code="conflict")
            self._fb_users[user.id] = user
            return user.model_copy(deep=True)

    def pages(self) -> list[FbPage]:
        with self._lock:
            return [page.model_copy(deep=True) for page in self._pages.values()]

    def add_page(self, **fields: Any) -> FbPage:
        with self._lock:
            page = build_model(FbPage, fields)
            if not page.id:
                page.id = self._next_config_id(100_000_000_000_000)
            if page.id in self._pages:
                raise SandboxError(f"page {page.id} exists", status=409, code="conflict")
            if page.ig_user_id is not None and page.ig_user_id not in self._ig_users:
                raise SandboxError(f"no Instagram account {page.ig_user_id!r}")
            for manager in page.managers:
                if manager not in self._fb_users:
                    raise SandboxError(f"no Facebook user {manager!r}")
            self._pages[page.id] = page
            return page.model_copy(deep=True)

    # ------------------------------------------------------------------ tokens API

    def _new_token(
        self,
        kind: TokenKind,
        app_id: str,
        scopes: Iterable[str],
        *,
        lifetime: float | None,
        declined: Iterable[str] = (),
        ig_user_id: str | None = None,
        fb_user_id: str | None = None,
        page_id: str | None = None,
    ) -> Token:
        now = self._now()
        prefix = "IGAA" if kind.startswith("ig") else "EAA"
        token = Token(
            value=prefix + secrets.token_urlsafe(40).replace("-", "A").replace("_", "B"),
            kind=kind,
            app_id=app_id,
            scopes=tuple(scopes),
            issued_at=now,
            expires_at=None if lifetime is None else now + lifetime,
            ig_user_id=ig_user_id,
            fb_user_id=fb_user_id,
            page_id=page_id,
            declined=tuple(declined),
        )
        self._tokens[token.value] = token
        return token

    def issue_token(
        self,
        *,
        ig_user_id: str | None = None,
        fb_user_id: str | None = None,
        app_id: str | None = None,
        scopes: Iterable[str] | None = None,
        long_lived: bool = True,
    ) -> dict[str, Any]:
        """Mint a token without the OAuth dance: an Instagram Login token for
        ``ig_user_id`` or a Facebook Login user token for ``fb_user_id`` (all scopes of the
        login model by default)."""
        with self._lock:
            app = self._app(app_id) if app_id else next(iter(self._apps.values()), None)
            if app is None:
                raise SandboxError("no app registered")
            if (ig_user_id is None) == (fb_user_id is None):
                raise SandboxError("give exactly one of ig_user_id and fb_user_id")
            if ig_user_id is not None:
                account = self._ig_user(ig_user_id)
                granted = tuple(scopes) if scopes is not None else IG_LOGIN_SCOPES
                self._check_scopes(granted, IG_LOGIN_SCOPES)
                kind: TokenKind = "ig_long" if long_lived else "ig_short"
                lifetime = LONG_LIVED_SECONDS if long_lived else SHORT_LIVED_SECONDS
                token = self._new_token(
                    kind, app.client_id, granted, lifetime=lifetime, ig_user_id=account.id
                )
            else:
                user = self._fb_users.get(fb_user_id or "")
                if user is None:
                    raise SandboxError(f"no Facebook user {fb_user_id!r}", status=404)
                granted = tuple(scopes) if scopes is not None else FB_LOGIN_SCOPES
                self._check_scopes(granted, FB_LOGIN_SCOPES)
                kind = "fb_user_long" if long_lived else "fb_user_short"
                lifetime = (
                    LONG_LIVED_SECONDS if long_lived else self._options.fb_short_lived_seconds
                )
                token = self._new_token(
                    kind, app.client_id, granted, lifetime=lifetime, fb_user_id=user.id
                )
            return self._token_view(token)

    @staticmethod
    def _check_scopes(scopes: Iterable[str], known: tuple[str, ...]) -> None:
        unknown = [scope for scope in scopes if scope not in known]
        if unknown:
            raise SandboxError(f"unknown scopes for this login model: {unknown}")

    def _token_view(self, token: Token) -> dict[str, Any]:
        return {
            "access_token": token.value,
            "kind": token.kind,
            "app_id": token.app_id,
            "scopes": list(token.scopes),
            "issued_at": iso(token.issued_at),
            "expires_at": iso(token.expires_at),
            "ig_user_id": token.ig_user_id,
            "fb_user_id": token.fb_user_id,
            "page_id": token.page_id,
            "revoked": token.revoked is not None,
        }

    def tokens(self, subject: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self._token_view(token)
                for token in self._tokens.values()
                if subject is None or subject in (token.ig_user_id, token.fb_user_id, token.page_id)
            ]

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

    def revoke_tokens(
        self, subject: str, reason: str = "app_removed", *, app_id: str | None = None
    ) -> int:
        """Invalidate every token of an IG account, Facebook user or Page (and Page tokens
        minted from a revoked user token). ``reason``: app_removed (190/458), checkpoint
        (459), password_changed (460), logged_out (467)."""
        with self._lock:
            if reason not in self.REVOKE_REASONS:
                raise SandboxError(f"reason must be one of {sorted(self.REVOKE_REASONS)}")
            return self._revoke(subject, reason, app_id)

    def _revoke(self, subject: str, reason: str, app_id: str | None) -> int:
        subcode, template = self.REVOKE_REASONS[reason]
        keys = {subject}
        if subject not in self._ig_users and subject not in self._fb_users:
            with contextlib.suppress(SandboxError):
                keys.add(self._ig_user(subject).id)
        count = 0
        for token in self._tokens.values():
            if app_id is not None and token.app_id != app_id:
                continue
            # Page tokens carry the user who minted them: revoking the user revokes them too.
            owners = {token.ig_user_id, token.fb_user_id, token.page_id}
            if keys & owners and token.revoked is None:
                token.revoked = (subcode, template.format(app=token.app_id))
                count += 1
        return count

    def expire_tokens(self, subject: str) -> int:
        """Make every token of an account/user/page expired as of now."""
        with self._lock:
            now = self._now()
            count = 0
            for token in self._tokens.values():
                if subject in (token.ig_user_id, token.fb_user_id, token.page_id):
                    token.expires_at = now - 1
                    count += 1
            return count

    # ------------------------------------------------------------------ failure injection

    def _take_rule(
        self,
        kind: str,
        endpoint: str,
        ig_user_id: str | None,
        *,
        after_commit: bool = False,
        media_kind: str | None = None,
    ) -> FailureRule | None:
        for rule in self._rules:
            if rule.kind != kind or rule.after_commit != after_commit:
                continue
            if kind == "error" and rule.endpoint not in ("*", endpoint):
                continue
            if rule.ig_user_id is not None and rule.ig_user_id != ig_user_id:
                continue
            if kind == "container_error" and rule.media_kind not in ("any", media_kind):
                continue
            rule.fired += 1
            if rule.count is not None and rule.fired >= rule.count:
                self._rules.remove(rule)
            return rule
        return None

    def _rule_error(self, rule: FailureRule, ig_user_id: str | None) -> GraphError:
        code = rule.code if rule.code is not None else -1
        headers: dict[str, str] = {}
        if code in _THROTTLE_CODES:
            headers.update(self._usage_headers(ig_user_id, throttled=True))
        return GraphError(
            code,
            rule.message or "An unknown error occurred",
            subcode=rule.error_subcode,
            http_status=rule.http_status or 400,
            is_transient=bool(rule.is_transient),
            user_title=rule.error_user_title,
            user_msg=rule.error_user_msg,
            headers=headers,
        )

    def _inject(self, endpoint: str, ig_user_id: str | None) -> None:
        rule = self._take_rule("error", endpoint, ig_user_id)
        if rule is not None:
            raise self._rule_error(rule, ig_user_id)

    # ------------------------------------------------------------------ quota API

    def exhaust_quota(self, ig_user_id: str, count: int | None = None) -> int:
        """Record ``count`` posts published outside this app (default: enough to use up the
        quota), so the next media_publish answers 9/2207042."""
        with self._lock:
            account = self._ig_user(ig_user_id)
            now = self._now()
            if count is None:
                count = max(0, self._quota_total(account) - self._quota_used(account.id, now))
            self._publish_events.setdefault(account.id, []).extend([now] * count)
            return count

    def _quota_total(self, account: IgAccount) -> int:
        if account.publish_quota_total is not None:
            return account.publish_quota_total
        return self._options.publish_quota_total

    def _quota_used(self, ig_user_id: str, now: float, since: float | None = None) -> int:
        start = now - DAY if since is None else max(since, now - DAY)
        return sum(1 for ts in self._publish_events.get(ig_user_id, ()) if ts > start)

    # ------------------------------------------------------------------ listings API

    def containers(
        self, *, ig_user_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            now = self._now()
            out = []
            for container in self._containers.values():
                if ig_user_id is not None and container.ig_user_id != ig_user_id:
                    continue
                view = self._container_view(container, now)
                if status is not None and view["status_code"] != status:
                    continue
                out.append(view)
            return out

    def container(self, container_id: str) -> dict[str, Any]:
        with self._lock:
            container = self._containers.get(container_id)
            if container is None:
                raise SandboxError(f"no container {container_id!r}", status=404, code="not_found")
            return self._container_view(container, self._now())

    def _container_view(self, container: Container, now: float) -> dict[str, Any]:
        code, text = self._status(container, now)
        return {
            "id": container.id,
            "ig_user_id": container.ig_user_id,
            "app_id": container.app_id,
            "media_type": container.media_type,
            "is_carousel_item": container.is_carousel_item,
            "status_code": code,
            "status": text,
            "created_at": iso(container.created_at),
            "ready_at": iso(container.ready_at),
            "expires_at": iso(container.created_at + self._options.container_ttl_seconds),
            "children": list(container.children),
            "parent_id": container.parent_id,
            "params": dict(container.params),
            "media": [probe.as_dict() for probe in container.probes],
            "published_media_id": container.published_media_id,
            "published_at": iso(container.published_at),
        }

    def media(self, *, ig_user_id: str | None = None) -> list[dict[str, Any]]:
        """Every published IG media that is a post (carousel children are listed inside
        their album), oldest first."""
        with self._lock:
            return [
                self._media_view(item)
                for item in self._media.values()
                if item.parent_id is None and (ig_user_id is None or item.ig_user_id == ig_user_id)
            ]

    def _media_view(self, item: IgMedia) -> dict[str, Any]:
        return {
            "id": item.id,
            "ig_user_id": item.ig_user_id,
            "container_id": item.container_id,
            "media_type": item.media_type,
            "media_product_type": item.media_product_type,
            "caption": item.caption,
            "permalink": item.permalink,
            "shortcode": item.shortcode,
            "timestamp": iso(item.published_at),
            "source_urls": list(item.source_urls),
            "children": list(item.children),
        }

    def duplicate_media(self) -> list[dict[str, Any]]:
        """Posts published more than once by the same account with the same caption and
        the same media URLs."""
        with self._lock:
            groups: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
            for item in self._media.values():
                if item.parent_id is not None:
                    continue
                key = (item.ig_user_id, item.caption or "", tuple(item.source_urls))
                groups.setdefault(key, []).append(item.id)
            return [
                {
                    "ig_user_id": key[0],
                    "caption": key[1],
                    "source_urls": list(key[2]),
                    "media_ids": ids,
                }
                for key, ids in groups.items()
                if len(ids) > 1
            ]

    def requests_log(
        self, *, endpoint: str | None = None, ig_user_id: str | None = None
    ) -> list[dict[str, Any]]:
        return self._logged_requests(endpoint=endpoint, ig_user_id=ig_user_id)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            now = self._now()
            by_status: dict[str, int] = {}
            for container in self._containers.values():
                code, _ = self._status(container, now)
                by_status[code] = by_status.get(code, 0) + 1
            return {
                "now": iso(now),
                "manual_clock": self.manual_clock,
                "apps": len(self._apps),
                "ig_users": len(self._ig_users),
                "fb_users": len(self._fb_users),
                "pages": len(self._pages),
                "tokens": len(self._tokens),
                "containers": by_status,
                "posts": sum(1 for item in self._media.values() if item.parent_id is None),
                "failure_rules": len(self._rules),
                "requests": len(self._requests),
            }

    # ------------------------------------------------------------------ HTTP entry point

    def handle(
        self, method: str, path: str, params: dict[str, str], headers: Mapping[str, str]
    ) -> Reply:
        """Answer one Graph / OAuth request (the ASGI app calls this in a worker thread)."""
        ctx = _Ctx(method=method.upper(), path=path, params=params, headers=headers)
        trace = _fbtrace_id()
        code: int | None = None
        subcode: int | None = None
        try:
            reply = self._dispatch(ctx)
        except GraphError as error:
            code, subcode = error.code, error.subcode
            reply = Reply(error.http_status, error.body(trace), dict(error.headers))
        except LegacyOAuthError as error:
            code = 400
            reply = Reply(400, error.body())
        for key, value in ctx.extra_headers.items():
            reply.headers.setdefault(key, value)
        reply.headers.setdefault("x-fb-trace-id", trace)
        self._log_request(
            method=ctx.method,
            path=path,
            endpoint=ctx.endpoint,
            status=reply.status,
            code=code,
            error_subcode=subcode,
            ig_user_id=ctx.ig_user_id,
            fbtrace_id=trace,
        )
        return reply

    def _dispatch(self, ctx: _Ctx) -> Reply:
        parts = _split_path(ctx.path)
        match (ctx.method, parts):
            case ("GET", ["oauth", "authorize"]):
                ctx.endpoint = "ig_authorize"
                return self._ig_authorize(ctx)
            case ("GET", ["dialog", "oauth"]):
                ctx.endpoint = "fb_authorize"
                return self._fb_authorize(ctx)
            case ("GET" | "POST", ["oauth", "access_token"]):
                return self._oauth_access_token(ctx)
            case ("GET", ["access_token"]):
                ctx.endpoint = "ig_exchange_token"
                return self._ig_exchange(ctx)
            case ("GET", ["refresh_access_token"]):
                ctx.endpoint = "ig_refresh_token"
                return self._ig_refresh(ctx)
            case ("GET", ["me"]):
                ctx.endpoint = "me"
                return self._me(ctx)
            case ("GET", ["me", "accounts"]):
                ctx.endpoint = "me_accounts"
                return self._me_accounts(ctx)
            case ("GET" | "DELETE", ["me", "permissions"]):
                ctx.endpoint = "me_permissions"
                return self._me_permissions(ctx)
            case ("POST", [node, "media"]):
                ctx.endpoint = "media"
                return self._create_container(ctx, node)
            case ("GET", [node, "media"]):
                ctx.endpoint = "media_list"
                return self._list_media(ctx, node)
            case ("POST", [node, "media_publish"]):
                ctx.endpoint = "media_publish"
                return self._publish(ctx, node)
            case ("GET", [node, "content_publishing_limit"]):
                ctx.endpoint = "publishing_limit"
                return self._publishing_limit(ctx, node)
            case ("GET", [node, "children"]):
                ctx.endpoint = "children"
                return self._children(ctx, node)
            case ("GET", [node]):
                ctx.endpoint = "node"
                return self._node(ctx, node)
        node = parts[0] if parts else ""
        raise self._unsupported(ctx.method, node)

    @staticmethod
    def _unsupported(method: str, node: str) -> GraphError:
        return GraphError(
            100,
            f"Unsupported {method.lower()} request. Object with ID '{node}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation. "
            "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
            subcode=33,
            kind="GraphMethodException",
        )

    # ------------------------------------------------------------------ OAuth: authorize

    def _pick_ig_account(self, wanted: str | None, app: MetaApp) -> IgAccount:
        key = wanted or app.default_ig_user
        if key:
            try:
                return self._ig_user(key)
            except SandboxError as exc:
                raise LegacyOAuthError(f"Unknown sandbox user {key!r}") from exc
        if not self._ig_users:
            raise LegacyOAuthError("No Instagram account exists in the sandbox")
        return next(iter(self._ig_users.values()))

    def _ig_authorize(self, ctx: _Ctx) -> Reply:
        p = ctx.params
        with self._lock:
            app = self._apps.get(p.get("client_id", ""))
            if app is None:
                raise LegacyOAuthError("Invalid platform app")
            redirect_uri = p.get("redirect_uri", "")
            if redirect_uri not in app.redirect_uris:
                raise LegacyOAuthError("Invalid redirect_uri")
            if p.get("response_type") != "code":
                raise LegacyOAuthError("Invalid response_type: only 'code' is supported")
            scopes = split_scopes(p.get("scope", ""))
            if not scopes:
                raise LegacyOAuthError("Invalid Scopes: the scope parameter is required")
            unknown = [scope for scope in scopes if scope not in IG_LOGIN_SCOPES]
            if unknown:
                raise LegacyOAuthError(f"Invalid Scopes: {', '.join(unknown)}")
            state = p.get("state")
            if p.get("sandbox_decision") == "deny":
                location = with_query(
                    redirect_uri,
                    {
                        "error": "access_denied",
                        "error_reason": "user_denied",
                        "error_description": "The user denied your request.",
                        "state": state,
                    },
                    "_",
                )
                return Reply(302, location=location)
            account = self._pick_ig_account(p.get("sandbox_user"), app)
            granted, declined = self._grant(scopes, p.get("sandbox_scopes"))
            code = self._new_code("instagram", app, redirect_uri, account.id, granted, declined)
            ctx.ig_user_id = account.id
            return Reply(
                302, location=with_query(redirect_uri, {"code": code, "state": state}, "_")
            )

    @staticmethod
    def _grant(scopes: list[str], subset: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if subset is None:
            return tuple(scopes), ()
        allowed = set(split_scopes(subset))
        granted = tuple(scope for scope in scopes if scope in allowed)
        declined = tuple(scope for scope in scopes if scope not in allowed)
        return granted, declined

    def _new_code(
        self,
        model: Literal["instagram", "facebook"],
        app: MetaApp,
        redirect_uri: str,
        subject: str,
        granted: tuple[str, ...],
        declined: tuple[str, ...],
    ) -> str:
        value = "AQ" + secrets.token_urlsafe(48)
        self._codes[value] = AuthCode(
            value=value,
            model=model,
            app_id=app.client_id,
            redirect_uri=redirect_uri,
            subject=subject,
            scopes=granted,
            declined=declined,
            issued_at=self._now(),
        )
        return value

    def _fb_authorize(self, ctx: _Ctx) -> Reply:
        p = ctx.params
        with self._lock:
            app = self._apps.get(p.get("client_id", ""))
            if app is None:
                raise GraphError(101, "Error validating application. Invalid application ID.")
            redirect_uri = p.get("redirect_uri", "")
            if redirect_uri not in app.redirect_uris:
                raise GraphError(
                    191,
                    "Can't load URL: The domain of this URL isn't included in the app's domains. "
                    "To be able to load this URL, add all domains and sub-domains of your app to "
                    "the App Domains field in your app settings.",
                )
            response_type = p.get("response_type", "code")
            if response_type != "code":
                raise _param_error(f"(#100) Unsupported response_type {response_type!r}")
            scopes = split_scopes(p.get("scope", "public_profile"))
            unknown = [scope for scope in scopes if scope not in FB_LOGIN_SCOPES]
            if unknown:
                raise _param_error(f"Invalid Scopes: {', '.join(unknown)}")
            state = p.get("state")
            if p.get("sandbox_decision") == "deny":
                location = with_query(
                    redirect_uri,
                    {
                        "error": "access_denied",
                        "error_code": "200",
                        "error_description": "Permissions error",
                        "error_reason": "user_denied",
                        "state": state,
                    },
                    "_=_",
                )
                return Reply(302, location=location)
            key = p.get("sandbox_user") or app.default_fb_user
            if key:
                user = self._fb_users.get(key)
                if user is None:
                    raise _param_error(f"Unknown sandbox user {key!r}")
            elif self._fb_users:
                user = next(iter(self._fb_users.values()))
            else:
                raise _param_error("No Facebook user exists in the sandbox")
            granted, declined = self._grant(scopes, p.get("sandbox_scopes"))
            code = self._new_code("facebook", app, redirect_uri, user.id, granted, declined)
            return Reply(
                302, location=with_query(redirect_uri, {"code": code, "state": state}, "_=_")
            )

    # ------------------------------------------------------------------ OAuth: tokens

    def _oauth_access_token(self, ctx: _Ctx) -> Reply:
        grant_type = ctx.params.get("grant_type")
        if grant_type == "authorization_code":
            ctx.endpoint = "ig_code_exchange"
            return self._ig_code_exchange(ctx)
        if grant_type == "fb_exchange_token":
            ctx.endpoint = "fb_exchange_token"
            return self._fb_exchange(ctx)
        ctx.endpoint = "fb_code_exchange"
        if grant_type:
            raise _param_error(f"(#100) Unsupported grant_type: {grant_type}")
        return self._fb_code_exchange(ctx)

    def _ig_code_exchange(self, ctx: _Ctx) -> Reply:
        p = ctx.params
        with self._lock:
            app = self._apps.get(p.get("client_id", ""))
            if app is None:
                raise LegacyOAuthError("Invalid platform app")
            if p.get("client_secret") != app.client_secret:
                raise LegacyOAuthError("Error validating client secret.")
            code = self._codes.get(p.get("code", ""))
            if code is None or code.model != "instagram" or code.app_id != app.client_id:
                raise LegacyOAuthError("Matching code was not found or was already used")
            if code.used:
                raise LegacyOAuthError("This authorization code has been used")
            if self._now() > code.issued_at + self._options.code_ttl_seconds:
                raise LegacyOAuthError("This authorization code has expired")
            if p.get("redirect_uri") != code.redirect_uri:
                raise LegacyOAuthError(
                    "Error validating verification code. Please make sure your redirect_uri is "
                    "identical to the one you used in the OAuth dialog request"
                )
            code.used = True
            account = self._ig_users[code.subject]
            ctx.ig_user_id = account.id
            token = self._new_token(
                "ig_short",
                app.client_id,
                code.scopes,
                lifetime=SHORT_LIVED_SECONDS,
                declined=code.declined,
                ig_user_id=account.id,
            )
            if self._options.code_exchange_shape == "flat":
                body: dict[str, Any] = {
                    "access_token": token.value,
                    "user_id": int(account.app_scoped_id),
                    "permissions": list(token.scopes),
                }
            else:
                body = {
                    "data": [
                        {
                            "access_token": token.value,
                            "user_id": account.app_scoped_id,
                            "permissions": ",".join(token.scopes),
                        }
                    ]
                }
            return Reply(200, body)

    def _check_app_secret(self, p: Mapping[str, str]) -> MetaApp:
        client_id = p.get("client_id")
        if not client_id:
            raise GraphError(101, "Missing client_id parameter.")
        app = self._apps.get(client_id)
        if app is None:
            raise GraphError(101, "Error validating application. Invalid application ID.")
        if p.get("client_secret") != app.client_secret:
            raise GraphError(1, "Error validating client secret.")
        return app

    def _fb_code_exchange(self, ctx: _Ctx) -> Reply:
        p = ctx.params
        with self._lock:
            app = self._check_app_secret(p)
            raw = p.get("code")
            if not raw:
                raise GraphError(1, "Missing authorization code")
            code = self._codes.get(raw)
            if code is None or code.model != "facebook" or code.app_id != app.client_id:
                raise _param_error("Invalid verification code format.", 36007)
            if code.used:
                raise _param_error("This authorization code has been used.", 36009)
            if self._now() > code.issued_at + self._options.code_ttl_seconds:
                raise _param_error("This authorization code has expired.", 36007)
            if p.get("redirect_uri") != code.redirect_uri:
                raise _param_error(
                    "Error validating verification code. Please make sure your redirect_uri is "
                    "identical to the one you used in the OAuth dialog request",
                    36008,
                )
            code.used = True
            lifetime = self._options.fb_short_lived_seconds
            token = self._new_token(
                "fb_user_short",
                app.client_id,
                code.scopes,
                lifetime=lifetime,
                declined=code.declined,
                fb_user_id=code.subject,
            )
            return Reply(
                200, {"access_token": token.value, "token_type": "bearer", "expires_in": lifetime}
            )

    def _fb_exchange(self, ctx: _Ctx) -> Reply:
        p = ctx.params
        with self._lock:
            app = self._check_app_secret(p)
            token = self._authenticate(p.get("fb_exchange_token"))
            if token.family != "fb" or token.app_id != app.client_id:
                raise self._unparsable_token()
            if token.kind == "fb_page":
                page_token = self._new_token(
                    "fb_page",
                    app.client_id,
                    token.scopes,
                    lifetime=None,
                    fb_user_id=token.fb_user_id,
                    page_id=token.page_id,
                )
                return Reply(200, {"access_token": page_token.value, "token_type": "bearer"})
            long_token = self._long_lived(token, "fb_user_long")
            return Reply(200, self._long_lived_answer(long_token))

    def _ig_exchange(self, ctx: _Ctx) -> Reply:
        p = ctx.params
        with self._lock:
            if p.get("grant_type") != "ig_exchange_token":
                raise _param_error("(#100) grant_type must be ig_exchange_token")
            token = self._ig_login_token(ctx)
            app = self._apps.get(token.app_id)
            if app is None or p.get("client_secret") != app.client_secret:
                raise GraphError(1, "Error validating client secret.")
            if token.kind == "ig_long":
                raise _param_error(
                    "(#100) The access token is already long-lived; use refresh_access_token"
                )
            long_token = self._long_lived(token, "ig_long")
            return Reply(200, self._long_lived_answer(long_token))

    def _ig_refresh(self, ctx: _Ctx) -> Reply:
        p = ctx.params
        with self._lock:
            if p.get("grant_type") != "ig_refresh_token":
                raise _param_error("(#100) grant_type must be ig_refresh_token")
            token = self._ig_login_token(ctx)
            if token.kind != "ig_long":
                raise _param_error(
                    "(#100) Only long-lived access tokens can be refreshed; exchange the "
                    "short-lived token first"
                )
            if self._now() - token.issued_at < self._options.refresh_min_age_seconds:
                raise _param_error(
                    "(#100) The access token is not old enough to be refreshed: a long-lived "
                    "token can be refreshed once it is at least 24 hours old"
                )
            fresh = self._long_lived(token, "ig_long")
            return Reply(
                200, {**self._long_lived_answer(fresh), "permissions": ",".join(fresh.scopes)}
            )

    def _long_lived(self, token: Token, kind: Literal["ig_long", "fb_user_long"]) -> Token:
        """A new 60-day token for the app, user and scopes of ``token`` (exchange, refresh)."""
        return self._new_token(
            kind,
            token.app_id,
            token.scopes,
            lifetime=LONG_LIVED_SECONDS,
            declined=token.declined,
            ig_user_id=token.ig_user_id,
            fb_user_id=token.fb_user_id,
        )

    @staticmethod
    def _long_lived_answer(token: Token) -> dict[str, Any]:
        return {
            "access_token": token.value,
            "token_type": "bearer",
            "expires_in": LONG_LIVED_SECONDS,
        }

    # ------------------------------------------------------------------ authentication

    @staticmethod
    def _token_value(ctx: _Ctx) -> str | None:
        value = ctx.params.get("access_token")
        if value:
            return value
        scheme, _, rest = ctx.headers.get("authorization", "").partition(" ")
        if scheme.lower() in ("bearer", "oauth") and rest.strip():
            return rest.strip()
        return None

    def _authenticate(self, value: str | None) -> Token:
        status = self._options.token_error_http_status
        if not value:
            raise GraphError(
                104, "An access token is required to request this resource.", http_status=status
            )
        token = self._tokens.get(value)
        if token is None:
            raise self._unparsable_token()
        if token.revoked is not None:
            subcode, message = token.revoked
            raise GraphError(190, message, subcode=subcode, http_status=status)
        now = self._now()
        if token.expires_at is not None and now >= token.expires_at:
            fmt = "%A, %d-%b-%y %H:%M:%S UTC"
            expired = datetime.fromtimestamp(token.expires_at, UTC).strftime(fmt)
            current = datetime.fromtimestamp(now, UTC).strftime(fmt)
            raise GraphError(
                190,
                f"Error validating access token: Session has expired on {expired}. "
                f"The current time is {current}.",
                subcode=463,
                http_status=status,
            )
        return token

    def _unparsable_token(self) -> GraphError:
        return GraphError(
            190,
            "Invalid OAuth access token - Cannot parse access token",
            http_status=self._options.token_error_http_status,
        )

    def _ig_login_token(self, ctx: _Ctx) -> Token:
        """The request's token, which must be an Instagram Login one."""
        token = self._authenticate(self._token_value(ctx))
        ctx.ig_user_id = token.ig_user_id
        if token.family != "ig":
            raise self._unparsable_token()
        return token

    def _require(self, token: Token, ig_scopes: Iterable[str], fb_scopes: Iterable[str]) -> None:
        needed = ig_scopes if token.family == "ig" else fb_scopes
        missing = [scope for scope in needed if scope not in token.scopes]
        if missing:
            raise GraphError(
                10,
                "(#10) Application does not have permission for this action",
                http_status=self._options.permission_error_http_status,
                user_title="Missing permission",
                user_msg=f"The access token lacks: {', '.join(missing)}",
            )

    def _visible_ig_users(self, token: Token) -> set[str]:
        if token.kind in ("ig_short", "ig_long"):
            return {token.ig_user_id} if token.ig_user_id else set()
        if token.kind == "fb_page":
            page = self._pages.get(token.page_id or "")
            return {page.ig_user_id} if page and page.ig_user_id else set()
        return {
            page.ig_user_id
            for page in self._pages.values()
            if token.fb_user_id in page.managers and page.ig_user_id
        }

    def _resolve_ig_user(self, node: str, token: Token, method: str) -> IgAccount:
        visible = self._visible_ig_users(token)
        if node == "me" and token.family == "ig" and token.ig_user_id in self._ig_users:
            return self._ig_users[token.ig_user_id]
        for account in self._ig_users.values():
            if node in (account.id, account.app_scoped_id) and account.id in visible:
                return account
        raise self._unsupported(method, node)

    def _usage_headers(self, ig_user_id: str | None, *, throttled: bool = False) -> dict[str, str]:
        if ig_user_id is None:
            return {}
        limit = self._options.buc_calls_per_hour
        calls = len(self._buc_calls.get(ig_user_id, ()))
        percent = 100 if throttled else (min(100, calls * 100 // limit) if limit else 0)
        usage = {
            ig_user_id: [
                {
                    "type": "instagram",
                    "call_count": percent,
                    "total_cputime": min(100, percent // 2),
                    "total_time": min(100, percent // 2),
                    "estimated_time_to_regain_access": 60 if throttled else 0,
                }
            ]
        }
        return {"X-Business-Use-Case-Usage": json.dumps(usage, separators=(",", ":"))}

    def _count_buc(self, ctx: _Ctx, ig_user_id: str) -> None:
        """Count a business-use-case call for the account (80002 beyond the hourly limit)."""
        ctx.ig_user_id = ig_user_id
        now = self._now()
        calls = self._buc_calls.setdefault(ig_user_id, deque())
        while calls and calls[0] <= now - 3600:
            calls.popleft()
        limit = self._options.buc_calls_per_hour
        if limit is not None and len(calls) >= limit:
            raise GraphError(
                80002,
                PRESETS["throttle_buc"]["message"],
                is_transient=True,
                headers=self._usage_headers(ig_user_id, throttled=True),
            )
        calls.append(now)
        ctx.extra_headers.update(self._usage_headers(ig_user_id))

    def _enter_ig(
        self, ctx: _Ctx, node: str, endpoint: str, *, publish: bool
    ) -> tuple[Token, IgAccount]:
        token = self._authenticate(self._token_value(ctx))
        account = self._resolve_ig_user(node, token, ctx.method)
        ctx.ig_user_id = account.id
        if publish:
            self._require(token, IG_PUBLISH_SCOPES, FB_PUBLISH_SCOPES)
        else:
            self._require(token, IG_READ_SCOPES, FB_READ_SCOPES)
        self._count_buc(ctx, account.id)
        self._inject(endpoint, account.id)
        return token, account

    # ------------------------------------------------------------------ /me and pages

    IG_USER_FIELDS = (
        "id",
        "user_id",
        "username",
        "name",
        "account_type",
        "profile_picture_url",
        "followers_count",
        "follows_count",
        "media_count",
        "biography",
        "website",
    )

    def _ig_user_fields(
        self, account: IgAccount, fields: list[tuple[str, list[str] | None]], self_id: str
    ) -> dict[str, Any]:
        posts = sum(
            1
            for item in self._media.values()
            if item.ig_user_id == account.id and item.parent_id is None
        )
        values: dict[str, Any] = {
            "id": self_id,
            "user_id": account.id,
            "username": account.username,
            "name": account.name,
            "account_type": account.account_type,
            "profile_picture_url": account.profile_picture_url,
            "followers_count": account.followers_count,
            "follows_count": account.follows_count,
            "media_count": posts,
            "biography": account.biography,
            "website": account.website,
        }
        return self._pick(values, fields, "User", default=("id",))

    @staticmethod
    def _pick(
        values: Mapping[str, Any],
        fields: list[tuple[str, list[str] | None]],
        node_type: str,
        *,
        default: Iterable[str],
    ) -> dict[str, Any]:
        names = [name for name, _ in fields] or list(default)
        out: dict[str, Any] = {}
        for name in names:
            if name not in values:
                raise _param_error(
                    f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
                )
            out[name] = values[name]
        out.setdefault("id", values.get("id"))
        return out

    def _me(self, ctx: _Ctx) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            self._inject("me", token.ig_user_id)
            fields = parse_fields(ctx.params.get("fields"))
            if token.family == "ig":
                account = self._ig_users[token.ig_user_id or ""]
                ctx.ig_user_id = account.id
                self._require(token, IG_READ_SCOPES, ())
                return Reply(200, self._ig_user_fields(account, fields, account.app_scoped_id))
            if token.kind == "fb_page":
                page = self._pages[token.page_id or ""]
                return Reply(200, self._page_fields(page, fields, token))
            user = self._fb_users[token.fb_user_id or ""]
            values = {"id": user.id, "name": user.name, "email": user.email}
            return Reply(200, self._pick(values, fields, "User", default=("id", "name")))

    def _page_token_for(self, user_token: Token, page: FbPage) -> Token:
        key = (user_token.value, page.id)
        existing = self._tokens.get(self._page_tokens.get(key, ""))
        if existing is not None and existing.revoked is None:
            return existing
        lifetime: float | None
        if user_token.kind == "fb_user_long":
            lifetime = None
        else:
            remaining = (user_token.expires_at or self._now()) - self._now()
            lifetime = max(1.0, remaining)
        token = self._new_token(
            "fb_page",
            user_token.app_id,
            user_token.scopes,
            lifetime=lifetime,
            declined=user_token.declined,
            fb_user_id=user_token.fb_user_id,
            page_id=page.id,
        )
        self._page_tokens[key] = token.value
        return token

    def _page_fields(
        self, page: FbPage, fields: list[tuple[str, list[str] | None]], token: Token
    ) -> dict[str, Any]:
        page_token = token if token.kind == "fb_page" else self._page_token_for(token, page)
        ig_value: dict[str, Any] | None = None
        if page.ig_user_id is not None:
            ig_value = {"id": page.ig_user_id}
            sub = next(
                (inner for name, inner in fields if name == "instagram_business_account"), None
            )
            if sub:
                account = self._ig_users[page.ig_user_id]
                ig_value = self._ig_user_fields(account, [(name, None) for name in sub], account.id)
        values: dict[str, Any] = {
            "id": page.id,
            "name": page.name,
            "category": page.category,
            "category_list": [{"id": "2612", "name": page.category}],
            "tasks": list(page.tasks),
            "access_token": page_token.value,
        }
        if ig_value is not None:
            values["instagram_business_account"] = ig_value
            values["connected_instagram_account"] = {"id": page.ig_user_id}
        names = [name for name, _ in fields]
        for name in ("instagram_business_account", "connected_instagram_account"):
            if name in names and name not in values:
                names.remove(name)  # Graph omits an unset edge instead of failing
        return self._pick(values, [(name, None) for name in names], "Page", default=("id", "name"))

    def _me_accounts(self, ctx: _Ctx) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            self._inject("me_accounts", None)
            if token.kind not in ("fb_user_short", "fb_user_long"):
                raise _param_error(
                    "(#100) Tried accessing nonexisting field (accounts) on node type (User)"
                )
            self._require(token, (), ("pages_show_list",))
            fields = parse_fields(ctx.params.get("fields")) or [
                (name, None)
                for name in ("access_token", "category", "category_list", "name", "id", "tasks")
            ]
            data = [
                self._page_fields(page, fields, token)
                for page in self._pages.values()
                if token.fb_user_id in page.managers
            ]
            cursors = {}
            if data:
                cursors = {
                    "before": base64.urlsafe_b64encode(data[0]["id"].encode()).decode(),
                    "after": base64.urlsafe_b64encode(data[-1]["id"].encode()).decode(),
                }
            return Reply(200, {"data": data, "paging": {"cursors": cursors}})

    def _me_permissions(self, ctx: _Ctx) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            ctx.ig_user_id = token.ig_user_id
            if ctx.method == "DELETE":
                subject = token.ig_user_id or token.fb_user_id or ""
                self._revoke(subject, "app_removed", token.app_id)
                return Reply(200, {"success": True})
            data = [{"permission": scope, "status": "granted"} for scope in token.scopes]
            data += [{"permission": scope, "status": "declined"} for scope in token.declined]
            return Reply(200, {"data": data})

    # ------------------------------------------------------------------ nodes

    MEDIA_NODE = "IGMedia"
    CONTAINER_FIELDS = ("id", "status_code", "status")

    def _node(self, ctx: _Ctx, node: str) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            fields = parse_fields(ctx.params.get("fields"))
            container = self._containers.get(node)
            if container is not None:
                ctx.endpoint = "container_status"
                self._enter_node(ctx, token, container.ig_user_id, node, "container_status")
                code, text = self._status(container, self._now())
                values = {"id": container.id, "status_code": code, "status": text}
                return Reply(
                    200, self._pick(values, fields, "ShadowIGMediaBuilder", default=("id",))
                )
            item = self._media.get(node)
            if item is not None:
                self._enter_node(ctx, token, item.ig_user_id, node, "node")
                return Reply(200, self._media_fields(item, fields))
            page = self._pages.get(node)
            if page is not None:
                allowed = (token.kind == "fb_page" and token.page_id == page.id) or (
                    token.kind in ("fb_user_short", "fb_user_long")
                    and token.fb_user_id in page.managers
                )
                if not allowed:
                    raise self._unsupported("get", node)
                self._inject("node", page.ig_user_id)
                return Reply(200, self._page_fields(page, fields, token))
            for account in self._ig_users.values():
                if node in (account.id, account.app_scoped_id):
                    self._enter_node(ctx, token, account.id, node, "node")
                    return Reply(200, self._ig_user_fields(account, fields, node))
            raise self._unsupported("get", node)

    def _enter_node(
        self, ctx: _Ctx, token: Token, ig_user_id: str, node: str, endpoint: str
    ) -> None:
        """Before reading ``node`` of an IG account: the token sees the account and may read
        it, the call counts against the account's hourly limit, injected failures fire."""
        self._check_visible(token, ig_user_id, node)
        ctx.ig_user_id = ig_user_id
        self._require(token, IG_READ_SCOPES, FB_READ_SCOPES)
        self._count_buc(ctx, ig_user_id)
        self._inject(endpoint, ig_user_id)

    def _check_visible(self, token: Token, ig_user_id: str, node: str) -> None:
        if ig_user_id not in self._visible_ig_users(token):
            raise self._unsupported("get", node)

    def _media_fields(
        self, item: IgMedia, fields: list[tuple[str, list[str] | None]]
    ) -> dict[str, Any]:
        account = self._ig_users.get(item.ig_user_id)
        children_sub = next((inner for name, inner in fields if name == "children"), None)
        children = [
            self._media_fields(
                self._media[child], [(name, None) for name in (children_sub or ["id"])]
            )
            for child in item.children
        ]
        values: dict[str, Any] = {
            "id": item.id,
            "caption": item.caption,
            "media_type": item.media_type,
            "media_product_type": item.media_product_type,
            "media_url": item.media_url,
            "permalink": item.permalink,
            "shortcode": item.shortcode,
            "timestamp": _iso_graph(item.published_at),
            "username": account.username if account else None,
            "owner": {"id": item.ig_user_id},
            "is_comment_enabled": True,
            "like_count": 0,
            "comments_count": 0,
        }
        if item.media_type == "VIDEO":
            values["thumbnail_url"] = item.media_url
        if item.media_product_type == "REELS":
            values["is_shared_to_feed"] = item.share_to_feed is not False
        if item.alt_text is not None:
            values["alt_text"] = item.alt_text
        if item.media_type == "CAROUSEL_ALBUM":
            values["children"] = {"data": children}
        return self._pick(values, fields, self.MEDIA_NODE, default=("id",))

    def _children(self, ctx: _Ctx, node: str) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            item = self._media.get(node)
            if item is None:
                raise self._unsupported("get", node)
            self._check_visible(token, item.ig_user_id, node)
            ctx.ig_user_id = item.ig_user_id
            self._require(token, IG_READ_SCOPES, FB_READ_SCOPES)
            fields = parse_fields(ctx.params.get("fields"))
            data = [self._media_fields(self._media[child], fields) for child in item.children]
            return Reply(200, {"data": data})

    def _list_media(self, ctx: _Ctx, node: str) -> Reply:
        """``GET /{ig-user-id}/media``: the account's media newest first (not carousel
        children), ``limit`` a page (default 25, at most 100), cursor paging (``after`` /
        ``before``, ``paging.next`` while more follow). A media shows
        ``media_list_delay_seconds`` after it was published."""
        with self._lock:
            _token, account = self._enter_ig(ctx, node, "node", publish=False)
            fields = parse_fields(ctx.params.get("fields"))
            raw_limit = ctx.params.get("limit", "25")
            if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
                raise _param_error("(#100) The parameter limit must be an integer from 1 to 100.")
            limit = int(raw_limit)
            visible_at = self._now() - self._options.media_list_delay_seconds
            items = [
                item
                for item in reversed(list(self._media.values()))
                if item.ig_user_id == account.id
                and item.parent_id is None
                and item.published_at <= visible_at
            ]
            offset = 0
            for key, step in (("after", 1), ("before", -1)):
                raw = ctx.params.get(key)
                if not raw:
                    continue
                try:
                    position = int(base64.urlsafe_b64decode(raw.encode()).decode())
                except (ValueError, UnicodeDecodeError) as exc:
                    raise _param_error(
                        f"(#100) The parameter {key} is not a valid cursor."
                    ) from exc
                offset = position + 1 if step == 1 else max(position - limit, 0)
            page = items[offset : offset + limit]
            paging: dict[str, Any] = {"cursors": {}}
            if page:
                paging["cursors"] = {
                    "before": base64.urlsafe_b64encode(str(offset).encode()).decode(),
                    "after": base64.urlsafe_b64encode(
                        str(offset + len(page) - 1).encode()
                    ).decode(),
                }
            if offset + limit < len(items):
                query = {k: v for k, v in ctx.params.items() if k not in ("after", "before")}
                query["after"] = paging["cursors"]["after"]
                host = ctx.headers.get("host", "graph.instagram.com")
                paging["next"] = with_query(f"http://{host}{ctx.path}", query)
            data = [self._media_fields(item, fields) for item in page]
            return Reply(200, {"data": data, "paging": paging})

    def _publishing_limit(self, ctx: _Ctx, node: str) -> Reply:
        with self._lock:
            _token, account = self._enter_ig(ctx, node, "publishing_limit", publish=False)
            now = self._now()
            since: float | None = None
            raw_since = ctx.params.get("since")
            if raw_since:
                try:
                    since = float(raw_since)
                except ValueError as exc:
                    raise _param_error("(#100) Param since must be a unix timestamp") from exc
                if since < now - DAY - 1:
                    raise _param_error("(#100) Param since must be within the last 24 hours")
            names = [name for name, _ in parse_fields(ctx.params.get("fields"))] or ["quota_usage"]
            entry: dict[str, Any] = {}
            for name in names:
                if name == "quota_usage":
                    entry["quota_usage"] = self._quota_used(account.id, now, since)
                elif name == "config":
                    entry["config"] = {
                        "quota_total": self._quota_total(account),
                        "quota_duration": 86400,
                    }
                else:
                    raise _param_error(
                        f"(#100) Tried accessing nonexisting field ({name}) on node type "
                        "(ContentPublishingLimitResponse)"
                    )
            return Reply(200, {"data": [entry]})

    # ------------------------------------------------------------------ container status

    def _status(self, container: Container, now: float) -> tuple[str, str]:
        if container.published_media_id is not None:
            return "PUBLISHED", STATUS_TEXT["PUBLISHED"]
        if now >= container.created_at + self._options.container_ttl_seconds:
            return "EXPIRED", STATUS_TEXT["EXPIRED"]
        if container.media_type == "CAROUSEL":
            waiting = False
            for child_id in container.children:
                child = self._containers[child_id]
                code, _ = self._status(child, now)
                if code in ("ERROR", "EXPIRED"):
                    return "ERROR", f"Error: Carousel item {child_id} is in state {code}."
                if code == "IN_PROGRESS":
                    waiting = True
            if waiting or now < container.ready_at:
                return "IN_PROGRESS", STATUS_TEXT["IN_PROGRESS"]
            return "FINISHED", STATUS_TEXT["FINISHED"]
        if now < container.ready_at:
            return "IN_PROGRESS", STATUS_TEXT["IN_PROGRESS"]
        if container.error_text is not None:
            return "ERROR", container.error_text
        return "FINISHED", STATUS_TEXT["FINISHED"]

    # ------------------------------------------------------------------ container creation

    def _create_container(self, ctx: _Ctx, node: str) -> Reply:
        with self._lock:
            token, account = self._enter_ig(ctx, node, "media", publish=True)
            self._account_rules(account, publishing=False)
            plan = self._plan(ctx.params, account, token)
            self._check_container_limit(account.id)
        probes, error_text = self._fetch_plan(plan)
        with self._lock:
            self._check_container_limit(account.id)
            container = self._commit_container(plan, probes, error_text)
            rule = self._take_rule("error", "media", account.id, after_commit=True)
            if rule is not None:
                raise self._rule_error(rule, account.id)
        return Reply(200, {"id": container.id})

    def _account_rules(self, account: IgAccount, *, publishing: bool) -> None:
        if account.account_type == "PERSONAL":
            raise GraphError(
                10,
                "(#10) The user is not an Instagram Business",
                http_status=self._options.permission_error_http_status,
            )
        if account.restricted:
            raise _preset_error("restricted")
        if publishing and account.spam_flagged:
            raise _preset_error("spam")

    def _check_container_limit(self, ig_user_id: str) -> None:
        now = self._now()
        events = [ts for ts in self._container_events.get(ig_user_id, []) if ts > now - DAY]
        self._container_events[ig_user_id] = events
        if len(events) >= self._options.container_limit:
            raise GraphError(
                9,
                f"(#9) The Instagram account reached the limit of {self._options.container_limit} "
                "media containers created in 24 hours",
                user_title="Too many containers",
                user_msg="Wait before creating more media containers.",
            )

    def _plan(self, p: Mapping[str, str], account: IgAccount, token: Token) -> _Plan:
        if p.get("upload_type"):
            raise _param_error(
                "(#100) upload_type=resumable is not supported by this sandbox; use video_url"
            )
        raw_type = p.get("media_type")
        media_type = raw_type if raw_type else "IMAGE"
        if media_type not in MEDIA_TYPES:
            raise _param_error(
                f"The media type {raw_type!r} is not one of the supported media types "
                "(IMAGE, VIDEO, REELS, STORIES, CAROUSEL).",
                2207023,
            )
        is_item = _bool_param(p.get("is_carousel_item"))
        image_url = p.get("image_url") or None
        video_url = p.get("video_url") or None
        if image_url and video_url:
            raise _param_error("(#100) Only one of image_url and video_url can be given.")
        if is_item and media_type not in ("IMAGE", "VIDEO"):
            raise _param_error(
                f"{media_type} containers cannot be carousel items (is_carousel_item).", 2207023
            )
        children: list[str] = []
        if media_type == "IMAGE":
            if video_url and not raw_type:
                raise _param_error(
                    "A video needs media_type=REELS (or VIDEO for a carousel item).", 2207023
                )
            if not image_url:
                raise _param_error("(#100) The parameter image_url is required.")
        elif media_type == "VIDEO":
            if not is_item:
                raise _param_error(
                    "The VIDEO media type is only supported for carousel items; publish single "
                    "videos with media_type=REELS.",
                    2207023,
                )
            if not video_url:
                raise _param_error("(#100) The parameter video_url is required.")
        elif media_type == "REELS":
            if not video_url:
                raise _param_error("(#100) The parameter video_url is required.")
        elif media_type == "STORIES":
            if not (image_url or video_url):
                raise _param_error("(#100) The parameter image_url or video_url is required.")
        else:  # CAROUSEL
            if image_url or video_url:
                raise _param_error("(#100) A CAROUSEL container takes children, not media URLs.")
            children = self._parse_children(p.get("children"))
            self._check_children(children, account)
        if not is_item:
            self._check_caption(p.get("caption") or "")
        if p.get("collaborators"):
            if is_item:
                raise _param_error("(#100) collaborators are not supported on carousel items.")
            self._check_collaborators(p["collaborators"])
        if p.get("user_tags"):
            self._check_user_tags(p["user_tags"], needs_position=bool(image_url))
        if p.get("alt_text") is not None and (video_url or media_type == "CAROUSEL"):
            raise _param_error("(#100) alt_text is only supported for images.")
        if len(p.get("alt_text") or "") > 1000:
            raise _param_error("(#100) alt_text must be at most 1000 characters.")
        thumb_offset: int | None = None
        if p.get("thumb_offset") is not None:
            if not video_url:
                raise _param_error("(#100) thumb_offset is only supported for videos.")
            try:
                thumb_offset = int(p["thumb_offset"])
            except ValueError as exc:
                raise _param_error("(#100) Param thumb_offset must be an integer") from exc
            if thumb_offset < 0:
                raise _param_error("(#100) Param thumb_offset must be a non-negative integer")
        cover_url = p.get("cover_url") or None
        if cover_url and media_type != "REELS":
            raise _param_error("(#100) cover_url is only supported for REELS.")
        location = p.get("location_id")
        if location is not None and not location.isdigit():
            raise _param_error("(#100) Param location_id must be a valid location ID")
        params = {key: value for key, value in p.items() if key != "access_token"}
        if is_item:
            params.pop("caption", None)  # Instagram ignores captions on carousel items
        return _Plan(
            account=account,
            app_id=token.app_id,
            media_type=media_type,
            is_item=is_item,
            params=params,
            children=children,
            image_url=image_url,
            video_url=video_url,
            cover_url=cover_url,
            check_aspect=media_type == "IMAGE",
            thumb_offset_ms=thumb_offset,
        )

    @staticmethod
    def _parse_children(raw: str | None) -> list[str]:
        if not raw:
            raise _param_error("(#100) The parameter children is required.")
        text = raw.strip()
        items: list[Any]
        if text.startswith("["):
            try:
                items = list(json.loads(text))
            except (ValueError, TypeError) as exc:
                raise _param_error(
                    "(#100) Param children must be an array of container IDs"
                ) from exc
        else:
            items = text.split(",")
        children = [str(item).strip() for item in items if str(item).strip()]
        if not 2 <= len(children) <= 10:
            raise _param_error(
                "Carousels need at least 2 photos/videos and no more than 10.", 2207028
            )
        if len(set(children)) != len(children):
            raise _param_error("(#100) The same child container appears twice in children.")
        return children

    def _check_children(self, children: list[str], account: IgAccount) -> None:
        now = self._now()
        for child_id in children:
            child = self._containers.get(child_id)
            if child is None or child.ig_user_id != account.id:
                raise _media_not_found(
                    child_id, "A carousel child does not exist or belongs to another account."
                )
            if not child.is_carousel_item:
                raise _param_error(
                    f"(#100) The container {child_id} was not created as a carousel item "
                    "(is_carousel_item=true)."
                )
            if child.published_media_id is not None:
                raise _param_error(f"(#100) The carousel item {child_id} was already published.")
            code, _ = self._status(child, now)
            if code == "EXPIRED":
                raise _media_expired(f"The carousel item {child_id} expired; create a new one.")
            if code == "ERROR":
                raise _param_error(f"(#100) The carousel item {child_id} failed processing.")
            if code == "IN_PROGRESS" and self._options.carousel_children_must_be_finished:
                raise self._not_ready()

    @staticmethod
    def _check_caption(caption: str) -> None:
        if len(caption) > 2200:
            raise GraphError(
                36004,
                "The caption is too long: it exceeds 2200 characters.",
                subcode=2207010,
                user_title="Caption too long",
                user_msg="Captions can have up to 2200 characters.",
            )
        if len(_HASHTAG_RE.findall(caption)) > 30:
            raise _param_error("(#100) The caption has more than 30 hashtags.", 2207040)
        if len(_MENTION_RE.findall(caption)) > 20:
            raise _param_error("(#100) The caption has more than 20 @ mentions.", 2207040)

    @staticmethod
    def _check_collaborators(raw: str) -> None:
        try:
            names = json.loads(raw)
        except ValueError as exc:
            raise _param_error(
                "(#100) Param collaborators must be a JSON array of usernames"
            ) from exc
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise _param_error("(#100) Param collaborators must be a JSON array of usernames")
        if len(names) > 3:
            raise _param_error("(#100) At most 3 collaborators can be tagged.")

    @staticmethod
    def _check_user_tags(raw: str, *, needs_position: bool) -> None:
        try:
            tags = json.loads(raw)
        except ValueError as exc:
            raise _param_error("(#100) Param user_tags must be a JSON array") from exc
        if not isinstance(tags, list):
            raise _param_error("(#100) Param user_tags must be a JSON array")
        for tag in tags:
            if not isinstance(tag, dict) or not isinstance(tag.get("username"), str):
                raise _param_error("(#100) Each user tag needs a username")
            for axis in ("x", "y"):
                value = tag.get(axis)
                if value is None and not needs_position:
                    continue
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not 0 <= value <= 1
                ):
                    raise _param_error(f"(#100) user_tags {axis} must be a number between 0 and 1")

    def _fetch_plan(self, plan: _Plan) -> tuple[list[MediaProbe], str | None]:
        """Download the plan's media (outside the lock). Image problems raise; video
        problems raise or become the container's ERROR text (``video_errors``)."""
        options = self.options
        probes: list[MediaProbe] = []
        if plan.image_url:
            probes.append(
                self._fetch_image(plan.image_url, options, check_aspect=plan.check_aspect)
            )
        if plan.cover_url:
            probes.append(self._fetch_image(plan.cover_url, options, check_aspect=False))
        error_text: str | None = None
        if plan.video_url:
            probe, error, error_text = self._fetch_video(
                plan.video_url, options, plan.thumb_offset_ms
            )
            probes.insert(0, probe)
            if error is not None and options.video_errors == "response":
                raise error
        return probes, error_text

    @staticmethod
    def _fetch_image(url: str, options: InstagramOptions, *, check_aspect: bool) -> MediaProbe:
        probe, body, error = fetch_media(
            url, timeout=options.fetch_timeout_seconds, max_bytes=options.image_max_bytes
        )
        if error == "timeout":
            raise _download_timeout()
        if error == "too_large":
            raise GraphError(
                36000,
                "The image is too large to download. It should be less than 8 MiB.",
                subcode=2207004,
                user_title="Image is too large",
                user_msg=f"The image at {url} is larger than {options.image_max_bytes} bytes.",
            )
        if error is not None:
            raise _download_failed(url)
        probe.format = sniff_image(body[:16])
        unsupported = GraphError(
            36001,
            "The image format is not supported.",
            subcode=2207005,
            user_title="Unsupported image format",
            user_msg=f"Only JPEG images are supported; {url} is {probe.format or 'not an image'}.",
        )
        if probe.format != "jpeg":
            raise unsupported
        try:
            with Image.open(io.BytesIO(body)) as image:
                probe.width, probe.height = image.size
        except Exception as exc:
            probe.error = f"undecodable: {exc}"
            raise unsupported from exc
        ratio = probe.width / probe.height if probe.height else 0.0
        if check_aspect and not (
            options.min_aspect_ratio - 1e-3 <= ratio <= options.max_aspect_ratio + 1e-3
        ):
            raise GraphError(
                36003,
                f"The submitted image with aspect ratio ('{probe.width}/{probe.height}') cannot be "
                "published. Please submit an image with a valid aspect ratio.",
                subcode=2207009,
                user_title="Invalid aspect ratio",
                user_msg="The aspect ratio must be between 4:5 and 1.91:1.",
            )
        return probe

    @staticmethod
    def _fetch_video(
        url: str, options: InstagramOptions, thumb_offset_ms: int | None
    ) -> tuple[MediaProbe, GraphError | None, str | None]:
        probe, body, error = fetch_media(
            url, timeout=options.fetch_timeout_seconds, max_bytes=options.video_max_bytes
        )
        if error == "timeout":
            return probe, _download_timeout(), DOWNLOAD_TIMEOUT_TEXT
        if error == "unreachable":
            return probe, _download_failed(url), DOWNLOAD_FAILED_TEXT
        unsupported = GraphError(
            352,
            "The video format is not supported. Please check spec for supported video formats.",
            subcode=2207026,
            user_title="Unsupported video format",
            user_msg="Videos must be MOV or MP4 files within the published limits.",
        )
        upload_failed = "Error: Media upload has failed with error code {}"
        if error == "too_large":
            return probe, unsupported, upload_failed.format(2207026)
        probe.format = sniff_video(body[:64])
        if probe.format not in ("mp4", "mov"):
            return probe, unsupported, upload_failed.format(2207026)
        info = probe_video(io.BytesIO(body))
        probe.duration_seconds = info.duration_seconds
        probe.width, probe.height = info.width, info.height
        if (
            thumb_offset_ms is not None
            and info.duration_seconds is not None
            and thumb_offset_ms > info.duration_seconds * 1000
        ):
            return (
                probe,
                GraphError(
                    1,
                    "The thumb_offset is beyond the end of the video.",
                    subcode=2207057,
                    user_title="Invalid thumbnail offset",
                    user_msg="thumb_offset must be within the video's duration (milliseconds).",
                ),
                upload_failed.format(2207057),
            )
        return probe, None, None

    def _commit_container(
        self, plan: _Plan, probes: list[MediaProbe], error_text: str | None
    ) -> Container:
        now = self._now()
        if plan.media_type == "CAROUSEL":
            self._check_children(plan.children, plan.account)
            delay = self._options.carousel_processing_seconds
        elif plan.video_url:
            delay = self._options.video_processing_seconds
        else:
            delay = self._options.image_processing_seconds
        container = Container(
            id=self._next(17_890_000_000_000_000),
            ig_user_id=plan.account.id,
            app_id=plan.app_id,
            media_type=plan.media_type,
            is_carousel_item=plan.is_item,
            created_at=now,
            ready_at=now + delay,
            params=plan.params,
            children=list(plan.children),
            probes=probes,
            error_text=error_text,
        )
        if plan.media_type != "CAROUSEL" and error_text is None:
            media_kind = "video" if plan.video_url else "image"
            rule = self._take_rule(
                "container_error", "media", plan.account.id, media_kind=media_kind
            )
            if rule is not None:
                container.error_text = (
                    rule.status_text or "Error: Media upload has failed with error code 2207053"
                )
        for child_id in plan.children:
            self._containers[child_id].parent_id = container.id
        self._containers[container.id] = container
        self._container_events.setdefault(plan.account.id, []).append(now)
        return container

    # ------------------------------------------------------------------ publishing

    @staticmethod
    def _not_ready() -> GraphError:
        return GraphError(
            9007,
            "Media ID is not available",
            subcode=2207027,
            user_title="Media not ready for publishing",
            user_msg="The media is not ready for publishing, please wait for a moment",
        )

    def _publish(self, ctx: _Ctx, node: str) -> Reply:
        with self._lock:
            _token, account = self._enter_ig(ctx, node, "media_publish", publish=True)
            self._account_rules(account, publishing=True)
            creation_id = ctx.params.get("creation_id")
            if not creation_id:
                raise _param_error("(#100) The parameter creation_id is required.")
            container = self._containers.get(creation_id)
            if container is None or container.ig_user_id != account.id:
                raise _media_not_found(
                    creation_id, "The container does not exist or belongs to another account."
                )
            if container.is_carousel_item:
                raise _param_error(
                    "(#100) A carousel item cannot be published on its own; publish its "
                    "CAROUSEL container."
                )
            now = self._now()
            code, _ = self._status(container, now)
            if code == "PUBLISHED":
                raise GraphError(
                    100,
                    "This media has already been published.",
                    user_title="Media already published",
                    user_msg=(
                        f"The container {container.id} was published as media "
                        f"{container.published_media_id}."
                    ),
                )
            if code == "EXPIRED":
                if self._options.expired_publish_error == "2207020":
                    raise _media_expired("The container expired; create a new one.")
                raise GraphError(
                    24,
                    "The media builder does not exist or has expired.",
                    subcode=2207008,
                    user_title="Media builder expired",
                    user_msg="The container expired after 24 hours; create a new one.",
                )
            if code != "FINISHED":
                raise self._not_ready()
            if self._quota_used(account.id, now) >= self._quota_total(account):
                raise _preset_error("quota")
            item = self._commit_publish(container, account, now)
            rule = self._take_rule("error", "media_publish", account.id, after_commit=True)
            if rule is not None:
                raise self._rule_error(rule, account.id)
            return Reply(200, {"id": item.id})

    def _commit_publish(self, container: Container, account: IgAccount, now: float) -> IgMedia:
        media_id = self._next(17_920_000_000_000_000)
        shortcode = _shortcode(media_id)
        p = container.params
        if container.media_type == "STORIES":
            product, kind = "STORY", "VIDEO" if container.is_video else "IMAGE"
            permalink = f"https://www.instagram.com/stories/{account.username}/{media_id}/"
        elif container.media_type == "REELS":
            product, kind = "REELS", "VIDEO"
            permalink = f"https://www.instagram.com/reel/{shortcode}/"
        elif container.media_type == "CAROUSEL":
            product, kind = "FEED", "CAROUSEL_ALBUM"
            permalink = f"https://www.instagram.com/p/{shortcode}/"
        else:
            product, kind = "FEED", "IMAGE"
            permalink = f"https://www.instagram.com/p/{shortcode}/"
        sources = [probe.url for probe in container.probes[:1]]
        item = IgMedia(
            id=media_id,
            ig_user_id=account.id,
            container_id=container.id,
            media_type=kind,
            media_product_type=product,
            caption=p.get("caption"),
            shortcode=shortcode,
            permalink=permalink,
            published_at=now,
            media_url=sources[0] if sources else None,
            source_urls=sources,
            alt_text=p.get("alt_text"),
            share_to_feed=_bool_param(p["share_to_feed"]) if "share_to_feed" in p else None,
        )
        self._media[media_id] = item
        for child_id in container.children:
            child = self._containers[child_id]
            child_media_id = self._next(17_920_000_000_000_000)
            child_sources = [probe.url for probe in child.probes[:1]]
            self._media[child_media_id] = IgMedia(
                id=child_media_id,
                ig_user_id=account.id,
                container_id=child.id,
                media_type="VIDEO" if child.is_video else "IMAGE",
                media_product_type="CAROUSEL_ALBUM",
                caption=None,
                shortcode=_shortcode(child_media_id),
                permalink=f"https://www.instagram.com/p/{_shortcode(child_media_id)}/",
                published_at=now,
                media_url=child_sources[0] if child_sources else None,
                source_urls=child_sources,
                parent_id=media_id,
                alt_text=child.params.get("alt_text"),
            )
            item.children.append(child_media_id)
            item.source_urls.extend(child_sources)
            child.published_media_id = child_media_id
            child.published_at = now
        if item.media_url is None and item.children:
            item.media_url = self._media[item.children[0]].media_url
        container.published_media_id = media_id
        container.published_at = now
        self._publish_events.setdefault(account.id, []).append(now)
        return item


# ---------------------------------------------------------------------- HTTP layer


async def _request_params(request: Request) -> dict[str, str]:
    """Query string merged with a urlencoded, multipart or JSON body (body wins)."""
    params = dict(request.query_params)
    raw = await request.body()
    if not raw.strip():
        return params
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    elif kind == "multipart/form-data":
        parts = parse_multipart(raw, content_type)
        if parts is None:
            raise _param_error("(#100) The multipart body could not be parsed.")
        for name, filename, data in parts:
            if filename is None:
                params[name] = data.decode("utf-8", "replace")
    elif kind == "application/json":
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise _param_error("(#100) The JSON body could not be parsed.") from exc
        if not isinstance(body, dict):
            raise _param_error("(#100) The JSON body must be an object.")
        for key, value in body.items():
            params[str(key)] = value if isinstance(value, str) else json.dumps(value)
    return params


class _Api:
    def __init__(self, sandbox: InstagramSandbox) -> None:
        self.sandbox = sandbox

    async def graph(self, request: Request) -> Response:
        try:
            params = await _request_params(request)
        except GraphError as error:
            return JSONResponse(error.body(_fbtrace_id()), error.http_status)
        headers = {key.lower(): value for key, value in request.headers.items()}
        reply = await run_in_threadpool(
            self.sandbox.handle, request.method, request.url.path, params, headers
        )
        return reply_response(reply)

    def admin_call(
        self, method: str, parts: list[str], query: Mapping[str, str], body: dict[str, Any]
    ) -> AdminCall | None:
        """The Instagram admin routes, then those of every platform sandbox (state, reset,
        options, apps, failures, clock)."""
        sb = self.sandbox
        match (method, parts):
            case ("GET", ["ig_users"]):
                return sb.ig_users, 200
            case ("POST", ["ig_users"]):
                return (lambda: sb.add_ig_user(**body)), 201
            case ("GET", ["ig_users", key]):
                return (lambda: sb.get_ig_user(key)), 200
            case ("PATCH", ["ig_users", key]):
                return (lambda: sb.update_ig_user(key, **body)), 200
            case ("POST", ["ig_users", key, "exhaust_quota"]):
                count = body.get("count")
                if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
                    return failing(SandboxError("count must be an integer")), 400
                return (lambda: {"recorded": sb.exhaust_quota(key, count)}), 200
            case ("GET", ["fb_users"]):
                return sb.fb_users, 200
            case ("POST", ["fb_users"]):
                return (lambda: sb.add_fb_user(**body)), 201
            case ("GET", ["pages"]):
                return sb.pages, 200
            case ("POST", ["pages"]):
                return (lambda: sb.add_page(**body)), 201
            case ("GET", ["tokens"]):
                return (lambda: sb.tokens(query.get("subject"))), 200
            case ("POST", ["tokens"]):
                return (lambda: sb.issue_token(**body)), 201
            case ("POST", ["tokens", "revoke"]):
                subject = str(body.get("subject", ""))
                reason = str(body.get("reason", "app_removed"))
                app_id = body.get("app_id")
                return (lambda: {"revoked": sb.revoke_tokens(subject, reason, app_id=app_id)}), 200
            case ("POST", ["tokens", "expire"]):
                subject = str(body.get("subject", ""))
                return (lambda: {"expired": sb.expire_tokens(subject)}), 200
            case ("GET", ["containers"]):
                return (
                    lambda: sb.containers(
                        ig_user_id=query.get("ig_user_id"), status=query.get("status")
                    )
                ), 200
            case ("GET", ["containers", container_id]):
                return (lambda: sb.container(container_id)), 200
            case ("GET", ["media"]):
                return (lambda: sb.media(ig_user_id=query.get("ig_user_id"))), 200
            case ("GET", ["media", "duplicates"]):
                return sb.duplicate_media, 200
            case ("GET", ["requests"]):
                return (
                    lambda: sb.requests_log(
                        endpoint=query.get("endpoint"), ig_user_id=query.get("ig_user_id")
                    )
                ), 200
        return platform_admin_call(sb, method, parts, body)


def create_app(sandbox: InstagramSandbox | None = None, *, clock: Clock | None = None) -> Starlette:
    """The sandbox as an ASGI app: every Graph/OAuth path on one catch-all route, the admin
    API under ``/__sandbox/``. The sandbox object is ``app.state.sandbox``."""
    sandbox = sandbox or InstagramSandbox(clock=clock)
    api = _Api(sandbox)
    return sandbox_app(
        sandbox,
        admin=admin_endpoint(api.admin_call),
        api=api.graph,
        api_methods=["GET", "POST", "DELETE"],
    )


__all__ = [
    "FB_LOGIN_SCOPES",
    "IG_LOGIN_SCOPES",
    "LONG_LIVED_SECONDS",
    "PRESETS",
    "FailureRule",
    "FbPage",
    "FbUser",
    "GraphError",
    "IgAccount",
    "InstagramOptions",
    "InstagramSandbox",
    "MetaApp",
    "SandboxError",
    "create_app",
    "fetch_media",
    "parse_fields",
    "parse_multipart",
]
