"""Pinterest publishing through HTTP against the Pinterest sandbox on loopback: OAuth with
Basic auth, the default board, image / carousel / video pins, tags as hashtags, an
unreachable image, a 5xx after the pin was stored (never a second pin), rotating refresh
tokens, create-time refusals."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from slideforge.models import Account
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, image_bytes, mp4_bytes, ok
from tests.posts.test_publish import slides, wait_post
from tests.publishing.test_instagram import avi_bytes, post_to, slideshow, state
from tests.sandboxes import PinterestEnv


@contextmanager
def unreachable_media(runtime: Runtime) -> Iterator[None]:
    """Media URLs made meanwhile point where nothing answers (a media base URL the
    platforms cannot reach)."""
    storage: Any = runtime.storage
    before = storage.base_url
    storage.base_url = "http://127.0.0.1:9/media"
    try:
        yield
    finally:
        storage.base_url = before


def refresh_token_of(runtime: Runtime, account_id: str) -> str:
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account_id))
        assert row is not None and row.refresh_token_enc
        return runtime.secrets.decrypt(row.refresh_token_enc)


def expire_soon(runtime: Runtime, account_id: str) -> None:
    """Our copy of the access token expires now: the next use refreshes it first."""
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account_id))
        assert row is not None
        row.access_token_expires_at = runtime.clock.now()


def test_connect_and_pin_one_image_on_the_default_board(
    api: ApiClient, pinterest: PinterestEnv, web: Web, runtime: Runtime
) -> None:
    account = pinterest.connect(api, f"pins_{uuid.uuid4().hex[:6]}")
    listed = ok(api.get(f"/accounts/{account}"))
    boards = pinterest.sandbox.boards(pinterest.user_id(account))
    assert listed["platform"] == "pinterest" and listed["status"] == "active"
    assert listed["settings"]["default_board_id"] == boards[0]["id"]  # the first board
    assert listed["settings"]["boards"] == [{"id": boards[0]["id"], "name": "Sandbox board"}]
    assert listed["refresh_expires_at"] is not None
    requests = pinterest.sandbox.requests_log(endpoint="oauth_token")
    assert requests and requests[-1]["status"] == 200  # Basic auth accepted
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": "Cozy autumn outfits",
                "media": slideshow(web, 1),
                "accounts": [{"id": account}],
                "pinterest": {
                    "title": "Autumn outfits",
                    "link": "https://shop.example/autumn",
                    "tags": ["fall fashion", "#cozy", "cozy"],
                },
            },
        ),
        201,
    )
    assert "PINTEREST_TAGS_AS_HASHTAGS" in {w["code"] for w in created["warnings"]}
    post = wait_post(api, created["id"])
    assert post["status"] == "posted", state(post)
    pins = pinterest.pins(account)
    assert len(pins) == 1
    pin = pins[0]
    assert state(post)["published_url"] == f"https://www.pinterest.com/pin/{pin['id']}/"
    assert pin["board_id"] == boards[0]["id"] and pin["source_type"] == "image_url"
    assert pin["title"] == "Autumn outfits" and pin["link"] == "https://shop.example/autumn"
    assert pin["description"] == "Cozy autumn outfits\n\n#fallfashion #cozy"
    assert "/pinterest/" in str(pin["media_sources"])


def test_carousel_of_mixed_sizes_is_one_size_and_board_choice(
    api: ApiClient, pinterest: PinterestEnv, web: Web
) -> None:
    account = pinterest.connect(api)
    user = pinterest.user_id(account)
    second = pinterest.sandbox.add_board(user, "Second board")
    urls = slides(web, 2, (1000, 1500)) + slides(web, 1, (1080, 1080))
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": "Three rooms",
                "media": {"type": "slideshow", "urls": urls},
                "accounts": [{"id": account}],
                "pinterest": {"board_id": second["id"]},
            },
        ),
        201,
    )
    padded = [w for w in created["warnings"] if w["code"] == "PINTEREST_PADDED"]
    assert padded and "slide 3 is padded to 1000x1500" in padded[0]["message"]
    post = wait_post(api, created["id"])
    assert post["status"] == "posted", state(post)  # the sandbox checks same_dimensions
    pin = pinterest.pins(account)[0]
    assert pin["source_type"] == "multiple_image_urls" and pin["board_id"] == second["id"]
    assert len(pin["media_sources"]) == 3  # type: ignore[arg-type]
    # A new default board for the account (PATCH), used when the post names none.
    changed = ok(
        api.patch(f"/accounts/{account}", json={"settings": {"pinterest_board_id": second["id"]}})
    )
    assert changed["settings"]["default_board_id"] == second["id"]
    post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    assert post["status"] == "posted"
    assert pinterest.pins(account)[-1]["board_id"] == second["id"]
    # A board that is not the account's is refused by Pinterest, in words.
    post = wait_post(
        api, post_to(api, [account], slideshow(web, 1), pinterest={"board_id": "123456789"})
    )
    assert post["status"] == "failed" and state(post)["error_code"] == "board_not_found"
    assert "does not exist on this Pinterest account" in state(post)["error_message"]


def test_video_pin_is_uploaded_then_pinned_with_a_cover(
    api: ApiClient, pinterest: PinterestEnv, web: Web
) -> None:
    account = pinterest.connect(api)
    video = web.add(f"pin-{uuid.uuid4().hex}.mp4", mp4_bytes(20.0, 1080, 1920), "video/mp4")
    post = wait_post(
        api,
        post_to(api, [account], {"type": "video", "url": video, "cover_timestamp_ms": 2500}),
    )
    assert post["status"] == "posted", state(post)
    media = pinterest.sandbox.media(user_id=pinterest.user_id(account))
    assert len(media) == 1 and media[0]["status"] == "succeeded"
    assert media[0]["format"] == "mp4" and media[0]["bytes"] > 0  # uploaded with its fields
    pin = pinterest.pins(account)[0]
    assert pin["source_type"] == "video_id" and pin["media_id"] == media[0]["media_id"]
    # With a cover image instead of a cover time.
    cover = web.add(f"c-{uuid.uuid4().hex}.jpg", image_bytes((1080, 1920)), "image/jpeg")
    post = wait_post(
        api, post_to(api, [account], {"type": "video", "url": video, "cover_url": cover})
    )
    assert post["status"] == "posted", state(post)
    pin_id = state(post)["published_url"].rstrip("/").rsplit("/", 1)[1]
    token = pinterest.sandbox.issue_tokens(pinterest.user_id(account))["access_token"]
    shown = httpx.get(
        f"{pinterest.server.base_url}/v5/pins/{pin_id}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert shown["media"]["cover_image_url"].endswith("/source/cover.jpg")


def test_a_failed_video_fails_with_words(api: ApiClient, pinterest: PinterestEnv, web: Web) -> None:
    account = pinterest.connect(api)
    pinterest.sandbox.add_failure(kind="media_failed", user_id=pinterest.user_id(account))
    video = web.add(f"pin-{uuid.uuid4().hex}.mp4", mp4_bytes(20.0), "video/mp4")
    post = wait_post(api, post_to(api, [account], {"type": "video", "url": video}))
    assert post["status"] == "failed" and state(post)["error_code"] == "video_failed"
    assert "could not process the video" in state(post)["error_message"]
    assert pinterest.pins(account) == []


def test_unreachable_image_fails_with_words(
    api: ApiClient, pinterest: PinterestEnv, web: Web, runtime: Runtime
) -> None:
    account = pinterest.connect(api)
    with unreachable_media(runtime):
        post_id = post_to(api, [account], slideshow(web, 1))
    post = wait_post(api, post_id)
    assert post["status"] == "failed"
    assert state(post)["error_code"] == "media_unreachable"
    assert "could not download the image" in state(post)["error_message"]
    assert "Unable to reach the URL" in state(post)["error_message"]
    assert state(post)["attempt"] == runtime.settings.publish_max_attempts  # retried, in vain
    assert pinterest.pins(account) == []


def test_a_5xx_after_the_pin_was_stored_is_unknown_never_a_second_pin(
    api: ApiClient, pinterest: PinterestEnv, web: Web
) -> None:
    """While the board's list does not show the pin yet, reconciliation cannot find it: the
    target stays unknown and nothing is sent again (tests/publishing/test_reconcile.py shows
    it found once listed)."""
    before = pinterest.sandbox.options.board_pins_delay_seconds
    pinterest.sandbox.update_options(board_pins_delay_seconds=3600)
    try:
        _stored_then_5xx(api, pinterest, web)
    finally:
        pinterest.sandbox.update_options(board_pins_delay_seconds=before)


def _stored_then_5xx(api: ApiClient, pinterest: PinterestEnv, web: Web) -> None:
    account = pinterest.connect(api)
    pinterest.sandbox.add_failure(
        preset="server_error",
        endpoint="pins_create",
        after_commit=True,
        user_id=pinterest.user_id(account),
    )
    post_id = post_to(api, [account], slideshow(web, 2))
    post = wait_post(api, post_id)
    assert post["status"] == "outcome_unknown", state(post)
    assert "server error" in state(post)["error_message"]
    time.sleep(2)
    assert len(pinterest.pins(account)) == 1  # stored once, never sent again
    assert pinterest.sandbox.duplicate_pins() == []
    assert ok(api.get(f"/posts/{post_id}"))["status"] == "outcome_unknown"
    # A plain retry leaves it alone; include_unknown says "I checked".
    result = ok(api.post("/posts/retry", json={"post_ids": [post_id]}))
    assert result["retried"] == 0


def test_rate_limited_pin_gets_a_new_attempt(
    api: ApiClient, pinterest: PinterestEnv, web: Web
) -> None:
    account = pinterest.connect(api)
    pinterest.sandbox.add_failure(
        preset="rate_limited", endpoint="pins_create", user_id=pinterest.user_id(account)
    )
    post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    assert post["status"] == "posted" and state(post)["attempt"] == 2
    assert len(pinterest.pins(account)) == 1


def test_rotating_refresh_tokens_are_stored_and_expire_after_60_days(
    api: ApiClient, pinterest: PinterestEnv, web: Web, runtime: Runtime
) -> None:
    account = pinterest.connect(api)
    first = refresh_token_of(runtime, account)
    expire_soon(runtime, account)
    assert wait_post(api, post_to(api, [account], slideshow(web, 1)))["status"] == "posted"
    second = refresh_token_of(runtime, account)
    assert second != first  # the rotated token was stored …
    tokens = {t["token"]: t for t in pinterest.sandbox.tokens(pinterest.user_id(account))}
    assert tokens[first]["used_at"] is not None  # … and the old one is spent
    expire_soon(runtime, account)  # a second refresh works only with the stored new token
    assert wait_post(api, post_to(api, [account], slideshow(web, 1)))["status"] == "posted"
    assert refresh_token_of(runtime, account) not in (first, second)
    # 61 days without a refresh: the continuous refresh token has expired too.
    pinterest.clock.advance(days=61)
    try:
        expire_soon(runtime, account)
        post = wait_post(api, post_to(api, [account], slideshow(web, 1)))
    finally:
        pinterest.clock.advance(days=-61)
    assert post["status"] == "failed" and "reconnect" in state(post)["error_message"]
    accounts = ok(api.get("/accounts", params={"status": "all"}))["accounts"]
    assert {a["id"]: a["status"] for a in accounts}[account] == "reauth_required"


def test_create_time_refusals(api: ApiClient, pinterest: PinterestEnv, web: Web) -> None:
    account = pinterest.connect(api)

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

    message = refused("media.urls", media={"type": "slideshow", "urls": slides(web, 6)})
    assert "pinterest takes at most 5 images" in message and "6" in message
    avi = web.add(f"v-{uuid.uuid4().hex}.avi", avi_bytes(), "video/x-msvideo")
    assert "AVI" in refused("media.url", media={"type": "video", "url": avi})
    tall = web.add(f"v-{uuid.uuid4().hex}.mp4", mp4_bytes(20.0, 600, 1920), "video/mp4")
    assert "between 1:2 and 1.91:1" in refused("media.url", media={"type": "video", "url": tall})
    tags = [f"tag{i:02d}" * 5 for i in range(30)]
    message = refused("pinterest.tags", caption="x" * 400, pinterest={"tags": tags})
    assert "Pinterest takes at most 800" in message
    assert "http(s)" in refused("pinterest.link", pinterest={"link": "javascript:alert(1)"})
    assert "digits" in refused("pinterest.board_id", pinterest={"board_id": "my-board"})
    ok(api.patch(f"/accounts/{account}", json={"settings": {"pinterest_board_id": None}}))
    message = refused("pinterest.board_id")
    assert "has no default board" in message and "PATCH /accounts/" in message
    err(
        api.patch(f"/accounts/{account}", json={"settings": {"instagram_share_to_feed": True}}),
        422,
        "invalid_payload",
    )
    assert pinterest.pins(account) == []


def test_partial_grant_is_refused(api: ApiClient, pinterest: PinterestEnv) -> None:
    user = pinterest.sandbox.add_user(username=f"shy_{uuid.uuid4().hex[:6]}")
    start = ok(api.post("/accounts/connect", json={"platform": "pinterest"}))
    page = httpx.get(
        f"{start['authorize_url']}&sandbox_user={user.id}&sandbox_scopes=boards:read,pins:read"
    )
    found = err(httpx.get(page.headers["location"]), 400, "connect_failed")
    assert "pins:write" in found["message"]
    assert ok(api.get("/accounts", params={"status": "all"}))["accounts"] == []


def test_token_lifetimes_are_recorded(api: ApiClient, pinterest: PinterestEnv) -> None:
    account = pinterest.connect(api)
    listed = ok(api.get(f"/accounts/{account}"))
    assert listed["token_expires_at"] and listed["refresh_expires_at"]
    assert listed["token_expires_at"] < listed["refresh_expires_at"]


def test_a_crash_while_creating_the_pin_is_unknown_never_a_second_pin(
    api: ApiClient, pinterest: PinterestEnv, web: Web, runtime: Runtime
) -> None:
    """The server died between arming the witness's 'sending' and recording Pinterest's
    answer: the sweep settles the target as outcome_unknown and nothing is sent again."""
    from slideforge.publishing import workflows
    from tests.posts.test_endpoints import later
    from tests.posts.test_pipeline import _claimed

    account = pinterest.connect(api)
    post_id = post_to(api, [account], slideshow(web, 1), scheduled_at=later(600))
    _claimed(runtime, post_id, "sending")
    workflows.sweep(runtime)
    post = ok(api.get(f"/posts/{post_id}"))
    assert post["status"] == "outcome_unknown" and state(post)["error_code"] == "interrupted"
    assert "check the account" in state(post)["error_message"]
    time.sleep(1)
    assert pinterest.pins(account) == []  # and no create was attempted after the crash
    assert (
        pinterest.sandbox.requests_log(endpoint="pins_create", user_id=pinterest.user_id(account))
        == []
    )
