"""Pinterest's rules (``docs/platforms.md``, "Pinterest"): what it accepts, the pin
description (the caption, then ``pinterest.tags`` as hashtags: API v5 has no tags field;
≤ 800 characters), the link and board checks, what it refuses in a video, its variants,
pacing and settings."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from slideforge.config import Settings
from slideforge.publishing.platforms.base import (
    PlatformRules,
    PostCheck,
    QueueLimit,
    Setup,
    refuse_avi,
)
from slideforge.publishing.platforms.pinterest.media import (
    VIDEO_ASPECT,
    pinterest_size,
    pinterest_variants,
)
from slideforge.publishing.platforms.variants import MediaItem, invalid

if TYPE_CHECKING:
    from slideforge.runtime import Runtime

DESCRIPTION_MAX = 800
CAROUSEL_MAX = 5


def hashtag(tag: str) -> str:
    """``"#" + the tag`` without spaces or leading ``#`` ("" when nothing is left)."""
    word = re.sub(r"\s+", "", tag).lstrip("#")
    return f"#{word}" if word else ""


def pin_description(caption: str, tags: list[str] | None) -> str:
    """The pin's description: the caption, then the tags as hashtags."""
    words: list[str] = []
    for tag in tags or []:
        word = hashtag(tag)
        if word and word.lower() not in (w.lower() for w in words):
            words.append(word)
    if not words:
        return caption
    return f"{caption}\n\n{' '.join(words)}" if caption else " ".join(words)


class PinterestRules(PlatformRules):
    name = "pinterest"
    title = "Pinterest"
    capabilities: ClassVar[dict[str, Any]] = {
        "supported_content_kinds": ["slideshow", "image", "video"],
        "caption_limit": DESCRIPTION_MAX,
        "media": {
            "slideshow": {
                # 1 image: an image pin; 2–5: a carousel pin
                "min_items": 1,
                "max_items": CAROUSEL_MAX,
                "formats": ["jpeg", "png"],
                "same_dimensions": True,
            },
            "video": {"formats": ["mp4", "mov", "m4v"], "max_bytes": 2 * 1024**3},
        },
        "unsupported": {"music_selection": "Pinterest pins carry no music."},
        "settings_schema": {
            "board_id": "numeric string (default: the account's default board)",
            "title": "≤ 100",
            "link": "http(s) URL",
            "tags": "≤ 30, appended to the description as hashtags (API v5 has no tags)",
            "account": {"pinterest_board_id": "the default board"},
        },
    }
    default_policy: ClassVar[dict[str, Any]] = {
        "min_gap_minutes": 10,
        "max_posts_per_24h": 100,
        "allowed_hours": None,
        "timezone": "UTC",
    }
    policy_ceiling = 1000
    queue_limit = QueueLimit(10, 60.0)
    option_field = "pinterest"
    options_need = "any"
    credential_settings = ("pinterest_client_id", "pinterest_client_secret")
    credentials_hint = "an app from developers.pinterest.com"
    account_settings = ("pinterest_board_id",)

    def setup(self, settings: Settings) -> Setup:
        return Setup(
            "Pinterest",
            "developers.pinterest.com → My apps → your app → Redirect URIs; with Trial access "
            "pins are visible only to you until Standard access is granted",
            settings.pinterest_scopes,
            "pinterest_api_base_url",
            "api.pinterest.com",
        )

    def apply_account_settings(self, settings: dict[str, Any], changes: Mapping[str, Any]) -> None:
        """The default board (its name too, when the account's boards list it)."""
        if "pinterest_board_id" in changes:
            board = changes["pinterest_board_id"]
            settings.pop("default_board_name", None)
            if board is None:
                settings.pop("default_board_id", None)
            else:
                settings["default_board_id"] = board
                known = {b.get("id"): b.get("name") for b in settings.get("boards") or []}
                if board in known:
                    settings["default_board_name"] = known[board]

    def check_caption(self, post: PostCheck) -> None:
        """The description (tags become hashtags), the link, and a board for every
        Pinterest account."""
        pin = post.options.get(self.name) or {}
        tags = pin.get("tags")
        description = pin_description(post.caption, tags)
        if len(description) > DESCRIPTION_MAX:
            raise invalid(
                "pinterest.tags" if tags else "caption",
                f"the Pinterest description (the caption, then pinterest.tags as hashtags) would "
                f"be {len(description)} characters; Pinterest takes at most {DESCRIPTION_MAX}: "
                "shorten the caption or send fewer tags",
            )
        if tags:
            post.warn(
                "pinterest.tags",
                "Pinterest's API has no tags field: the tags are added to the end of the pin "
                "description as hashtags",
                "PINTEREST_TAGS_AS_HASHTAGS",
            )
        link, board = pin.get("link"), pin.get("board_id")
        if link and urlsplit(link).scheme not in ("http", "https"):
            raise invalid(
                "pinterest.link", "must be an http(s) URL, e.g. https://example.com/product"
            )
        if board and not board.strip().isdigit():
            raise invalid(
                "pinterest.board_id",
                "must be a Pinterest board id (digits; the account's boards are in GET "
                "/accounts/{id} settings.boards)",
            )
        for account in post.accounts:
            if account.platform != self.name or board:
                continue
            if not (account.settings or {}).get("default_board_id"):
                raise invalid(
                    "pinterest.board_id",
                    f"@{account.username} has no default board: send pinterest.board_id, or "
                    f"set one with PATCH /accounts/{account.id} settings.pinterest_board_id",
                )

    def check_ingested(
        self, items: list[MediaItem], kind: str, options: Mapping[str, Any] | None
    ) -> None:
        if kind != "video" or not items:
            return
        video = items[0]
        refuse_avi(self.title, video)
        if video.width and video.height:
            low, high = VIDEO_ASPECT
            if not low - 0.005 <= video.width / video.height <= high + 0.005:
                raise invalid(
                    "media.url",
                    f"the video is {video.width}x{video.height}; Pinterest takes videos between "
                    "1:2 and 1.91:1",
                )

    def image_variants(
        self, runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]
    ) -> list[str]:
        return pinterest_variants(runtime, post_id, items)

    def variant_shape(self, items: list[MediaItem]) -> tuple[tuple[int, int], str] | None:
        if len(items) < 2:
            return None
        return pinterest_size(items), "Pinterest carousels take images of one size"


RULES = PinterestRules()
