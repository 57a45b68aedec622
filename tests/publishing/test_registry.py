"""The platform registry and the rules it hands out (``publishing/platforms/registry.py``):
what the posts, accounts and publishing code learn from it instead of naming a platform."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from slideforge.accounts import capabilities
from slideforge.accounts.schemas import AccountSettingsUpdate
from slideforge.config import Settings
from slideforge.kit.errors import ApiError
from slideforge.publishing import workflows
from slideforge.publishing.platforms import registry
from slideforge.publishing.platforms.base import (
    PlatformConfigError,
    PlatformRules,
    PostCheck,
    QueueLimit,
    Setup,
)
from slideforge.publishing.platforms.text import utf16_len, utf16_truncate

SLIDES = {"type": "slideshow", "urls": ["https://example.com/1.jpg"]}


def check(platforms: set[str], caption: str = "hi", **fields: Any) -> PostCheck:
    post = PostCheck(
        caption=caption,
        media=fields.pop("media", SLIDES),
        platforms=frozenset(platforms),
        options=fields.pop("options", {}),
        **fields,
    )
    registry.check_post(post)
    return post


def field_of(error: ApiError) -> str:
    assert error.data is not None
    return str(error.data["errors"][0]["field"])


def test_every_platform_is_listed_once_with_its_facts() -> None:
    assert registry.names() == ("tiktok", "instagram", "pinterest")
    assert registry.names() == capabilities.PLATFORMS
    assert capabilities.CAPABILITIES["pinterest"]["caption_limit"] == 800
    assert capabilities.POLICY_CEILINGS == {"tiktok": 15, "instagram": 100, "pinterest": 1000}
    assert registry.option_fields() == ("tiktok", "pinterest")
    with pytest.raises(PlatformConfigError, match="not available in this build"):
        registry.get_platform("mastodon", Settings())
    with pytest.raises(PlatformConfigError, match="SLIDEFORGE_PINTEREST_CLIENT_ID and"):
        registry.get_platform("pinterest", Settings())


def test_each_publish_queue_has_its_platforms_limit() -> None:
    options = workflows.queue_options()
    assert set(workflows.QUEUES) == set(registry.names())
    assert options["publish-tiktok"]["partition_limiter"] == {"limit": 6, "period": 60.0}
    assert options["publish-instagram"]["partition_limiter"] == {"limit": 25, "period": 3600.0}
    assert options["publish-pinterest"]["partition_limiter"] == {"limit": 10, "period": 60.0}


def test_each_account_setting_of_patch_accounts_belongs_to_one_platform() -> None:
    for field in AccountSettingsUpdate.model_fields:
        owners = [
            name for name in registry.names() if field in registry.rules(name).account_settings
        ]
        assert owners == [registry.account_setting_platform(field)], field
    settings: dict[str, Any] = {"boards": [{"id": "42", "name": "Ideas"}], "share_to_feed": False}
    registry.rules("pinterest").apply_account_settings(settings, {"pinterest_board_id": "42"})
    registry.rules("instagram").apply_account_settings(settings, {"instagram_share_to_feed": None})
    assert settings == {
        "boards": [{"id": "42", "name": "Ideas"}],
        "default_board_id": "42",
        "default_board_name": "Ideas",
    }


def test_tiktok_counts_utf16_units_and_the_others_characters() -> None:
    emoji = "\N{GRINNING FACE}"
    assert utf16_len(emoji * 3) == 6
    assert utf16_truncate("ab" + emoji, 3) == "ab"  # never half a surrogate pair
    check({"tiktok", "instagram"}, emoji * 1100)  # 2,200 units, 1,100 characters
    with pytest.raises(ApiError, match="tiktok captions hold at most 2200 characters; this one"):
        check({"tiktok"}, emoji * 1101)
    check({"instagram"}, emoji * 1101)
    with pytest.raises(ApiError, match="instagram captions hold at most 2200 characters; this"):
        check({"instagram"}, "x" * 2201)
    with pytest.raises(ApiError, match="31 hashtags; Instagram takes at most 30"):
        check({"instagram"}, " ".join(f"#t{i}" for i in range(31)))


def test_option_objects_need_their_platform_and_come_alone() -> None:
    with pytest.raises(ApiError) as caught:
        check({"tiktok", "instagram"}, options={"tiktok": {}})
    assert "every target account to be a TikTok account" in caught.value.message
    assert field_of(caught.value) == "tiktok"
    with pytest.raises(ApiError, match="at least one Pinterest account"):
        check({"instagram"}, options={"pinterest": {}})
    with pytest.raises(ApiError, match="send tiktok or pinterest settings, not both"):
        check(set(), options={"tiktok": {}, "pinterest": {}})
    with pytest.raises(ApiError, match="MEDIA_UPLOAD is only for slideshows"):
        video = {"type": "video", "url": "https://example.com/v.mp4"}
        check({"tiktok"}, media=video, options={"tiktok": {"post_mode": "MEDIA_UPLOAD"}})


def test_music_is_read_by_tiktok_and_said_ignored_elsewhere() -> None:
    post = check(
        {"tiktok", "pinterest"},
        options={},
        music_url=" https://www.tiktok.com/music/song-7301 ",
        accounts=(),
    )
    assert post.music_url == "https://www.tiktok.com/music/song-7301"
    assert post.music_post_id == "7301"
    codes = [code for _, _, code in post.warnings]
    assert codes == ["TIKTOK_PRIVACY_DEFAULT", "MUSIC_IGNORED", "MUSIC_NOT_ATTACHED"]
    with pytest.raises(ApiError) as caught:
        check({"instagram"}, music_url="https://example.com/song")
    assert caught.value.error_code == "invalid_music_url"


def test_drafts_come_from_the_options_of_the_platform_that_takes_them() -> None:
    assert registry.is_draft({"tiktok": {"post_mode": "MEDIA_UPLOAD"}})
    assert not registry.is_draft({"tiktok": {"post_mode": "DIRECT_POST"}, "pinterest": None})
    assert [n for n in registry.names() if registry.rules(n).takes_drafts] == ["tiktok"]


class _Bluesky(PlatformRules):
    """A platform added by one registry line: no option object, no own rules."""

    name = "bluesky"
    title = "Bluesky"
    capabilities: ClassVar[dict[str, Any]] = {
        "supported_content_kinds": ["slideshow"],
        "caption_limit": 300,
        "media": {"slideshow": {"min_items": 1, "max_items": 4}},
    }
    default_policy: ClassVar[dict[str, Any]] = {"min_gap_minutes": 5}
    policy_ceiling = 50
    queue_limit = QueueLimit(10, 60.0)

    def setup(self, settings: Settings) -> Setup:
        return Setup("Bluesky", "bsky.app", "", "bluesky_api_base_url", "bsky.social")


def test_a_registered_platform_is_checked_like_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(registry.PLATFORMS, "bluesky", _Bluesky())
    check({"bluesky"}, "x" * 300)
    with pytest.raises(ApiError, match="bluesky captions hold at most 300"):
        check({"bluesky"}, "x" * 301)
    with pytest.raises(ApiError, match="bluesky takes at most 4 images"):
        check({"bluesky"}, media={"type": "slideshow", "urls": ["u"] * 5})
    with pytest.raises(ApiError, match="bluesky accounts cannot post a video"):
        check({"bluesky"}, media={"type": "video", "url": "https://example.com/v.mp4"})
