"""Instagram's rules (``docs/platforms.md``, "Instagram"): what it accepts, its caption rules
(≤ 2,200 characters, ≤ 30 hashtags, ≤ 20 @mentions), what it refuses in the media, its
variants, pacing and settings."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from slideforge.config import Settings
from slideforge.publishing.platforms.base import (
    PlatformRules,
    PostCheck,
    QueueLimit,
    Setup,
    refuse_avi,
)
from slideforge.publishing.platforms.instagram.media import instagram_size, instagram_variants
from slideforge.publishing.platforms.text import CAPTION_MAX
from slideforge.publishing.platforms.variants import MediaItem, invalid

if TYPE_CHECKING:
    from slideforge.runtime import Runtime

HASHTAGS_MAX = 30
MENTIONS_MAX = 20
CAROUSEL_MAX = 10
HASHTAG_RE = re.compile(r"(?<![\w#])#\w+")
MENTION_RE = re.compile(r"(?<![\w@])@[\w.]+")


def caption_problems(caption: str) -> list[str]:
    """What Instagram would refuse in a caption, in words (empty when it is fine)."""
    problems = []
    if len(caption) > CAPTION_MAX:
        problems.append(
            f"the caption is {len(caption)} characters; Instagram takes at most {CAPTION_MAX}"
        )
    tags = len(HASHTAG_RE.findall(caption))
    if tags > HASHTAGS_MAX:
        problems.append(
            f"the caption has {tags} hashtags; Instagram takes at most {HASHTAGS_MAX} "
            f"(remove {tags - HASHTAGS_MAX})"
        )
    mentions = len(MENTION_RE.findall(caption))
    if mentions > MENTIONS_MAX:
        problems.append(
            f"the caption has {mentions} @mentions; Instagram takes at most {MENTIONS_MAX} "
            f"(remove {mentions - MENTIONS_MAX})"
        )
    return problems


class InstagramRules(PlatformRules):
    name = "instagram"
    title = "Instagram"
    capabilities: ClassVar[dict[str, Any]] = {
        "supported_content_kinds": ["slideshow", "video", "image"],
        "caption_limit": CAPTION_MAX,
        "media": {
            "slideshow": {
                # 1 image: a single image post; 2–10: a carousel
                "min_items": 1,
                "max_items": CAROUSEL_MAX,
                "formats": ["jpeg"],
                "max_bytes": 8 * 1024 * 1024,
                "aspect": "4:5 to 1.91:1 (other images are padded or cropped)",
            },
            "video": {"formats": ["mp4", "mov"], "max_bytes": 300 * 1024 * 1024, "as": "reel"},
        },
        "caption": {"max_hashtags": HASHTAGS_MAX, "max_mentions": MENTIONS_MAX},
        "unsupported": {"music_selection": "The Graph API cannot attach licensed music."},
        "settings_schema": {"account": {"instagram_share_to_feed": "boolean (Reels)"}},
    }
    default_policy: ClassVar[dict[str, Any]] = {
        "min_gap_minutes": 30,
        "max_posts_per_24h": 50,
        "allowed_hours": None,
        "timezone": "UTC",
    }
    policy_ceiling = 100
    queue_limit = QueueLimit(25, 3600.0)
    credential_settings = ("instagram_client_id", "instagram_client_secret")
    credentials_hint = (
        "the Instagram app id and secret for Instagram Login, or the Meta app id and secret "
        "with SLIDEFORGE_INSTAGRAM_LOGIN=facebook"
    )
    account_settings = ("instagram_share_to_feed",)

    def apply_account_settings(self, settings: dict[str, Any], changes: Mapping[str, Any]) -> None:
        """Whether Reels also appear in the feed."""
        if "instagram_share_to_feed" in changes:
            if changes["instagram_share_to_feed"] is None:
                settings.pop("share_to_feed", None)
            else:
                settings["share_to_feed"] = changes["instagram_share_to_feed"]

    def setup(self, settings: Settings) -> Setup:
        if settings.instagram_login == "facebook":
            return Setup(
                "Instagram (Facebook Login)",
                "Meta App Dashboard → Facebook Login for Business → Settings → Valid OAuth "
                "Redirect URIs",
                settings.facebook_scopes,
                "facebook_graph_url",
                "graph.facebook.com",
            )
        return Setup(
            "Instagram (Instagram Login)",
            "Meta App Dashboard → Instagram → API setup with Instagram login → Set up "
            "Instagram business login → OAuth redirect URIs",
            settings.instagram_scopes,
            "instagram_graph_url",
            "graph.instagram.com",
        )

    def check_caption(self, post: PostCheck) -> None:
        problems = caption_problems(post.caption)
        if problems:
            raise invalid("caption", "; ".join(problems))

    def check_ingested(
        self, items: list[MediaItem], kind: str, options: Mapping[str, Any] | None
    ) -> None:
        if kind == "video" and items:
            refuse_avi(self.title, items[0])

    def image_variants(
        self, runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]
    ) -> list[str]:
        return instagram_variants(runtime, post_id, items)

    def variant_shape(self, items: list[MediaItem]) -> tuple[tuple[int, int], str] | None:
        return (
            instagram_size(items),
            "Instagram shows images between 4:5 and 1.91:1 and gives every carousel item the "
            "first one's shape",
        )


RULES = InstagramRules()
