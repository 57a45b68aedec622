"""End to end on the TikTok sandbox: create → publish → posted/delivered/failed, exactly once."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Web
from tests.helpers import ApiClient, image_bytes, ok
from tests.sandboxes import TikTokEnv

TERMINAL = ("posted", "failed", "partial", "outcome_unknown")


def slides(
    web: Web, n: int = 3, size: tuple[int, int] = (1080, 1920), fmt: str = "JPEG"
) -> list[str]:
    ext = "jpg" if fmt == "JPEG" else fmt.lower()
    tag = time.monotonic_ns()
    return [
        web.add(
            f"post/{tag}-{i}.{ext}",
            image_bytes(size, fmt, color=(40 * i, 90, 160)),
            f"image/{ext.replace('jpg', 'jpeg')}",
        )
        for i in range(n)
    ]


def wait_post(
    api: ApiClient, post_id: str, *, statuses: tuple[str, ...] = TERMINAL, timeout: float = 45
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        post = ok(api.get(f"/posts/{post_id}"))
        if post["status"] in statuses:
            return post
        if time.monotonic() > deadline:
            raise AssertionError(f"post still {post['status']}: {post['accounts']}")
        time.sleep(0.25)


def test_slideshow_to_two_accounts_is_posted_once_each(
    api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    a = tiktok.connect(api)
    b = tiktok.connect(api)
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": "Three looks for the weekend #style",
                "media": {"type": "slideshow", "urls": slides(web)},
                "accounts": [{"id": a}, {"id": b}],
                "tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE", "title": "Weekend looks"},
            },
        ),
        201,
    )
    assert created["status"] == "pending" and created["scheduled_at"] is None
    post = wait_post(api, created["id"])
    assert post["status"] == "posted", post
    for state in post["accounts"]["states"]:
        assert state["status"] == "posted" and state["published_at"]
        assert state["published_url"].startswith("https://www.tiktok.com/@")
        assert state["attempt"] == 1
    for account in (a, b):
        publishes = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))
        assert len(publishes) == 1
        assert publishes[0]["post_info"]["title"] == "Weekend looks"
        assert len(publishes[0]["source_info"]["photo_images"]) == 3
    for account in (a, b):
        assert len(tiktok.sandbox.posts(open_id=tiktok.open_id(account))) == 1


def test_media_upload_ends_in_the_inbox(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": "draft me",
                "media": {"type": "slideshow", "urls": slides(web, 2)},
                "accounts": [{"id": account}],
                "tiktok": {"post_mode": "MEDIA_UPLOAD", "privacy_level": "SELF_ONLY"},
                "music_url": "https://www.tiktok.com/@someone/video/7559313483398008095",
            },
        ),
        201,
    )
    codes = {w["code"] for w in created["warnings"]}
    assert "MUSIC_ADD_IN_APP" in codes
    post = wait_post(api, created["id"])
    state = post["accounts"]["states"][0]
    assert post["status"] == "posted"
    assert state["platform_status"] == "SEND_TO_USER_INBOX" and state["delivery"] == "inbox"
    assert post["tiktok"]["post_mode"] == "MEDIA_UPLOAD"
    publish = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))[0]
    assert publish["post_mode"] == "MEDIA_UPLOAD"


def test_platform_failure_is_reported_with_the_reason(
    api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    tiktok.sandbox.add_failure(
        kind="fail_publish", fail_reason="spam_risk_text", open_id=tiktok.open_id(account)
    )
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": "buy now!!!",
                "media": {"type": "slideshow", "urls": slides(web, 1)},
                "accounts": [{"id": account}],
            },
        ),
        201,
    )
    post = wait_post(api, created["id"])
    state = post["accounts"]["states"][0]
    assert post["status"] == "failed"
    assert state["status"] == "failed" and state["error_code"] == "spam_risk_text"
    assert "spam" in state["error_message"]
