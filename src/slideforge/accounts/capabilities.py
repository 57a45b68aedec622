"""What each platform accepts, and the default posting policy of its accounts
(facts from ``docs/platforms.md``)."""

from __future__ import annotations

from typing import Any

PLATFORMS = ("tiktok", "instagram", "pinterest")

CAPABILITIES: dict[str, dict[str, Any]] = {
    "tiktok": {
        "supported_content_kinds": ["slideshow", "video"],
        "caption_limit": 2200,
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
            "post_mode": ["DIRECT_POST", "MEDIA_UPLOAD"],
            "privacy_level": [
                "PUBLIC_TO_EVERYONE",
                "MUTUAL_FOLLOW_FRIENDS",
                "FOLLOWER_OF_CREATOR",
                "SELF_ONLY",
            ],
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
    },
    "instagram": {
        "supported_content_kinds": ["slideshow", "video", "image"],
        "caption_limit": 2200,
        "media": {
            "slideshow": {
                # 1 image: a single image post; 2–10: a carousel
                "min_items": 1,
                "max_items": 10,
                "formats": ["jpeg"],
                "max_bytes": 8 * 1024 * 1024,
                "aspect": "4:5 to 1.91:1 (other images are padded or cropped)",
            },
            "video": {"formats": ["mp4", "mov"], "max_bytes": 300 * 1024 * 1024, "as": "reel"},
        },
        "caption": {"max_hashtags": 30, "max_mentions": 20},
        "unsupported": {"music_selection": "The Graph API cannot attach licensed music."},
        "settings_schema": {"account": {"instagram_share_to_feed": "boolean (Reels)"}},
    },
    "pinterest": {
        "supported_content_kinds": ["slideshow", "image", "video"],
        "caption_limit": 800,
        "media": {
            "slideshow": {
                # 1 image: an image pin; 2–5: a carousel pin
                "min_items": 1,
                "max_items": 5,
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
    },
}

# Per-account pacing defaults; an account's own policy overrides them field by field.
DEFAULT_POLICY: dict[str, dict[str, Any]] = {
    "tiktok": {
        "min_gap_minutes": 30,
        "max_posts_per_24h": 15,
        "allowed_hours": None,
        "timezone": "UTC",
        "max_drafts_per_24h": 5,
    },
    "instagram": {
        "min_gap_minutes": 30,
        "max_posts_per_24h": 50,
        "allowed_hours": None,
        "timezone": "UTC",
    },
    "pinterest": {
        "min_gap_minutes": 10,
        "max_posts_per_24h": 100,
        "allowed_hours": None,
        "timezone": "UTC",
    },
}
# Hard ceilings a policy may not exceed (the platforms' own caps).
POLICY_CEILINGS = {"tiktok": 15, "instagram": 100, "pinterest": 1000}


def effective_policy(platform: str, policy: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULT_POLICY.get(platform, DEFAULT_POLICY["tiktok"]))
    merged.update(
        {k: v for k, v in (policy or {}).items() if v is not None or k == "allowed_hours"}
    )
    return merged
