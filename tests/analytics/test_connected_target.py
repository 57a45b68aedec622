"""A tracked account that is one of ours is read through the platform's API (the TikTok
sandbox over HTTP): its counters and posts on a refresh, and an honest failure when its token
lacks the read scopes."""

from __future__ import annotations

import time
import uuid

import httpx

from slideforge.kit.clock import ManualClock
from slideforge.runtime import Runtime
from tests.analytics.test_targets import settle
from tests.conftest import Web
from tests.helpers import ApiClient, ok
from tests.posts.test_publish import slides
from tests.sandboxes import TikTokEnv


def test_our_account_is_read_through_the_api(api: ApiClient, tiktok: TikTokEnv) -> None:
    account_id = tiktok.connect(api)
    username = ok(api.get("/accounts"))["accounts"][0]["username"]
    created = ok(
        api.post("/analytics/targets", json={"platform": "tiktok", "identifier": username}), 201
    )
    assert created["target"]["source"] == "connected_account"
    assert created["target"]["account_id"] == account_id
    target = settle(api, created["target"]["id"])
    assert target["last_refresh"]["status"] == "completed", target["last_refresh"]
    assert target["profile"]["username"] == username
    assert target["profile"]["followers"] is not None


def test_a_token_without_the_read_scopes_fails_the_refresh_plainly(
    api: ApiClient, tiktok: TikTokEnv
) -> None:
    username = f"scoped_{uuid.uuid4().hex[:8]}"
    tiktok.connect(api, username, scopes=["user.info.basic", "video.publish", "video.upload"])
    created = ok(
        api.post("/analytics/targets", json={"platform": "tiktok", "identifier": username}), 201
    )
    target = settle(api, created["target"]["id"])
    refresh = target["last_refresh"]
    assert refresh["status"] == "failed"
    assert "scope_not_authorized" in refresh["error"]
    assert target["profile"] is None


def test_deleting_our_accounts_target_stops_measuring_it(
    api: ApiClient, tiktok: TikTokEnv, runtime: Runtime
) -> None:
    from slideforge.models import Account

    account_id = tiktok.connect(api)
    username = ok(api.get("/accounts"))["accounts"][0]["username"]
    body = {"platform": "tiktok", "identifier": username}
    target = ok(api.post("/analytics/targets", json=body), 201)["target"]
    settle(api, target["id"])
    ok(api.delete(f"/analytics/targets/{target['id']}"))
    with runtime.db.session() as session:
        account = session.get(Account, uuid.UUID(account_id))
        assert account is not None and account.analytics_stopped_at is not None
    again = ok(api.post("/analytics/targets", json=body), 201)["target"]
    settle(api, again["id"])
    with runtime.db.session() as session:
        account = session.get(Account, uuid.UUID(account_id))
        assert account is not None and account.analytics_stopped_at is None


def test_an_inbox_draft_links_up_once_the_creator_publishes_it(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime, clock: ManualClock
) -> None:
    """TikTok gives a draft's public id only after the creator posts it in the app (Postiz
    #1470's empty analytics): until then the row says why it has no metrics; then it links,
    and its age counts from the publication."""
    from slideforge.analytics.workflows import sweep_once
    from slideforge.publishing import workflows

    account_id = tiktok.connect(api)
    post = ok(
        api.post(
            "/posts",
            json={
                "caption": "Draft to finish in the app",
                "media": {"type": "slideshow", "urls": slides(web, 2)},
                "accounts": [{"id": account_id}],
                "tiktok": {"post_mode": "MEDIA_UPLOAD"},
                "external_id": "draft-1",
            },
        ),
        201,
    )
    deadline = time.monotonic() + 30
    while ok(api.get(f"/posts/{post['id']}"))["status"] != "posted":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    sweep_once()
    (row,) = ok(api.get("/analytics/summary/posts?range=14d"))["posts"]
    assert row["linkState"] == "inbox_draft" and "publishes it" in row["note"]
    assert row["externalId"] == "draft-1" and row["views"] is None
    clock.advance(hours=2)
    sweep_once()  # still a draft: no snapshot, looked at again later
    assert ok(api.get(f"/analytics/posts/{row['analyticsId']}"))["snapshots"] == []

    (state,) = ok(api.get(f"/posts/{post['id']}"))["accounts"]["states"]
    publish_id = tiktok.sandbox.publishes(open_id=tiktok.open_id(account_id))[-1]["publish_id"]
    answer = httpx.post(f"{tiktok.server.base_url}/__sandbox/inbox/{publish_id}/publish", json={})
    assert answer.status_code == 200, answer.text
    time.sleep(1.0)  # the sandbox's moderation (0.5 s): the public id exists
    deadline = time.monotonic() + 30
    while "/photo/" not in str(
        ok(api.get(f"/posts/{post['id']}"))["accounts"]["states"][0]["published_url"]
    ):
        assert time.monotonic() < deadline, state
        clock.advance(seconds=61)
        workflows.sweep(runtime)  # the draft watch's next check
        time.sleep(0.5)
    clock.advance(hours=1)
    sweep_once()
    detail = ok(api.get(f"/analytics/posts/{row['analyticsId']}"))
    assert detail["linkState"] == "linked" and detail["platformPostId"]
    assert detail["snapshots"], detail
    assert detail["views"] is not None
