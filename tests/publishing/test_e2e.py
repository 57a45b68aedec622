"""The issue's end-to-end test: one post to a TikTok, an Instagram and a Pinterest account at
once, through HTTP against the three sandboxes on loopback; then the characteristic failures
of each platform end as clear ``partial`` / ``failed`` states."""

from __future__ import annotations

from typing import Any

from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, ok
from tests.posts.test_publish import slides, wait_post
from tests.publishing.test_pinterest import unreachable_media
from tests.sandboxes import InstagramEnv, PinterestEnv, TikTokEnv


def by_platform(post: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["platform"]: s for s in post["accounts"]["states"]}


def create(api: ApiClient, accounts: list[str], urls: list[str], caption: str) -> str:
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": caption,
                "media": {"type": "slideshow", "urls": urls},
                "accounts": [{"id": a} for a in accounts],
            },
        ),
        201,
    )
    return str(created["id"])


def test_one_post_to_tiktok_instagram_and_pinterest(
    api: ApiClient,
    tiktok: TikTokEnv,
    instagram: InstagramEnv,
    pinterest: PinterestEnv,
    web: Web,
) -> None:
    accounts = [tiktok.connect(api), instagram.connect(api), pinterest.connect(api)]
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": "Three looks for the weekend #style",
                "media": {"type": "slideshow", "urls": slides(web, 3)},
                "accounts": [{"id": a} for a in accounts],
                "pinterest": {"title": "Weekend looks", "tags": ["style"]},
                "external_id": "weekend-e2e",
            },
        ),
        201,
    )
    codes = {w["code"] for w in created["warnings"]}
    assert {"INSTAGRAM_PADDED", "PINTEREST_TAGS_AS_HASHTAGS", "TIKTOK_PRIVACY_DEFAULT"} <= codes
    post = wait_post(api, created["id"], timeout=60)
    assert post["status"] == "posted", post["accounts"]
    states = by_platform(post)
    assert states["tiktok"]["published_url"].startswith("https://www.tiktok.com/@")
    assert states["instagram"]["published_url"].startswith("https://www.instagram.com/p/")
    assert states["pinterest"]["published_url"].startswith("https://www.pinterest.com/pin/")
    assert all(s["status"] == "posted" and s["attempt"] == 1 for s in states.values())
    # Exactly one post on each platform.
    assert len(tiktok.sandbox.posts(open_id=tiktok.open_id(accounts[0]))) == 1
    assert len(instagram.sandbox.media(ig_user_id=instagram.ig_user_id(accounts[1]))) == 1
    assert len(pinterest.pins(accounts[2])) == 1
    # The same request again is the same post.
    again = api.post(
        "/posts",
        json={
            "caption": "Three looks for the weekend #style",
            "media": {"type": "slideshow", "urls": ["https://e.example/x.jpg"]},
            "accounts": [{"id": a} for a in accounts],
            "external_id": "weekend-e2e",
        },
    )
    assert again.status_code == 409  # a different body under the same external_id


def test_characteristic_failures_end_as_clear_states(
    api: ApiClient,
    tiktok: TikTokEnv,
    instagram: InstagramEnv,
    pinterest: PinterestEnv,
    web: Web,
    runtime: Runtime,
) -> None:
    tt, ig, pin = tiktok.connect(api), instagram.connect(api), pinterest.connect(api)
    # TikTok's daily cap used up by posts made elsewhere; Instagram's quota used up.
    tiktok.sandbox.record_external_posts(tiktok.open_id(tt), 15)
    instagram.sandbox.exhaust_quota(instagram.ig_user_id(ig))
    capped = wait_post(api, create(api, [tt, ig, pin], slides(web, 2), "capped"), timeout=60)
    assert capped["status"] == "partial", capped["accounts"]
    states = by_platform(capped)
    assert states["tiktok"]["status"] == "failed"
    assert states["tiktok"]["error_code"] == "spam_risk_too_many_posts"
    assert "daily post cap" in states["tiktok"]["error_message"]
    assert states["instagram"]["status"] == "failed"
    assert states["instagram"]["error_code"] == "quota_exhausted"
    assert "publishing limit" in states["instagram"]["error_message"]
    assert states["pinterest"]["status"] == "posted"

    # An Instagram container that ends ERROR beside a TikTok post that goes through.
    tt2, ig2 = tiktok.connect(api), instagram.connect(api)
    instagram.sandbox.add_failure(
        kind="container_error",
        media_kind="image",
        ig_user_id=instagram.ig_user_id(ig2),
        status_text="Error: Media upload has failed with error code 2207005",
    )
    broken = wait_post(api, create(api, [tt2, ig2], slides(web, 1), "broken"), timeout=60)
    assert broken["status"] == "partial", broken["accounts"]
    states = by_platform(broken)
    assert states["tiktok"]["status"] == "posted"
    assert states["instagram"]["status"] == "failed"
    assert states["instagram"]["error_code"] == "image_format"
    assert "JPEG" in states["instagram"]["error_message"]

    # Media nobody can reach: every platform refuses, each in its own words.
    pin2, ig3 = pinterest.connect(api), instagram.connect(api)
    with unreachable_media(runtime):
        post_id = create(api, [pin2, ig3], slides(web, 1), "unreachable")
    lost = wait_post(api, post_id, timeout=60)
    assert lost["status"] == "failed", lost["accounts"]
    states = by_platform(lost)
    assert states["pinterest"]["error_code"] == "media_unreachable"
    assert "could not download the image" in states["pinterest"]["error_message"]
    assert states["instagram"]["error_code"] == "media_fetch_failed"
    assert "SLIDEFORGE_MEDIA_BASE_URL" in states["instagram"]["error_message"]
    assert pinterest.pins(pin2) == []
    assert instagram.sandbox.media(ig_user_id=instagram.ig_user_id(ig3)) == []
