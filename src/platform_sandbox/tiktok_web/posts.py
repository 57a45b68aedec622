"""What a registered post is built from: the fields a test gives (``PostFields``) and how the
sandbox turns them into TikTok's records (author ids from the name, music, the caption with
its hashtags, the size of each slide's image)."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypedDict

from PIL import Image, UnidentifiedImageError

from platform_sandbox.common import SandboxError
from platform_sandbox.tiktok_web.records import HASHTAG, SandboxAuthor, SandboxMusic

_AUTHOR_NAME = re.compile(r"[A-Za-z0-9_.]{1,24}")


class PostFields(TypedDict, total=False):
    """The fields photo and video posts share (``TikTokWebSandbox.add_photo_post`` and
    ``add_video_post``); every one may be left out."""

    post_id: str | None  # digits; a new id when None
    author: str | SandboxAuthor  # a user name (ids derived from it), default "creator"
    nickname: str | None  # default: the name in title case
    caption: str
    hashtags: Iterable[str]  # appended to the caption unless it has them already
    music: SandboxMusic | dict[str, Any] | None  # {id?, title, author, original, duration}
    status: str  # one of POST_STATUSES, default "public"
    viewers: Iterable[str]  # sessionids that may see a private post
    created_at: datetime | None  # when it was posted (``createTime``); default: now


def author_named(author: str | SandboxAuthor, nickname: str | None) -> SandboxAuthor:
    """The author of that user name, with stable ids derived from it."""
    if isinstance(author, SandboxAuthor):
        return author
    if not _AUTHOR_NAME.fullmatch(author):
        raise SandboxError("author must be 1-24 letters, digits, '_' or '.'")
    digest = hashlib.sha256(author.encode()).hexdigest()
    return SandboxAuthor(
        unique_id=author,
        nickname=nickname or author.replace("_", " ").title(),
        id=str(int(digest[:15], 16)),
        sec_uid="MS4wLjABAAAA" + digest[:40],
    )


def music_from(music: SandboxMusic | dict[str, Any] | None) -> SandboxMusic | None:
    if music is None or isinstance(music, SandboxMusic):
        return music
    try:
        return SandboxMusic(
            id=str(music.get("id") or secrets.randbelow(10**18)),
            title=str(music["title"]),
            author=str(music.get("author", "")),
            original=bool(music.get("original", False)),
            duration=int(music.get("duration", 60)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SandboxError(f"music needs at least a title ({exc})") from None


def desc_with_hashtags(caption: str, hashtags: Iterable[str]) -> str:
    """The caption with each hashtag it does not already hold appended (``#tag``)."""
    desc = caption
    present = {m.group(1).casefold() for m in HASHTAG.finditer(caption)}
    for tag in hashtags:
        tag = tag.lstrip("#")
        if tag and tag.casefold() not in present:
            desc = f"{desc} #{tag}" if desc else f"#{tag}"
            present.add(tag.casefold())
    return desc


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a slide's image (HEIF read from its ``ispe`` box); 1080×1440 for
    bytes that are no image (served as they are, on purpose)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        pass
    index = data.find(b"ispe", 0, 1 << 16)  # HEIF: image spatial extents box
    if index >= 4 and index + 16 <= len(data):
        width = int.from_bytes(data[index + 8 : index + 12], "big")
        height = int.from_bytes(data[index + 12 : index + 16], "big")
        if width > 0 and height > 0:
            return width, height
    return 1080, 1440
