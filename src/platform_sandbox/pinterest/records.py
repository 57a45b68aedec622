"""What the Pinterest sandbox records while it answers (tokens, boards, media uploads, pins),
the request being answered, and small input helpers of the API (optional strings, links,
Basic credentials, timestamps)."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from platform_sandbox.common import IssuedToken, PlatformCall
from platform_sandbox.pinterest.errors import PinterestError, invalid


@dataclass(kw_only=True)
class AccessToken(IssuedToken):
    """A ``pina_…`` access token."""

    user_id: str
    expires_at: float


@dataclass(kw_only=True)
class RefreshToken(IssuedToken):
    """A ``pinr_…`` continuous refresh token."""

    user_id: str
    expires_at: float
    used_at: float | None = None


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
    fail_reason: str | None = None
    """Why it failed (the admin view; Pinterest's status says only ``failed``)."""


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
class MediaPlan:
    """The media of a pin being created, before the downloads."""

    image_items: list[tuple[str, Any]]  # ("url", url) | ("base64", (content_type, data))
    multiple: bool = False
    media_id: str | None = None
    cover: str | None = None
    item_meta: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class ApiCall(PlatformCall):
    """A request being answered: its query, body and base URL, and the user it concerns,
    once known."""

    query: dict[str, str]
    body: bytes
    base_url: str
    user_id: str | None = None


def pin_time(ts: float) -> str:
    """Pinterest's ``created_at``: ``2026-03-02T09:00:00`` (UTC, no zone)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def too_long(name: str, value: str, limit: int) -> PinterestError:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return invalid(
        f"Invalid request: '{shown}' is too long (field: {name}, constraint: maxLength={limit})"
    )


def optional_str(
    body: Mapping[str, Any], key: str, limit: int | None, where: str = ""
) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    name = f"{where}{key}"
    if not isinstance(value, str):
        raise invalid(f"Invalid request: {value!r} is not of type 'string' (field: {name})")
    if limit is not None and len(value) > limit:
        raise too_long(name, value, limit)
    return value


def valid_link(link: str) -> bool:
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in link


def basic_credentials(header: str) -> tuple[str, str] | None:
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


def new_request_id() -> str:
    return secrets.token_hex(8)
