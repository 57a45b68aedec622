"""What Ayrshare's clients call to learn outcomes (seeds/004: "using webhooks or the /history
endpoint", the /user refresh date, the 15-days-ahead social notice), through Ayrshare's own
Python SDK against a live server and the TikTok sandbox: history lists and filters, user,
retryPost, bulk delete, webhook registration, and the Ayrshare-format ``scheduled`` (with
``subAction: "tikTokPublished"`` when an inbox draft is published in the app) and ``social``
deliveries, read by a loopback receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import ayrshare.ayrshare as ayrshare_module
import httpx
import pytest
from ayrshare import SocialPost

from slideforge.accounts import care
from slideforge.kit.clock import ManualClock, parse_timestamp
from slideforge.models import Account
from slideforge.publishing import workflows
from slideforge.runtime import Runtime
from tests.compat.test_ayrshare import has_tiktok_id, raw, refused, wait_for
from tests.conftest import Web
from tests.helpers import ApiClient, ok
from tests.posts.test_endpoints import later
from tests.posts.test_publish import slides
from tests.sandboxes import TikTokEnv
from tests.webhooks.receiver import Call, Inbox, Receiver, start_receiver


@pytest.fixture
def sdk(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[SocialPost]:
    """The SDK with its module variable ``base`` pointed at this server."""
    monkeypatch.setattr(ayrshare_module, "base", api.base_url + "/ayrshare/api/")
    yield SocialPost(api.key)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = start_receiver()
    yield running
    running.server.stop()


def ayrshare_payload(call: Call, secret: str) -> dict[str, Any]:
    """The body, after checking Ayrshare's HMAC header as its receivers do."""
    expected = hmac.new(secret.encode(), call.body, hashlib.sha256).hexdigest()
    assert call.headers["x-authorization-content-sha256"] == expected, call.headers
    assert abs(int(call.headers["x-authorization-timestamp"]) - time.time()) < 120
    body: dict[str, Any] = json.loads(call.body)
    return body


def actions(inbox: Inbox) -> list[dict[str, Any]]:
    return [json.loads(c.body) for c in inbox.received()]


def wait_action(inbox: Inbox, test: Any, timeout: float = 45) -> dict[str, Any]:
    calls = inbox.wait(lambda cs: any(test(json.loads(c.body)) for c in cs), timeout)
    return next(json.loads(c.body) for c in calls if test(json.loads(c.body)))


def test_webhook_registration_through_the_sdk(
    api: ApiClient, receiver: Receiver, sdk: SocialPost
) -> None:
    inbox = receiver.inbox()
    registered = sdk.registerWebhook({"action": "scheduled", "url": inbox.url, "secret": "k"})
    assert registered["status"] == "success" and registered["action"] == "scheduled"
    assert registered["url"] == inbox.url and registered["refId"] == str(api.workspace_id)
    social = sdk.registerWebhook({"action": "social", "url": inbox.url})
    assert social["status"] == "success"
    # Registering an action again replaces its URL: still one per action.
    other = receiver.inbox()
    sdk.registerWebhook({"action": "social", "url": other.url})
    listed = sdk.listWebhooks()
    by_action = {w["action"]: w for w in listed["webhooks"]}
    assert set(by_action) == {"scheduled", "social"} and len(listed["webhooks"]) == 2
    assert by_action["social"]["url"] == other.url and by_action["social"]["secret"] is False
    assert by_action["scheduled"]["secret"] is True
    # Our own /webhooks list does not show them (another body format, managed here).
    assert ok(api.get("/webhooks"))["webhooks"] == []

    refused(sdk.registerWebhook({"action": "feed", "url": inbox.url}), 114, "feed", "scheduled")
    refused(sdk.registerWebhook({"action": "nope", "url": inbox.url}), 101, "social")
    refused(sdk.registerWebhook({"action": "social"}), 114, "url")
    refused(sdk.registerWebhook({"action": "social", "url": "ftp://x.example/y"}), 114, "url")
    removed = sdk.unregisterWebhook({"action": "social"})
    assert removed == {"status": "success", "action": "social"}
    refused(sdk.unregisterWebhook({"action": "social"}), 109, "social")
    assert [w["action"] for w in sdk.listWebhooks()["webhooks"]] == ["scheduled"]
    response = raw(api).put("/hook/webhook", json={"action": "social"})
    assert response.status_code == 405
    refused(response.json(), 120, "PUT /hook/webhook", "DELETE, GET, POST")


def test_a_draft_published_in_the_app_becomes_posted_and_fires_tiktok_published(
    api: ApiClient,
    tiktok: TikTokEnv,
    web: Web,
    runtime: Runtime,
    receiver: Receiver,
    sdk: SocialPost,
    clock: ManualClock,
) -> None:
    account = tiktok.connect(api, "drafts.daily")
    inbox = receiver.inbox()
    sdk.registerWebhook({"action": "scheduled", "url": inbox.url, "secret": "s3cret"})
    ours = receiver.inbox()
    hook = ok(
        api.post("/webhooks", json={"url": ours.url, "events": ["post.target.publicly_available"]}),
        201,
    )
    created = sdk.post(
        {
            "post": "Finish me in the app",
            "mediaUrls": slides(web, 2),
            "platforms": ["tiktok"],
            "tikTokOptions": {"draft": True},
        }
    )
    assert created["status"] == "success", created
    publish_id = created["postIds"][0]["idShare"]
    delivered = wait_for(
        sdk, created["id"], lambda i: i["postIds"][0]["tikTokStatus"] == "SEND_TO_USER_INBOX"
    )
    assert delivered["postIds"][0]["id"] == "pending" and "postUrl" not in {
        k for k, v in delivered["postIds"][0].items() if v
    }
    # Still a draft: a sweep's check changes nothing.
    clock.advance(seconds=61)
    assert workflows.sweep(runtime)["drafts"] >= 1
    time.sleep(1.0)
    assert sdk.getPost({"id": created["id"]})["postIds"][0]["id"] == "pending"

    # The creator publishes the draft in the TikTok app (the sandbox's admin route).
    answer = httpx.post(f"{tiktok.server.base_url}/__sandbox/inbox/{publish_id}/publish", json={})
    assert answer.status_code == 200, answer.text
    time.sleep(1.0)  # the sandbox's moderation delay (0.5 s) passes: the public id exists
    clock.advance(seconds=61)  # the next check of the draft watch is due
    assert workflows.sweep(runtime)["drafts"] >= 1
    item = wait_for(sdk, created["id"], has_tiktok_id)
    (entry,) = item["postIds"]
    assert entry["status"] == "success" and entry["tikTokStatus"] == "PUBLISH_COMPLETE"
    assert entry["postUrl"] == f"https://www.tiktok.com/@drafts.daily/photo/{entry['id']}"
    (public,) = [p for p in tiktok.sandbox.posts(open_id=tiktok.open_id(account))]
    assert str(public["post_id"]) == entry["id"]
    assert sdk.history({"id": created["id"]})["status"] == "success"

    # Ayrshare's scheduled action with subAction tikTokPublished, signed with our secret.
    body = wait_action(inbox, lambda b: b.get("subAction") == "tikTokPublished")
    (call,) = [c for c in inbox.received() if json.loads(c.body).get("subAction")]
    assert ayrshare_payload(call, "s3cret") == body
    assert body["action"] == "scheduled" and body["status"] == "success" and body["code"] == 200
    assert body["id"] == created["id"] and body["refId"] == account and body["errors"] == []
    assert body["postIds"] == [
        {
            "status": "success",
            "id": entry["id"],
            "platform": "tiktok",
            "postUrl": entry["postUrl"],
            "isVideo": False,
            "tikTokStatus": "PUBLISH_COMPLETE",
        }
    ]
    assert body["url"] == inbox.url and body["created"]
    # A post made now gets no plain "scheduled" action (Ayrshare answers it in POST /post).
    assert all(b.get("subAction") == "tikTokPublished" for b in actions(inbox))
    # Our own event for the same moment.
    (mine,) = ours.wait(lambda cs: len(cs) >= 1)
    event = mine.verified(hook["secret"])
    assert event["type"] == "post.target.publicly_available"
    assert event["data"]["platform_post_id"] == entry["id"] and event["data"]["from_draft"]
    assert event["data"]["published_url"] == entry["postUrl"]


def test_a_direct_post_fires_tiktok_published_with_the_final_id(
    api: ApiClient, tiktok: TikTokEnv, web: Web, receiver: Receiver, sdk: SocialPost
) -> None:
    tiktok.connect(api, "direct.daily")
    inbox = receiver.inbox()
    sdk.registerWebhook({"action": "scheduled", "url": inbox.url})
    created = sdk.post({"post": "Direct", "mediaUrls": slides(web, 1), "platforms": ["tiktok"]})
    item = wait_for(sdk, created["id"], has_tiktok_id)
    body = wait_action(inbox, lambda b: b.get("subAction") == "tikTokPublished")
    assert body["id"] == created["id"]
    assert body["postIds"][0]["id"] == item["postIds"][0]["id"]
    assert body["postIds"][0]["postUrl"] == item["postIds"][0]["postUrl"]
    # No secret given: no HMAC headers.
    call = inbox.received()[0]
    assert "x-authorization-content-sha256" not in call.headers and call.headers["webhook-id"]


def test_retry_post_sends_a_failed_post_again_as_a_scheduled_one(
    api: ApiClient, tiktok: TikTokEnv, web: Web, receiver: Receiver, sdk: SocialPost
) -> None:
    account = tiktok.connect(api)
    inbox = receiver.inbox()
    sdk.registerWebhook({"action": "scheduled", "url": inbox.url})
    tiktok.sandbox.add_failure(
        kind="fail_publish", fail_reason="spam_risk_text", open_id=tiktok.open_id(account), count=1
    )
    created = sdk.post({"post": "Try twice", "mediaUrls": slides(web, 1), "platforms": ["tiktok"]})
    failed = wait_for(sdk, created["id"], lambda i: i["status"] == "error")
    assert failed["errors"][0]["code"] == 150
    # A failed post made now: no plain "scheduled" action for it.
    time.sleep(1.0)
    assert [b for b in actions(inbox) if not b.get("subAction")] == []
    refused(sdk.retryPost({"id": str(uuid.uuid4())}), 109)

    retried = sdk.retryPost({"id": created["id"]})
    assert retried["status"] == "success" and retried["id"] == created["id"]
    assert retried["postIds"][0]["status"] in ("pending", "success")
    done = wait_for(sdk, created["id"], has_tiktok_id)
    assert done["status"] == "success" and done["errors"] == []
    # Retried: treated as a scheduled post, so the scheduled action reports its end.
    body = wait_action(inbox, lambda b: b["action"] == "scheduled" and not b.get("subAction"))
    assert body["id"] == created["id"] and body["status"] == "success"
    assert body["postIds"][0]["platform"] == "tiktok"
    wait_action(inbox, lambda b: b.get("subAction") == "tikTokPublished")
    # Only a post with status error can be retried.
    refused(sdk.retryPost({"id": created["id"]}), 113, "success")


def test_history_lists_with_ayrshare_filters(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    first = tiktok.connect(api, "hist.one")
    second = tiktok.connect(api, "hist.two")
    sdk.setProfileKey(first)
    now_post = sdk.post({"post": "now", "mediaUrls": slides(web, 1), "platforms": ["tiktok"]})
    wait_for(sdk, now_post["id"], has_tiktok_id)
    soon = sdk.post(
        {
            "post": "soon",
            "mediaUrls": slides(web, 1),
            "platforms": ["tiktok"],
            "scheduleDate": later(60),
        }
    )
    gone = sdk.post(
        {
            "post": "gone",
            "mediaUrls": slides(web, 1),
            "platforms": ["tiktok"],
            "scheduleDate": later(120),
        }
    )
    assert sdk.delete({"id": gone["id"]})["status"] == "success"
    sdk.setProfileKey(second)
    other = sdk.post(
        {
            "post": "other",
            "mediaUrls": slides(web, 1),
            "platforms": ["tiktok"],
            "scheduleDate": later(30),
        }
    )
    plain = SocialPost(api.key)

    listed = plain.history()
    ids = [h["id"] for h in listed["history"]]
    # Newest publish date first; deleted posts only with status=deleted.
    assert ids == [soon["id"], other["id"], now_post["id"]]
    assert listed["count"] == 3
    assert [h["id"] for h in plain.history({"lastRecords": 1})["history"]] == [soon["id"]]
    assert [h["id"] for h in plain.history({"limit": 2})["history"]] == ids[:2]
    assert [h["id"] for h in plain.history({"status": "pending"})["history"]] == ids[:2]
    assert [h["id"] for h in plain.history({"status": "success"})["history"]] == [now_post["id"]]
    deleted = plain.history({"status": "deleted"})["history"]
    assert [h["id"] for h in deleted] == [gone["id"]] and deleted[0]["status"] == "deleted"
    assert [h["id"] for h in plain.history({"type": "immediate"})["history"]] == [now_post["id"]]
    assert plain.history({"platform": ["instagram"]})["history"] == []
    assert [
        h["id"] for h in plain.history({"platforms": ["tiktok", "pinterest"]})["history"]
    ] == ids
    assert [h["id"] for h in plain.history({"platform": "tiktok"})["history"]] == ids
    # The Profile-Key's account only.
    assert [h["id"] for h in sdk.history()["history"]] == [other["id"]]
    # lastDays counts back from the publish date (0: all).
    assert len(plain.history({"lastDays": 0})["history"]) == 3
    assert plain.history({"status": "paused"})["history"] == []
    refused(plain.history({"status": "live"}), 101, "status", "success")
    refused(plain.history({"lastDays": -1}), 101, "lastDays")
    refused(plain.history({"type": "later"}), 101, "immediate")
    refused(plain.history({"type": "later"}), 101, "type")


def test_bulk_delete_and_delete_all_scheduled(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    tiktok.connect(api)

    def scheduled(text: str) -> str:
        made = sdk.post(
            {
                "post": text,
                "mediaUrls": slides(web, 1),
                "platforms": ["tiktok"],
                "scheduleDate": later(90),
            }
        )
        return str(made["id"])

    a, b = scheduled("a"), scheduled("b")
    missing = str(uuid.uuid4())
    out = sdk.delete({"bulk": [a, b, missing]})
    assert out["status"] == "error" and out["action"] == "delete"
    by_id = {item["id"]: item for item in out["bulk"]}
    assert by_id[a]["status"] == by_id[b]["status"] == "success"
    assert by_id[missing]["status"] == "error" and by_id[missing]["code"] == 109
    assert sdk.history({"id": a})["status"] == "deleted"
    response = raw(api).request("DELETE", "/post", json={"bulk": [a]})
    assert response.status_code == 200
    assert response.json()["bulk"][0]["code"] == 110  # already deleted

    c, d = scheduled("c"), scheduled("d")
    everything = sdk.delete({"deleteAllScheduled": True})
    assert everything["status"] == "success"
    assert {item["id"] for item in everything["bulk"]} == {c, d}
    assert {sdk.history({"id": x})["status"] for x in (c, d)} == {"deleted"}
    refused(sdk.delete({}), 101, "bulk")


def test_user_and_the_social_notice_fifteen_days_ahead(
    api: ApiClient,
    runtime: Runtime,
    tiktok: TikTokEnv,
    clock: ManualClock,
    receiver: Receiver,
    sdk: SocialPost,
) -> None:
    original = tiktok.sandbox.clock
    tiktok.sandbox.clock = clock  # the sandbox's token expiries follow the same clock
    try:
        inbox = receiver.inbox()
        sdk.registerWebhook({"action": "social", "url": inbox.url, "secret": "soc"})
        account = tiktok.connect(api, "renew.me")
        with runtime.db.session() as session:
            row = session.get(Account, uuid.UUID(account))
            assert row is not None and row.refresh_token_expires_at is not None
            ends = row.refresh_token_expires_at

        user = sdk.user()
        assert user["activeSocialAccounts"] == ["tiktok"]
        assert user["refId"] == str(api.workspace_id)
        (entry,) = user["displayNames"]
        assert entry["platform"] == "tiktok" and entry["username"] == "renew.me"
        assert entry["refId"] == account and entry["id"] == tiktok.open_id(account)
        assert entry["profileUrl"] == "https://www.tiktok.com/@renew.me"
        assert abs(parse_timestamp(entry["refreshRequired"]) - ends) < timedelta(milliseconds=1)
        assert entry["refreshDaysRemaining"] == (ends - clock.now()).days
        assert sdk.setProfileKey("@renew.me").user()["displayNames"][0]["refId"] == account

        # Sixteen days ahead: nothing yet. Fifteen: Ayrshare's social action, once.
        clock.set(ends - timedelta(days=16))
        care.run(runtime, api.workspace_id)
        time.sleep(0.5)
        assert inbox.received() == []
        clock.set(ends - timedelta(days=15) + timedelta(minutes=1))
        care.run(runtime, api.workspace_id)
        care.run(runtime, api.workspace_id)
        (call,) = inbox.wait(lambda cs: len(cs) >= 1)
        body = ayrshare_payload(call, "soc")
        assert body["action"] == "social" and body["type"] == "refresh"
        assert body["platform"] == "tiktok" and body["refId"] == account
        assert body["displayName"] == "renew.me" and body["source"] == "system"
        assert abs(parse_timestamp(body["refreshBy"]) - ends) < timedelta(seconds=5)
        assert body["refreshDaysRemaining"] == 14 and body["code"] == 200
        later_user = sdk.user()["displayNames"][0]
        assert later_user["refreshDaysRemaining"] == 14
        time.sleep(0.5)
        assert len(inbox.received()) == 1

        # Past the end TikTok refuses the refresh: the social action says to reconnect.
        clock.set(ends + timedelta(hours=1))
        care.run(runtime, api.workspace_id)
        calls = inbox.wait(lambda cs: len(cs) >= 2)
        unlinked = ayrshare_payload(calls[1], "soc")
        assert unlinked["type"] == "unlink" and unlinked["details"]["status"] == "error"
        assert "reconnected" in unlinked["details"]["message"]
        after = sdk.user()
        assert after["activeSocialAccounts"] == []
        assert after["displayNames"][0]["status"] == "reauth_required"
    finally:
        tiktok.sandbox.clock = original
