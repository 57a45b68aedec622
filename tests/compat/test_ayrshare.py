"""Ayrshare-compatible TikTok posting (seeds/004) through HTTP, with Ayrshare's own Python SDK
(``social-post-api``, unmodified) against the TikTok sandbox."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import ayrshare.ayrshare as ayrshare_module
import httpx
import pytest
from ayrshare import SocialPost

from slideforge.compat.ayrshare import sends
from tests.conftest import Web
from tests.helpers import ApiClient, mp4_bytes
from tests.posts.test_endpoints import later
from tests.posts.test_publish import slides
from tests.sandboxes import TikTokEnv


@pytest.fixture
def sdk(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[SocialPost]:
    """The SDK with its module variable ``base`` pointed at this server."""
    monkeypatch.setattr(ayrshare_module, "base", api.base_url + "/ayrshare/api/")
    yield SocialPost(api.key)


def raw(api: ApiClient) -> httpx.Client:
    """Plain HTTP, to see the status codes the SDK hides."""
    return httpx.Client(
        base_url=api.base_url + "/ayrshare/api",
        headers={"Authorization": f"Bearer {api.key}"},
        timeout=60,
    )


def refused(body: dict[str, Any], code: int, *words: str) -> str:
    """Ayrshare's error shape with this code; the message mentions every word."""
    assert body["status"] == "error" and body["code"] == code, body
    message: str = body["message"]
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    return message


def wait_for(
    sdk: SocialPost, post_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = 45
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        item: dict[str, Any] = sdk.getPost({"id": post_id})
        if done(item):
            return item
        if time.monotonic() > deadline:
            raise AssertionError(f"still {item}")
        time.sleep(0.25)


def has_tiktok_id(item: dict[str, Any]) -> bool:
    return item["postIds"][0]["id"] not in ("pending", "failed")


def test_image_post_pending_then_tiktok_id(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    account = tiktok.connect(api, "looks.daily")
    urls = slides(web, 3)
    created = sdk.post(
        {
            "post": "Three looks \n for the weekend\r\n\n#style",
            "mediaUrls": urls,
            "platforms": ["tiktok"],
            "tikTokOptions": {
                "visibility": "public",
                "title": "Weekend looks",
                "imageCoverIndex": 1,
                "autoAddMusic": True,
                "disableComments": True,
                "isBrandOrganic": True,
                "disableDuet": True,
            },
        }
    )
    assert created["status"] == "success" and created["errors"] == [], created
    assert created["post"] == "Three looks for the weekend #style"
    assert created["refId"] == account
    (entry,) = created["postIds"]
    assert entry["status"] == "success" and entry["id"] == "pending"
    assert entry["platform"] == "tiktok" and entry["isVideo"] is False
    assert entry["idShare"].startswith("p_pub_url~")  # TikTok's publish_id
    assert [w["code"] for w in created["warnings"]] == ["OPTION_IGNORED"]
    assert "disableDuet" in created["warnings"][0]["message"]

    (publish,) = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))
    assert publish["publish_id"] == entry["idShare"]
    info = publish["post_info"]
    assert info["description"] == "Three looks for the weekend #style"  # line breaks gone
    assert info["title"] == "Weekend looks" and info["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert info["auto_add_music"] is True and info["disable_comment"] is True
    assert info["brand_organic_toggle"] is True and info["brand_content_toggle"] is False
    assert publish["source_info"]["photo_cover_index"] == 1
    assert len(publish["source_info"]["photo_images"]) == 3

    item = wait_for(sdk, created["id"], has_tiktok_id)
    (done,) = item["postIds"]
    assert done["id"].isdigit() and done["status"] == "success"
    assert done["postUrl"] == f"https://www.tiktok.com/@looks.daily/photo/{done['id']}"
    assert done["idShare"] == entry["idShare"] and done["tikTokStatus"] == "PUBLISH_COMPLETE"
    assert item["status"] == "success" and item["errors"] == []

    history = sdk.history({"id": created["id"]})
    assert history["id"] == created["id"] and history["status"] == "success"
    assert history["platforms"] == ["tiktok"] and history["type"] == "now"
    assert history["mediaUrls"] == urls and history["scheduleDate"] is None
    assert history["post"] == created["post"] and history["created"]
    assert history["postIds"][0]["postUrl"] == done["postUrl"]

    # Published: TikTok's API cannot delete it, and the answer says so.
    refused(sdk.delete({"id": created["id"]}), 110, "TikTok app")
    assert sdk.history({"id": created["id"]})["status"] == "success"


def test_video_post_with_thumbnail_offset(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    account = tiktok.connect(api, "clips.daily")
    video = web.add(f"ayr/{time.monotonic_ns()}.mp4", mp4_bytes(20.0), "video/mp4")
    created = sdk.post(
        {
            "post": "The best TikTok \n video ever #bestvideo",
            "mediaUrls": [video],
            "platforms": ["tiktok"],
            "tikTokOptions": {
                "thumbNailOffset": 1500,
                "disableDuet": True,
                "disableStitch": True,
                "isAIGenerated": True,
                "isBrandedContent": True,
                "visibility": "friends",
                "autoAddMusic": True,
            },
        }
    )
    assert created["status"] == "success", created
    assert created["post"] == "The best TikTok video ever #bestvideo"
    (entry,) = created["postIds"]
    assert entry["isVideo"] is True and entry["id"] == "pending"
    assert entry["idShare"].startswith("v_pub_")
    assert "autoAddMusic" in created["warnings"][0]["message"]

    (publish,) = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))
    info = publish["post_info"]
    assert info["title"] == "The best TikTok video ever #bestvideo"
    assert info["video_cover_timestamp_ms"] == 1500
    assert info["disable_duet"] is True and info["disable_stitch"] is True
    assert info["is_aigc"] is True and info["brand_content_toggle"] is True
    assert info["privacy_level"] == "MUTUAL_FOLLOW_FRIENDS"

    item = wait_for(sdk, created["id"], has_tiktok_id)
    done = item["postIds"][0]
    assert done["postUrl"] == f"https://www.tiktok.com/@clips.daily/video/{done['id']}"

    # isVideo: a video URL without a video extension.
    bare = web.add(f"ayr/{time.monotonic_ns()}-stream", mp4_bytes(20.0), "video/mp4")
    second = sdk.post({"post": "", "mediaUrls": [bare], "platforms": ["tiktok"], "isVideo": True})
    assert second["status"] == "success" and second["postIds"][0]["isVideo"] is True, second
    assert len(tiktok.sandbox.publishes(open_id=tiktok.open_id(account))) == 2
    wait_for(sdk, second["id"], has_tiktok_id)


def test_draft_goes_to_the_inbox(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    account = tiktok.connect(api)
    created = sdk.post(
        {
            "post": "draft\nme",
            "mediaUrls": slides(web, 2),
            "platforms": ["tiktok"],
            "tikTokOptions": {"draft": True, "visibility": "public", "title": "Draft"},
        }
    )
    assert created["status"] == "success", created
    assert created["postIds"][0]["idShare"].startswith("p_inbox_url~")
    assert "visibility" in created["warnings"][0]["message"]
    (publish,) = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))
    assert publish["post_mode"] == "MEDIA_UPLOAD"
    assert publish["post_info"] == {"title": "Draft", "description": "draft me"}

    item = wait_for(
        sdk, created["id"], lambda i: i["postIds"][0]["tikTokStatus"] == "SEND_TO_USER_INBOX"
    )
    entry = item["postIds"][0]
    # In the creator's inbox: no TikTok post (id stays "pending") until they publish it.
    assert entry["status"] == "success" and entry["id"] == "pending" and entry["postUrl"] is None
    assert item["status"] == "success"
    refused(sdk.delete({"id": created["id"]}), 110, "inbox", "TikTok app")

    video = web.add(f"ayr/{time.monotonic_ns()}.mp4", mp4_bytes(6.0), "video/mp4")
    body = {"post": "x", "mediaUrls": [video], "platforms": ["tiktok"]}
    refused(sdk.post({**body, "tikTokOptions": {"draft": True}}), 111, "draft", "image")


def test_scheduled_post_then_delete(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    account = tiktok.connect(api)
    when = later(90)
    created = sdk.post(
        {
            "post": "later",
            "mediaUrls": slides(web, 1),
            "platforms": ["tiktok"],
            "scheduleDate": when,
        }
    )
    assert created["status"] == "scheduled", created
    assert created["scheduleDate"].startswith(when[:16])
    entry = created["postIds"][0]
    assert entry["status"] == "scheduled" and entry["id"] == "pending"
    assert entry["idShare"] is None  # no TikTok call until the time comes
    history = sdk.history({"id": created["id"]})
    assert history["status"] == "pending" and history["type"] == "scheduled"

    deleted = sdk.delete({"id": created["id"]})
    assert deleted == {"action": "delete", "status": "success", "id": created["id"]}
    assert sdk.history({"id": created["id"]})["status"] == "deleted"
    refused(sdk.delete({"id": created["id"]}), 110, "already deleted")
    assert tiktok.sandbox.publishes(open_id=tiktok.open_id(account)) == []

    # Ayrshare's newer path, DELETE /post, does the same.
    again = sdk.post(
        {
            "post": "later 2",
            "mediaUrls": slides(web, 1),
            "platforms": ["tiktok"],
            "scheduleDate": when,
        }
    )
    response = raw(api).request("DELETE", "/post", json={"id": again["id"]})
    assert response.status_code == 200 and response.json()["status"] == "success"


def test_visibility_mapping_and_profile_key(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    public = tiktok.connect(api, "public.one")
    private = tiktok.connect(api, "private.one", private=True)
    body = {"post": "v", "platforms": ["tiktok"]}
    two = refused(sdk.post({**body, "mediaUrls": slides(web, 1)}), 104, "Profile-Key")
    assert "@public.one" in two and "@private.one" in two
    expected = {
        (public, "public"): "PUBLIC_TO_EVERYONE",
        (public, "private"): "SELF_ONLY",
        ("@Private.One", "followers"): "FOLLOWER_OF_CREATOR",
        (private, "friends"): "MUTUAL_FOLLOW_FRIENDS",
    }
    settled = []
    for (key, visibility), level in expected.items():
        sdk.setProfileKey(key)
        created = sdk.post(
            {**body, "mediaUrls": slides(web, 1), "tikTokOptions": {"visibility": visibility}}
        )
        assert created["status"] == "success", created
        owner = private if key.startswith("@") else key
        assert created["refId"] == owner
        publish = next(
            p
            for p in tiktok.sandbox.publishes(open_id=tiktok.open_id(owner))
            if p["publish_id"] == created["postIds"][0]["idShare"]
        )
        assert publish["privacy_level"] == level, (visibility, publish["privacy_level"])
        settled.append((created["id"], visibility))
    sdk.setProfileKey("@nobody")
    refused(sdk.post({**body, "mediaUrls": slides(web, 1)}), 104, "@nobody")
    for post_id, visibility in settled:
        # Private posts are live without a public id (Ayrshare: they stay "pending").
        item = wait_for(
            sdk,
            post_id,
            lambda i, v=visibility: (
                i["status"] == "success" and (v == "private" or has_tiktok_id(i))
            ),
        )
        assert (item["postIds"][0]["id"] == "pending") == (visibility == "private")


def test_tiktok_failure_is_reported_as_failed(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    account = tiktok.connect(api)
    tiktok.sandbox.add_failure(
        kind="fail_publish", fail_reason="spam_risk_text", open_id=tiktok.open_id(account)
    )
    created = sdk.post({"post": "buy now", "mediaUrls": slides(web, 1), "platforms": ["tiktok"]})
    item = wait_for(sdk, created["id"], lambda i: i["status"] == "error")
    entry = item["postIds"][0]
    assert entry["id"] == "failed" and entry["status"] == "error" and entry["idShare"]
    (error,) = item["errors"]
    assert error["code"] == 150 and error["platform"] == "tiktok" and "spam" in error["message"]
    # A post TikTok refused can be deleted (nothing is live).
    assert sdk.delete({"id": created["id"]})["status"] == "success"


def test_every_rule_of_the_seed(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    body = {"post": "x", "mediaUrls": slides(web, 1), "platforms": ["tiktok"]}
    refused(sdk.post(body), 104, "no active TikTok account")
    account = tiktok.connect(api)
    http = raw(api)

    # Other platforms: a clear error, also with HTTP 400 and Ayrshare's post-error fields.
    response = http.post("/post", json={**body, "platforms": ["tiktok", "instagram"]})
    assert response.status_code == 400
    out = response.json()
    refused(out, 105, "instagram", "TikTok only")
    assert out["action"] == "post" and out["postIds"] == []
    assert [(e["code"], e["platform"]) for e in out["errors"]] == [(105, "instagram")]

    # No mixing video and images; one video; isVideo means one URL.
    video = web.add(f"ayr/{time.monotonic_ns()}.mp4", mp4_bytes(5.0), "video/mp4")
    images = slides(web, 2)
    refused(sdk.post({**body, "mediaUrls": [video, *images]}), 106, "video", "image")
    refused(sdk.post({**body, "mediaUrls": [video, video]}), 106, "one video")
    refused(sdk.post({**body, "mediaUrls": images, "isVideo": True}), 106, "isVideo")

    # Up to 35 images.
    many = [web.url(f"ayr/many-{i}.jpg") for i in range(36)]
    refused(sdk.post({**body, "mediaUrls": many}), 101, "mediaUrls", "35")

    # 2,200 characters (counted after line breaks are stripped; an emoji counts 2).
    over = sdk.post({**body, "post": "a" * 2201})
    refused(over, 107, "2200", "2201")
    refused(sdk.post({**body, "post": "😀" * 1101}), 107, "2202")
    exact = sdk.post({**body, "post": "a" * 1100 + " \n\n " + "a" * 1099})
    assert exact["status"] == "success" and len(exact["post"]) == 2200, exact
    (publish,) = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))
    assert publish["post_info"]["description"] == exact["post"]
    wait_for(sdk, exact["id"], has_tiktok_id)

    # Options TikTok's API cannot honour.
    refused(
        sdk.post({**body, "tikTokOptions": {"thumbNail": web.url("cover.jpg")}}),
        111,
        "thumbNailOffset",
    )
    refused(sdk.post({**body, "tikTokOptions": {"imageCoverIndex": 3}}), 111, "out of range")
    refused(
        sdk.post({**body, "tikTokOptions": {"isBrandedContent": True, "visibility": "private"}}),
        111,
        "branded",
    )
    refused(sdk.post({**body, "scheduleDate": "2020-01-01T00:00:00Z"}), 108, "past")
    refused(sdk.post({**body, "scheduleDate": "tomorrow"}), 108, "scheduleDate")
    refused(sdk.post({**body, "tikTokOptions": {"visibility": "everyone"}}), 101, "visibility")
    refused(sdk.post({"post": "x", "platforms": ["tiktok"]}), 101, "mediaUrls", "required")

    # Media the server cannot fetch.
    refused(sdk.post({**body, "mediaUrls": [web.url("__status/404")]}), 106, "could not be fetched")

    # Authentication, unknown posts, endpoints not offered, bad JSON: the same shape.
    response = httpx.post(api.base_url + "/ayrshare/api/post", json=body)
    assert response.status_code == 401
    refused(response.json(), 102, "API key")
    refused(SocialPost("nope.nope").post(dict(body)), 102)
    response = http.get("/post/0f4f54d4-8cce-4fb7-8c7b-befbcb8af812")
    assert response.status_code == 404
    refused(response.json(), 109, "0f4f54d4")
    refused(sdk.history({"id": "not-a-post"}), 109)
    response = http.get("/analytics/social")
    assert response.status_code == 404
    refused(response.json(), 120, "POST /post", "GET /user", "/hook/webhook")
    response = http.post(
        "/post", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    refused(response.json(), 101, "JSON")


def test_every_answer_under_the_prefix_is_ayrshare_shaped(
    api: ApiClient, tiktok: TikTokEnv, web: Web, sdk: SocialPost
) -> None:
    """Unknown methods and paths, non-JSON bodies, bodies refused before routing and the
    schedule horizon: all in Ayrshare's error shape, with a message that fits the call."""
    tiktok.connect(api)
    http = raw(api)
    body = {"post": "x", "mediaUrls": slides(web, 1), "platforms": ["tiktok"]}

    for method, path in (("TRACE", "/post"), ("PUT", "/post"), ("PATCH", "/post/abc")):
        response = http.request(method, path)
        assert response.status_code == 405, (method, path, response.text)
        message = refused(response.json(), 120, f"{method} {path.split('/abc')[0]}")
        assert "not 'post'" not in message and "POST /post" in message
    response = http.put("/post", json=body)
    allowed = refused(response.json(), 120, "PUT /post", "DELETE", "POST")
    assert "(/post takes DELETE, POST)" in allowed, allowed
    assert response.headers["allow"] == "DELETE, POST"
    for method in ("GET", "TRACE", "POST", "PUT", "OPTIONS"):
        response = http.request(method, "/no/such/thing")
        assert response.status_code == 404, (method, response.text)
        refused(response.json(), 120, f"{method} /no/such/thing", "POST /post")

    # A body that is not JSON, whatever its Content-Type.
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        response = http.post("/post", content=b"post=x", headers={"Content-Type": content_type})
        assert response.status_code == 400
        out = response.json()
        refused(out, 101, content_type, "application/json")
        assert out["action"] == "post" and out["postIds"] == []

    # Refused before routing (too large): still Ayrshare's shape.
    response = http.post(
        "/post",
        content=b'{"post": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    refused(response.json(), 112, "larger than")

    # The schedule horizon (the same rule as /posts), code 108 naming scheduleDate.
    for far in ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59-05:00"):
        message = refused(sdk.post({**body, "scheduleDate": far}), 108, "scheduleDate", "days")
        assert "scheduled_at" not in message
    response = http.post("/post", json={**body, "scheduleDate": "9999-12-31T23:59:59Z"})
    assert response.status_code == 400

    # A cover frame no video can have.
    video = web.add(f"ayr/{time.monotonic_ns()}.mp4", mp4_bytes(20.0), "video/mp4")
    refused(
        sdk.post({**body, "mediaUrls": [video], "tikTokOptions": {"thumbNailOffset": 10**30}}),
        101,
        "thumbNailOffset",
    )


def test_post_is_answered_when_the_send_commits(
    api: ApiClient, tiktok: TikTokEnv, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /post waits for TikTok's call on the event loop and is woken by the commit that
    records it: with the wait and the re-read both at 10 minutes, the answer still comes (the
    client gives up after 60 s) and carries the publish_id."""
    monkeypatch.setattr(sends, "SEND_WAIT_SECONDS", 600.0)
    monkeypatch.setattr(sends, "SEND_RECHECK_SECONDS", 600.0)
    tiktok.connect(api)
    body = {"post": "now", "mediaUrls": slides(web, 2), "platforms": ["tiktok"]}
    response = raw(api).post("/post", json=body)
    assert response.status_code == 200, response.text
    entry = response.json()["postIds"][0]
    assert entry["idShare"].startswith("p_pub_url~") and entry["id"] == "pending"
