"""Instagram publishing through HTTP against the Instagram sandbox on loopback: both login
models connected through the real OAuth flow, carousels, single images, Reels, the live
publishing quota, container errors, transient errors, ambiguous publishes, token refresh,
create-time refusals."""

from __future__ import annotations

import struct
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa

from slideforge.models import Account, PostTarget
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, image_bytes, mp4_bytes, ok
from tests.posts.test_publish import slides, wait_post
from tests.sandboxes import InstagramEnv, oauth_connect


def state(post: dict[str, Any]) -> dict[str, Any]:
    states: list[dict[str, Any]] = post["accounts"]["states"]
    return states[0]


def post_to(api: ApiClient, accounts: list[str], media: dict[str, Any], **extra: Any) -> str:
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": extra.pop("caption", f"Weekend looks #style {uuid.uuid4().hex[:6]}"),
                "media": media,
                "accounts": [{"id": a} for a in accounts],
                **extra,
            },
        ),
        201,
    )
    return str(created["id"])


def slideshow(web: Web, n: int = 3, size: tuple[int, int] = (1080, 1920)) -> dict[str, Any]:
    return {"type": "slideshow", "urls": slides(web, n, size)}


def token_of(runtime: Runtime, account_id: str) -> tuple[str, datetime | None]:
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account_id))
        assert row is not None and row.access_token_enc
        return runtime.secrets.decrypt(row.access_token_enc), row.access_token_expires_at


def test_instagram_login_carousel_padded_to_the_first_items_shape(
    api: ApiClient, instagram: InstagramEnv, web: Web, runtime: Runtime
) -> None:
    account = instagram.connect(api, "glow.looks")
    listed = ok(api.get(f"/accounts/{account}"))
    assert listed["platform"] == "instagram" and listed["username"] == "glow.looks"
    assert listed["settings"]["login"] == "instagram"
    expires = datetime.fromisoformat(listed["token_expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=59) < expires - datetime.now(UTC) < timedelta(days=61)  # long-lived
    # 9:16 slides: Instagram shows 4:5…1.91:1, so they are padded (the default) and say so.
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": "Three looks #style @friend",
                "media": slideshow(web, 3),
                "accounts": [{"id": account}],
            },
        ),
        201,
    )
    padded = [w for w in created["warnings"] if w["code"] == "INSTAGRAM_PADDED"]
    assert (
        padded and "1080x1350" in padded[0]["message"] and "slides 1, 2, 3" in padded[0]["message"]
    )
    post = wait_post(api, created["id"])
    assert post["status"] == "posted", state(post)
    ig_user = instagram.ig_user_id(account)
    media = instagram.sandbox.media(ig_user_id=ig_user)
    assert len(media) == 1 and media[0]["media_type"] == "CAROUSEL_ALBUM"
    assert len(media[0]["children"]) == 3 and media[0]["caption"] == "Three looks #style @friend"
    assert state(post)["published_url"] == media[0]["permalink"]
    assert state(post)["published_url"].startswith("https://www.instagram.com/p/")
    children = [
        c for c in instagram.sandbox.containers(ig_user_id=ig_user) if c["is_carousel_item"]
    ]
    assert len(children) == 3
    for child in children:  # every item JPEG, one size inside 4:5…1.91:1
        probe = child["media"][0]
        assert (probe["format"], probe["width"], probe["height"]) == ("jpeg", 1080, 1350)
        assert "/instagram/" in probe["url"]


def test_facebook_login_single_image_and_crop_setting(
    api: ApiClient, instagram: InstagramEnv, web: Web, runtime: Runtime, monkeypatch: Any
) -> None:
    account = instagram.connect(api, model="facebook")
    listed = ok(api.get(f"/accounts/{account}"))
    assert listed["settings"]["login"] == "facebook" and listed["settings"]["page_id"]
    # The Page token does not expire and there is no refresh grant.
    assert listed["token_expires_at"] is None and listed["refresh_expires_at"] is None
    monkeypatch.setattr(runtime.settings, "image_fit", "crop")
    wide = slides(web, 1, (2400, 1000))  # 2.4:1, wider than 1.91:1
    post_id = post_to(api, [account], {"type": "slideshow", "urls": wide})
    codes = {w["code"] for w in ok(api.get(f"/posts/{post_id}"))["warnings"]}
    assert "INSTAGRAM_CROPPED" in codes
    post = wait_post(api, post_id)
    assert post["status"] == "posted", state(post)
    media = instagram.sandbox.media(ig_user_id=instagram.ig_user_id(account))
    assert len(media) == 1 and media[0]["media_type"] == "IMAGE"
    assert state(post)["published_url"] == media[0]["permalink"]
    container = instagram.sandbox.containers(ig_user_id=instagram.ig_user_id(account))[0]
    probe = container["media"][0]
    assert (probe["width"], probe["height"]) == (1080, 566)  # 1.908:1, inside 1.91:1
    # Publishing went through graph.facebook.com's paths with the Page token.
    assert any(
        r["endpoint"] == "me_accounts"
        for r in instagram.sandbox.requests_log(endpoint="me_accounts")
    )


def test_reel_with_cover_time_and_share_to_feed_setting(
    api: ApiClient, instagram: InstagramEnv, web: Web
) -> None:
    account = instagram.connect(api)
    ok(api.patch(f"/accounts/{account}", json={"settings": {"instagram_share_to_feed": False}}))
    video = web.add(f"reel-{uuid.uuid4().hex}.mp4", mp4_bytes(21.0, 1080, 1920), "video/mp4")
    post_id = post_to(api, [account], {"type": "video", "url": video, "cover_timestamp_ms": 4500})
    post = wait_post(api, post_id)
    assert post["status"] == "posted", state(post)
    assert state(post)["published_url"].startswith("https://www.instagram.com/reel/")
    container = instagram.sandbox.containers(ig_user_id=instagram.ig_user_id(account))[0]
    assert container["media_type"] == "REELS"
    assert container["params"]["thumb_offset"] == "4500"
    assert container["params"]["share_to_feed"] == "false"
    media = instagram.sandbox.media(ig_user_id=instagram.ig_user_id(account))
    assert media[0]["media_product_type"] == "REELS"


def test_reel_with_a_cover_image(api: ApiClient, instagram: InstagramEnv, web: Web) -> None:
    account = instagram.connect(api)
    video = web.add(f"reel-{uuid.uuid4().hex}.mp4", mp4_bytes(20.0, 1080, 1920), "video/mp4")
    cover = web.add(f"cover-{uuid.uuid4().hex}.png", image_bytes((1080, 1920), "PNG"), "image/png")
    post_id = post_to(api, [account], {"type": "video", "url": video, "cover_url": cover})
    assert wait_post(api, post_id)["status"] == "posted"
    container = instagram.sandbox.containers(ig_user_id=instagram.ig_user_id(account))[0]
    assert container["params"]["cover_url"].endswith("/source/cover.jpg")  # ingested as JPEG
    assert container["params"]["share_to_feed"] == "true"
    assert [m["format"] for m in container["media"]] == ["mp4", "jpeg"]


def test_quota_exhausted_is_a_clear_failure(
    api: ApiClient, instagram: InstagramEnv, web: Web
) -> None:
    account = instagram.connect(api)
    ig_user = instagram.ig_user_id(account)
    instagram.sandbox.exhaust_quota(ig_user)
    post = wait_post(api, post_to(api, [account], slideshow(web, 2)))
    assert post["status"] == "failed"
    assert state(post)["error_code"] == "quota_exhausted" and state(post)["attempt"] == 1
    message = state(post)["error_message"]
    assert "100 of 100 posts in the last 24 hours" in message and "Nothing was published" in message
    assert instagram.sandbox.containers(ig_user_id=ig_user) == []  # read before any container


def test_container_error_fails_with_the_reason(
    api: ApiClient, instagram: InstagramEnv, web: Web
) -> None:
    account = instagram.connect(api)
    ig_user = instagram.ig_user_id(account)
    instagram.sandbox.add_failure(
        kind="container_error",
        media_kind="image",
        ig_user_id=ig_user,
        status_text="Error: Media download has failed. The media URI doesn't meet our "
        "requirements.",
    )
    post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    assert post["status"] == "failed"
    assert state(post)["error_code"] == "media_error"
    assert "media URI doesn't meet our requirements" in state(post)["error_message"]
    assert instagram.sandbox.media(ig_user_id=ig_user) == []


def test_retryable_container_error_is_recreated_on_a_new_attempt(
    api: ApiClient, instagram: InstagramEnv, web: Web, runtime: Runtime
) -> None:
    """2207053 (unknown upload error) means 'make a new container': attempt 2 keeps the
    finished children and re-creates only the failed one. Attempt 2 also forces a token
    refresh, which Instagram refuses for a token under 24 h old: the token is kept and the
    account stays active."""
    account = instagram.connect(api)
    token_before, _ = token_of(runtime, account)
    ig_user = instagram.ig_user_id(account)
    instagram.sandbox.add_failure(kind="container_error", media_kind="image", ig_user_id=ig_user)
    post = wait_post(api, post_to(api, [account], slideshow(web, 3)))
    assert post["status"] == "posted", state(post)
    assert state(post)["attempt"] == 2
    containers = instagram.sandbox.containers(ig_user_id=ig_user)
    assert sum(1 for c in containers if c["is_carousel_item"]) == 4  # 3 + the re-created one
    assert len(instagram.sandbox.media(ig_user_id=ig_user)) == 1
    refreshes = instagram.sandbox.requests_log(endpoint="ig_refresh_token", ig_user_id=ig_user)
    assert refreshes and refreshes[-1]["status"] == 400  # too young: refused, and harmless
    assert token_of(runtime, account)[0] == token_before
    assert ok(api.get(f"/accounts/{account}"))["status"] == "active"


def test_transient_errors_are_retried(api: ApiClient, instagram: InstagramEnv, web: Web) -> None:
    account = instagram.connect(api)
    ig_user = instagram.ig_user_id(account)
    for preset in ("server_error", "create_failed"):
        instagram.sandbox.add_failure(preset=preset, endpoint="media", ig_user_id=ig_user)
    post = wait_post(api, post_to(api, [account], slideshow(web, 2)))
    assert post["status"] == "posted", state(post)
    assert state(post)["attempt"] == 1  # retried inside the staging step
    failed = [
        r
        for r in instagram.sandbox.requests_log(endpoint="media", ig_user_id=ig_user)
        if r["status"] >= 500
    ]
    assert [r["error_subcode"] for r in failed] == [2207001, 2207032]


def test_throttling_waits_for_the_time_meta_gives(
    api: ApiClient, instagram: InstagramEnv, web: Web, runtime: Runtime
) -> None:
    account = instagram.connect(api)
    ig_user = instagram.ig_user_id(account)
    instagram.sandbox.add_failure(preset="throttle_buc", endpoint="media", ig_user_id=ig_user)
    post_id = post_to(api, [account], slideshow(web, 1))
    post = wait_post(api, post_id, statuses=("retry",))
    assert state(post)["error_code"] == "rate_limited" and "80002" in state(post)["error_message"]
    with runtime.db.session() as session:
        target = session.scalar(
            sa.select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))
        )
        assert target is not None
        wait = target.scheduled_for - runtime.clock.now()
        # X-Business-Use-Case-Usage: estimated_time_to_regain_access 60 minutes.
        assert timedelta(minutes=55) < wait <= timedelta(minutes=61)
    ok(api.post("/posts/delete", json={"postIds": [post_id]}))


def test_a_publish_that_went_through_despite_a_5xx_is_posted_once(
    api: ApiClient, instagram: InstagramEnv, web: Web
) -> None:
    """media_publish answers 500 after publishing: the container reads PUBLISHED, so the
    post is live (found among the account's media), and it is never published again."""
    account = instagram.connect(api)
    ig_user = instagram.ig_user_id(account)
    instagram.sandbox.add_failure(
        preset="server_error", endpoint="media_publish", after_commit=True, ig_user_id=ig_user
    )
    post = wait_post(api, post_to(api, [account], slideshow(web, 2), caption="lost answer"))
    assert post["status"] == "posted", state(post)
    media = instagram.sandbox.media(ig_user_id=ig_user)
    assert len(media) == 1
    # The media list shows a new post a moment after it is published (the sandbox's
    # media_list_delay_seconds): until then the profile URL, then tracking finds the permalink.
    deadline = time.monotonic() + 20
    while state(post)["published_url"] != media[0]["permalink"] and time.monotonic() < deadline:
        time.sleep(0.3)
        post = ok(api.get(f"/posts/{post['id']}"))
    assert state(post)["published_url"] == media[0]["permalink"], state(post)
    assert state(post)["attempt"] == 1
    time.sleep(1.5)
    assert len(instagram.sandbox.media(ig_user_id=ig_user)) == 1
    assert instagram.sandbox.duplicate_media() == []


def test_a_5xx_publish_that_did_not_happen_is_published_by_a_new_attempt(
    api: ApiClient, instagram: InstagramEnv, web: Web
) -> None:
    account = instagram.connect(api)
    ig_user = instagram.ig_user_id(account)
    instagram.sandbox.add_failure(
        preset="server_error", endpoint="media_publish", ig_user_id=ig_user
    )
    post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    assert post["status"] == "posted", state(post)
    assert state(post)["attempt"] == 2
    assert len(instagram.sandbox.media(ig_user_id=ig_user)) == 1
    # The same container was published: no second one was made.
    assert len(instagram.sandbox.containers(ig_user_id=ig_user)) == 1


def test_token_refresh_after_24_hours_and_reauth_after_expiry(
    api: ApiClient, instagram: InstagramEnv, web: Web, runtime: Runtime
) -> None:
    account = instagram.connect(api)
    old_token, _ = token_of(runtime, account)
    # A day later the token may be refreshed: due within the hour, it is, before the post.
    instagram.clock.advance(hours=25)
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account))
        assert row is not None
        row.access_token_expires_at = runtime.clock.now() + timedelta(minutes=30)
    post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    assert post["status"] == "posted", state(post)
    new_token, expires = token_of(runtime, account)
    assert new_token != old_token
    assert expires is not None and expires - runtime.clock.now() > timedelta(days=59)
    # Past its 60 days the token cannot be refreshed any more: reconnect.
    instagram.clock.advance(days=61)
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account))
        assert row is not None
        row.access_token_expires_at = runtime.clock.now()
    post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    assert post["status"] == "failed" and "reconnect" in state(post)["error_message"]
    statuses = {
        a["id"]: a["status"] for a in ok(api.get("/accounts", params={"status": "all"}))["accounts"]
    }
    assert statuses[account] == "reauth_required"
    instagram.clock.advance(days=-61, hours=-25)


def test_revoked_facebook_login_needs_a_reconnect(
    api: ApiClient, instagram: InstagramEnv, web: Web
) -> None:
    account = instagram.connect(api, model="facebook")
    page_id = ok(api.get(f"/accounts/{account}"))["settings"]["page_id"]
    instagram.sandbox.revoke_tokens(page_id, "password_changed")
    post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    assert post["status"] == "failed"
    assert state(post)["error_code"] == "reauth_required"
    assert "reconnect" in state(post)["error_message"]
    statuses = {
        a["id"]: a["status"] for a in ok(api.get("/accounts", params={"status": "all"}))["accounts"]
    }
    assert statuses[account] == "reauth_required"


def avi_bytes(width: int = 1080, height: int = 1920, seconds: int = 20) -> bytes:
    header = struct.pack("<10I", 40_000, 0, 0, 0, seconds * 25, 0, 0, 0, width, height)
    body = b"LIST" + struct.pack("<I", 4 + 8 + len(header)) + b"hdrl" + b"avih"
    body += struct.pack("<I", len(header)) + header
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"AVI " + body


def test_create_time_refusals(api: ApiClient, instagram: InstagramEnv, web: Web) -> None:
    account = instagram.connect(api)

    def refused(field: str, **body: Any) -> str:
        payload = {
            "caption": "hello",
            "media": slideshow(web, 1),
            "accounts": [{"id": account}],
            **body,
        }
        found = err(api.post("/posts", json=payload), 400, "validation_failed")
        assert found["data"]["errors"][0]["field"] == field, found
        return str(found["message"])

    message = refused("media.urls", media={"type": "slideshow", "urls": slides(web, 11)})
    assert "instagram takes at most 10 images" in message and "11" in message
    tags = " ".join(f"#t{i}" for i in range(31))
    assert "31 hashtags; Instagram takes at most 30" in refused("caption", caption=tags)
    mentions = " ".join(f"@u{i}" for i in range(21))
    assert "21 @mentions" in refused("caption", caption=mentions)
    avi = web.add(f"v-{uuid.uuid4().hex}.avi", avi_bytes(), "video/x-msvideo")
    assert "AVI" in refused("media.url", media={"type": "video", "url": avi})
    video = web.add(f"v-{uuid.uuid4().hex}.mp4", mp4_bytes(20.0), "video/mp4")
    message = refused(
        "media.cover_timestamp_ms",
        media={"type": "video", "url": video, "cover_timestamp_ms": 25_000},
    )
    assert "beyond the end of the 20.0 s video" in message
    # 30 hashtags and 20 mentions are fine, and nothing was published by the refusals.
    fine = " ".join([*(f"#t{i}" for i in range(30)), *(f"@u{i}" for i in range(20))])
    post = wait_post(api, post_to(api, [account], slideshow(web, 1), caption=fine))
    assert post["status"] == "posted"
    assert len(instagram.sandbox.media(ig_user_id=instagram.ig_user_id(account))) == 1


def test_connect_refusals(api: ApiClient, instagram: InstagramEnv) -> None:
    # A partial grant (no content_publish) is refused with words.
    who = instagram.add_creator()
    start = ok(api.post("/accounts/connect", json={"platform": "instagram"}))
    page = httpx.get(
        f"{start['authorize_url']}&{urlencode({'sandbox_user': who})}"
        "&sandbox_scopes=instagram_business_basic"
    )
    found = err(httpx.get(page.headers["location"]), 400, "connect_failed")
    assert "instagram_business_content_publish" in found["message"]
    # A Facebook login whose Pages have no Instagram account linked.
    lonely = instagram.sandbox.add_fb_user(name="No IG")
    instagram.sandbox.add_page(name="Plain page", managers=[lonely.id])
    with instagram.login("facebook"):
        start = ok(api.post("/accounts/connect", json={"platform": "instagram"}))
        assert "/dialog/oauth" in start["authorize_url"]
        page = httpx.get(f"{start['authorize_url']}&sandbox_user={lonely.id}")
        found = err(httpx.get(page.headers["location"]), 400, "connect_failed")
    assert "linked Instagram professional account" in found["message"]
    # A personal account cannot publish.
    personal = instagram.sandbox.add_ig_user(username=f"me_{uuid.uuid4().hex[:6]}")
    instagram.sandbox.update_ig_user(personal.id, account_type="PERSONAL")
    start = ok(api.post("/accounts/connect", json={"platform": "instagram"}))
    page = httpx.get(f"{start['authorize_url']}&sandbox_user={personal.id}")
    found = err(httpx.get(page.headers["location"]), 400, "connect_failed")
    assert "professional" in found["message"]
    assert ok(api.get("/accounts", params={"status": "all"}))["accounts"] == []


def test_reconnecting_through_facebook_login_switches_the_model(
    api: ApiClient, instagram: InstagramEnv, web: Web, runtime: Runtime
) -> None:
    """The same Instagram account, first with Instagram Login, then through the Page it is
    linked to: one account, now on Facebook Login's non-expiring Page token (the Instagram
    Login refresh credential no longer applies and is dropped)."""
    account = instagram.connect(api)
    ig_user = instagram.ig_user_id(account)
    owner = instagram.sandbox.add_fb_user(name="Page owner")
    instagram.sandbox.add_page(name="Linked page", ig_user_id=ig_user, managers=[owner.id])
    with instagram.login("facebook"):
        again = oauth_connect(api, "instagram", sandbox_user=owner.id)
    assert again["reconnected"] is True
    reconnected = again["account"]
    assert isinstance(reconnected, dict) and reconnected["id"] == account
    assert reconnected["settings"]["login"] == "facebook"
    assert reconnected["token_expires_at"] is None
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account))
        assert row is not None and row.refresh_token_enc is None
    post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    assert post["status"] == "posted", state(post)
    assert len(instagram.sandbox.media(ig_user_id=ig_user)) == 1
