"""TikTok's rules (``docs/platforms.md``, "TikTok"): what it accepts, its caption counting
(UTF-16 code units), the checks of a post, the music fields, its variants, pacing and
settings."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from slideforge.config import Settings
from slideforge.kit.errors import ApiError
from slideforge.publishing.platforms.base import (
    PlatformRules,
    PostCheck,
    QueueLimit,
    Setup,
)
from slideforge.publishing.platforms.text import CAPTION_MAX, utf16_len
from slideforge.publishing.platforms.tiktok.media import tiktok_variants
from slideforge.publishing.platforms.variants import MediaItem, check_cover, invalid

if TYPE_CHECKING:
    from slideforge.runtime import Runtime

PHOTO_TITLE_MAX = 90
PHOTO_DESCRIPTION_MAX = 4000
VIDEO_TITLE_MAX = CAPTION_MAX
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
# The post mode that delivers to the creator's inbox as a draft.
INBOX = "MEDIA_UPLOAD"


def music_post_id(url: str) -> str | None:
    """The TikTok post (or sound) id in a music URL, if it carries one."""
    path = urlsplit(url).path.rstrip("/")
    tail = path.rsplit("/", 1)[-1].rsplit("-", 1)[-1]
    return tail if tail.isdigit() else None


def check_music_url(url: str) -> str:
    text = url.strip()
    parsed = urlsplit(text)
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in ("http", "https") or not (
        host == "tiktok.com" or host.endswith(".tiktok.com")
    ):
        raise ApiError(
            "invalid_music_url",
            "music_url must be a TikTok URL (https://www.tiktok.com/@user/video/<id>, or a "
            "/music/ page)",
            400,
        )
    return text


class TikTokRules(PlatformRules):
    name = "tiktok"
    title = "TikTok"
    capabilities: ClassVar[dict[str, Any]] = {
        "supported_content_kinds": ["slideshow", "video"],
        "caption_limit": CAPTION_MAX,
        "media": {
            "slideshow": {
                "min_items": 1,
                "max_items": 35,
                "formats": ["jpeg", "webp"],
                "max_short_side_px": 1080,
                "max_bytes": 20 * 1024 * 1024,
            },
            "video": {"formats": ["mp4", "mov", "webm"], "max_bytes": 4 * 1024**3},
        },
        "unsupported": {
            "music_selection": "TikTok's Content Posting API cannot attach a chosen sound; "
            "only auto_add_music (TikTok picks the music) for photo posts.",
        },
        "settings_schema": {
            "post_mode": ["DIRECT_POST", INBOX],
            "privacy_level": list(PRIVACY_LEVELS),
            "booleans": [
                "disable_comment",
                "disable_duet",
                "disable_stitch",
                "auto_add_music",
                "is_commercial",
                "is_branded_content",
                "user_consent",
                "is_your_brand",
            ],
        },
    }
    default_policy: ClassVar[dict[str, Any]] = {
        "min_gap_minutes": 30,
        "max_posts_per_24h": 15,
        "allowed_hours": None,
        "timezone": "UTC",
        "max_drafts_per_24h": 5,
    }
    policy_ceiling = 15
    queue_limit = QueueLimit(6, 60.0)
    option_field = "tiktok"
    options_need = "every"
    takes_drafts = True
    credential_settings = ("tiktok_client_key", "tiktok_client_secret")
    credentials_hint = "an app from TikTok's developer portal"

    def setup(self, settings: Settings) -> Setup:
        return Setup(
            "TikTok",
            "developers.tiktok.com → your app → Login Kit → Redirect URI",
            settings.tiktok_scopes,
            "tiktok_api_base_url",
            "open.tiktokapis.com",
        )

    def caption_length(self, caption: str) -> int:
        """TikTok counts UTF-16 code units (an emoji is 2)."""
        return utf16_len(caption)

    def is_draft(self, options: Mapping[str, Any] | None) -> bool:
        return bool(options and options.get("post_mode") == INBOX)

    def check_options(self, post: PostCheck, options: Mapping[str, Any]) -> None:
        if options.get("post_mode") == INBOX and post.kind != "slideshow":
            raise invalid(
                "tiktok.post_mode", "post_mode MEDIA_UPLOAD is only for slideshows (photo posts)"
            )
        title = options.get("title") or ""
        if post.kind == "slideshow" and utf16_len(title) > PHOTO_TITLE_MAX:
            post.warn(
                "tiktok.title",
                f"TikTok photo titles hold {PHOTO_TITLE_MAX} characters; the title will be cut "
                "there",
                "TITLE_TRUNCATED",
            )

    def check_media_request(self, post: PostCheck) -> None:
        if post.kind == "video" and str(post.media["url"]).lower().split("?")[0].endswith(".avi"):
            raise invalid("media.url", "TikTok does not accept AVI videos; send MP4 or MOV")

    def check_ingested(
        self, items: list[MediaItem], kind: str, options: Mapping[str, Any] | None
    ) -> None:
        """``tiktok.video_cover_timestamp_ms`` against the stored video's duration (the
        media's own ``cover_timestamp_ms`` is checked when the video is ingested)."""
        if kind == "video" and items and options:
            check_cover(
                items[0].duration,
                "tiktok.video_cover_timestamp_ms",
                options.get("video_cover_timestamp_ms"),
            )

    def check_target(self, post: PostCheck) -> None:
        options = post.options.get(self.name) or {}
        if options.get("privacy_level") is None and options.get("post_mode") != INBOX:
            post.warn(
                "tiktok.privacy_level",
                "no privacy level given: the post goes out with the most public level the "
                "creator's account allows",
                "TIKTOK_PRIVACY_DEFAULT",
            )

    def check_shared_fields(self, post: PostCheck) -> None:
        """``music_url`` (a TikTok URL) and ``music_post_id``: read, and what becomes of them
        (TikTok's API cannot attach a chosen sound; other platforms take no music)."""
        if post.music_url:
            post.music_url = check_music_url(post.music_url)
            post.music_post_id = post.music_post_id or music_post_id(post.music_url)
        if not (post.music_url or post.music_post_id):
            return
        others = sorted(post.platforms - {self.name})
        if others:
            post.warn(
                "music_url", f"music is ignored for {', '.join(others)} accounts", "MUSIC_IGNORED"
            )
        if self.name not in post.platforms:
            return
        if self.is_draft(post.options.get(self.name)):
            post.warn(
                "music_url",
                "TikTok's Content Posting API cannot attach a chosen sound: the post is "
                "delivered as a draft to the TikTok inbox without it; add the sound in the "
                "app before publishing",
                "MUSIC_ADD_IN_APP",
            )
        else:
            post.warn(
                "music_url",
                "TikTok's Content Posting API cannot attach a chosen sound: the post will be "
                "published without it (auto_add_music lets TikTok pick one; MEDIA_UPLOAD "
                "lets you add yours in the app)",
                "MUSIC_NOT_ATTACHED",
            )

    def image_variants(
        self, runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]
    ) -> list[str]:
        return tiktok_variants(runtime, post_id, items)


RULES = TikTokRules()
