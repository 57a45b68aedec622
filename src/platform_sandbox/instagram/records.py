"""What the Instagram sandbox records while it answers (tokens, containers, published media),
the request being answered, and the Graph API's small formats (paths, ``fields``,
timestamps, shortcodes, trace ids)."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from platform_sandbox.common import IssuedToken, MediaProbe, PlatformCall
from platform_sandbox.instagram.config import IgAccount

_VERSION_RE = re.compile(r"^v\d+\.\d+$")
_SHORTCODE_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
TokenKind = Literal["ig_short", "ig_long", "fb_user_short", "fb_user_long", "fb_page"]


@dataclass(kw_only=True)
class Token(IssuedToken):
    """An Instagram Login token, a Facebook Login user token or a Page token; ``revoked``
    holds a key of ``config.REVOKE_REASONS``."""

    kind: TokenKind
    ig_user_id: str | None = None
    fb_user_id: str | None = None
    page_id: str | None = None
    declined: tuple[str, ...] = ()

    @property
    def family(self) -> Literal["ig", "fb"]:
        return "ig" if self.kind.startswith("ig") else "fb"

    def owned_by(self, keys: set[str]) -> bool:
        """Whether it speaks for one of ``keys`` (a Page token also for the user who minted
        it)."""
        return bool(keys & {self.ig_user_id, self.fb_user_id, self.page_id})


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


@dataclass(kw_only=True)
class GraphCall(PlatformCall):
    """A Graph / OAuth request being answered: its parameters (query and body merged) and
    the IG account it concerns, once known."""

    params: dict[str, str]
    ig_user_id: str | None = None


@dataclass
class ContainerPlan:
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


def iso_graph(ts: float) -> str:
    """Graph timestamps: ``2026-03-02T09:00:00+0000``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def bool_param(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("true", "1", "yes")


def split_path(path: str) -> list[str]:
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


def media_shortcode(media_id: str) -> str:
    number = int(media_id)
    out = ""
    while number:
        number, rest = divmod(number, 64)
        out = _SHORTCODE_ALPHABET[rest] + out
    return out or "A"


def fbtrace_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "A" + "".join(secrets.choice(alphabet) for _ in range(22))
