"""TikTok sandbox: failure injection, the ``/__sandbox/`` admin API, webhooks, and concurrent
use from many threads."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from platform_sandbox.server import serve_in_thread
from platform_sandbox.tiktok_api import (
    FAIL_REASONS,
    SandboxError,
    TikTokSandbox,
    create_app,
    sign_webhook,
)
from slideforge.kit.clock import ManualClock
from tests.sandbox.tiktok_api.support import (
    CREATOR,
    OTHER,
    PRIVATE,
    START,
    Api,
    Hook,
    error_of,
    wait_until,
)

STATUS = "/v2/post/publish/status/fetch/"
CREATOR_INFO = "/v2/post/publish/creator_info/query/"


def add_failure(tiktok: Api, **rule: object) -> dict[str, object]:
    response = tiktok.http.post("/__sandbox/failures", json=rule)
    assert response.status_code == 201, response.text
    return dict(response.json())


# --------------------------------------------------------------------------- failure injection


@pytest.mark.parametrize("reason", FAIL_REASONS)
def test_every_documented_fail_reason_can_be_injected(
    tiktok: Api, manual_clock: ManualClock, reason: str
) -> None:
    add_failure(tiktok, kind="fail_publish", fail_reason=reason)
    token = tiktok.token()
    failing = tiktok.publish_photo(token)
    passing = tiktok.publish_photo(token)
    manual_clock.advance(2)
    status = tiktok.status(token, failing)
    assert (status["status"], status["fail_reason"]) == ("FAILED", reason)
    assert tiktok.status(token, passing)["status"] == "PUBLISH_COMPLETE"


def test_fail_next_n_publishes_of_one_account(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    add_failure(tiktok, kind="fail_publish", fail_reason="internal", count=2, open_id=OTHER)
    mine, theirs = tiktok.token(), tiktok.token(OTHER)
    ids = [tiktok.publish_photo(theirs), tiktok.publish_photo(mine), tiktok.publish_photo(theirs)]
    ids.append(tiktok.publish_photo(theirs))
    manual_clock.advance(2)
    assert [
        tiktok.status(mine if n == 1 else theirs, pid)["status"] for n, pid in enumerate(ids)
    ] == [
        "FAILED",
        "PUBLISH_COMPLETE",
        "FAILED",
        "PUBLISH_COMPLETE",
    ]
    assert sandbox.failures() == []


def test_account_wide_fail_reason(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    patched = tiktok.http.patch(
        f"/__sandbox/users/{CREATOR}", json={"fail_reason": "spam_risk_text"}
    )
    assert patched.status_code == 200
    token = tiktok.token()
    ids = [tiktok.publish_photo(token) for _ in range(2)]
    manual_clock.advance(2)
    assert {tiktok.status(token, pid)["fail_reason"] for pid in ids} == {"spam_risk_text"}


def test_5xx_on_init_creates_nothing(tiktok: Api, sandbox: TikTokSandbox) -> None:
    add_failure(tiktok, kind="http_error", endpoint="init", http_status=500)
    response = tiktok.init_photo(tiktok.token())
    assert error_of(response) == (500, "internal_error")
    assert sandbox.publishes() == []
    assert error_of(tiktok.init_photo(tiktok.token())) == (200, "ok")


def test_5xx_after_commit_leaves_a_publish_the_client_never_saw(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    add_failure(
        tiktok, kind="http_error", endpoint="content_init", http_status=502, after_commit=True
    )
    token = tiktok.token()
    lost = tiktok.init_photo(token)
    assert error_of(lost) == (502, "internal_error")
    assert lost.json()["data"] == {}
    retried = tiktok.publish_photo(token)
    manual_clock.advance(5)
    listing = tiktok.http.get("/__sandbox/publishes").json()
    assert [(p["init_http_status"], p["status"]) for p in listing] == [
        (502, "PUBLISH_COMPLETE"),
        (200, "PUBLISH_COMPLETE"),
    ]
    assert listing[1]["publish_id"] == retried
    duplicates = tiktok.http.get("/__sandbox/posts/duplicates").json()
    assert len(duplicates) == 1
    assert duplicates[0]["count"] == 2
    assert set(duplicates[0]["publish_ids"]) == {listing[0]["publish_id"], retried}


def test_429_burst_then_recovery_on_status(tiktok: Api) -> None:
    token = tiktok.token()
    publish_id = tiktok.publish_photo(token)
    add_failure(tiktok, kind="http_error", endpoint="status_fetch", http_status=429, count=3)
    codes = [error_of(tiktok.post(STATUS, token, {"publish_id": publish_id})) for _ in range(4)]
    assert codes == [(429, "rate_limit_exceeded")] * 3 + [(200, "ok")]


def test_5xx_on_status_and_http_200_with_error(tiktok: Api) -> None:
    token = tiktok.token()
    add_failure(tiktok, kind="http_error", endpoint="status_fetch", http_status=503)
    add_failure(
        tiktok,
        kind="http_error",
        endpoint="creator_info",
        http_status=200,
        error_code="spam_risk_too_many_posts",
    )
    publish_id = tiktok.publish_photo(token)
    assert error_of(tiktok.post(STATUS, token, {"publish_id": publish_id})) == (
        503,
        "internal_error",
    )
    info = tiktok.post(CREATOR_INFO, token)
    assert error_of(info) == (200, "spam_risk_too_many_posts")
    assert info.json()["data"] == {}
    assert error_of(tiktok.post(CREATOR_INFO, token)) == (200, "ok")


def test_token_endpoint_failure_injection(tiktok: Api) -> None:
    add_failure(
        tiktok,
        kind="http_error",
        endpoint="oauth_token",
        http_status=503,
        error_code="server_error",
    )
    response = tiktok.http.post("/v2/oauth/token/", data={"grant_type": "refresh_token"})
    assert response.status_code == 503
    assert response.json()["error"] == "server_error"


def test_bad_failure_rules_are_refused(tiktok: Api) -> None:
    for rule in (
        {"kind": "fail_publish", "fail_reason": "bored"},
        {"kind": "http_error"},
        {"kind": "http_error", "endpoint": "status_fetch", "after_commit": True},
        {"kind": "http_error", "endpoint": "creator_info", "chunk_index": 1},
        {"kind": "explode"},
    ):
        response = tiktok.http.post("/__sandbox/failures", json=rule)
        assert response.status_code == 400, rule
        assert response.json()["error"] == "bad_request"


def test_user_revokes_the_app_mid_flight(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock, hook: Hook
) -> None:
    token = tiktok.token()
    in_flight = tiktok.publish_photo(token)
    response = tiktok.http.post(f"/__sandbox/users/{CREATOR}/revoke", json={})
    assert response.json() == {"revoked_grants": 1}
    assert error_of(tiktok.post(STATUS, token, {"publish_id": in_flight})) == (
        401,
        "access_token_invalid",
    )
    status = tiktok.status(tiktok.token(), in_flight)  # the user connects the app again
    assert (status["status"], status["fail_reason"]) == ("FAILED", "auth_removed")
    assert wait_until(lambda: len(hook.received) >= 2)
    events = [json.loads(item["body"])["event"] for item in hook.received]
    assert events == ["post.publish.failed", "authorization.removed"]


def test_expired_access_token_admin_knob(tiktok: Api) -> None:
    token = tiktok.token()
    expired = tiktok.http.post(f"/__sandbox/users/{CREATOR}/expire_tokens")
    assert expired.json() == {"expired_tokens": 1}
    assert error_of(tiktok.post(CREATOR_INFO, token)) == (401, "access_token_invalid")


# --------------------------------------------------------------------------- admin API


def test_admin_users_app_and_options(tiktok: Api, sandbox: TikTokSandbox) -> None:
    created = tiktok.http.post(
        "/__sandbox/users",
        json={
            "open_id": "-000new",
            "username": "new.one",
            "display_name": "New One",
            "private_account": True,
            "comment_disabled": True,
            "max_video_post_duration_sec": 60,
        },
    )
    assert created.status_code == 201
    assert created.json()["private_account"] is True
    assert {u["open_id"] for u in tiktok.http.get("/__sandbox/users").json()} == {
        CREATOR,
        PRIVATE,
        OTHER,
        "-000new",
    }
    info = tiktok.post(CREATOR_INFO, tiktok.token("-000new")).json()["data"]
    assert info["creator_nickname"] == "New One"
    assert info["comment_disabled"] is True
    assert info["max_video_post_duration_sec"] == 60
    bad_user = tiktok.http.post(
        "/__sandbox/users", json={"open_id": "-000x", "username": "x", "x": 1}
    )
    assert bad_user.status_code == 400
    assert tiktok.http.get("/__sandbox/users/nobody").status_code == 404
    assert (
        tiktok.http.patch(f"/__sandbox/users/{CREATOR}", json={"fail_reason": "nope"}).status_code
        == 400
    )

    app = tiktok.http.patch(
        "/__sandbox/app",
        json={"audited": False, "verified_domains": ["media.slideforge.test"]},
    )
    assert app.status_code == 200
    assert app.json()["audited"] is False
    assert sandbox.app.verified_domains == ["media.slideforge.test"]
    assert (
        tiktok.http.patch(
            "/__sandbox/app", json={"redirect_uris": ["http://x.example/cb"]}
        ).status_code
        == 400
    )
    assert (
        tiktok.http.patch("/__sandbox/app", json={"verified_domains": ["10.0.0.1"]}).status_code
        == 400
    )

    options = tiktok.http.patch("/__sandbox/options", json={"moderation_seconds": 30})
    assert options.json()["moderation_seconds"] == 30
    assert tiktok.http.patch("/__sandbox/options", json={"nonsense": 1}).status_code == 400
    assert tiktok.http.get("/__sandbox/nothing-here").status_code == 404


def test_admin_clock(tiktok: Api, manual_clock: ManualClock) -> None:
    assert tiktok.http.get("/__sandbox/clock").json() == {
        "now": "2026-03-02T09:00:00.000Z",
        "manual": True,
    }
    advanced = tiktok.http.post("/__sandbox/clock/advance", json={"seconds": 90})
    assert advanced.json() == {"now": "2026-03-02T09:01:30.000Z"}
    moved = tiktok.http.post("/__sandbox/clock/set", json={"now": "2026-04-01T00:00:00Z"})
    assert moved.json() == {"now": "2026-04-01T00:00:00.000Z"}
    assert manual_clock.now() == datetime(2026, 4, 1, tzinfo=UTC)
    assert tiktok.http.post("/__sandbox/clock/advance", json={}).status_code == 400
    assert tiktok.http.post("/__sandbox/clock/set", json={"now": "yesterday"}).status_code == 400


def test_clock_control_needs_a_manual_clock() -> None:
    sandbox = TikTokSandbox()
    with pytest.raises(SandboxError) as caught:
        sandbox.advance_clock(5)
    assert caught.value.status == 409
    server = serve_in_thread(create_app(sandbox))
    try:
        response = httpx.post(f"{server.base_url}/__sandbox/clock/advance", json={"seconds": 1})
        assert response.status_code == 409
        assert httpx.get(f"{server.base_url}/__sandbox/clock").json()["manual"] is False
    finally:
        server.stop()


def test_admin_listing_records_what_was_received(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    token = tiktok.token()
    body = tiktok.photo_body(["a.jpg", "b.jpg"], cover=1)
    body["post_info"]["auto_add_music"] = True
    publish_id = tiktok.post("/v2/post/publish/content/init/", token, body).json()["data"][
        "publish_id"
    ]
    draft = tiktok.publish_photo(tiktok.token(OTHER), mode="MEDIA_UPLOAD", privacy=None)
    manual_clock.advance(2)
    listing = tiktok.http.get("/__sandbox/publishes").json()
    assert [p["publish_id"] for p in listing] == [publish_id, draft]
    first = listing[0]
    assert first["open_id"] == CREATOR
    assert first["post_mode"] == "DIRECT_POST"
    assert first["media_type"] == "PHOTO"
    assert first["post_info"] == body["post_info"]
    assert first["photo_urls"] == body["source_info"]["photo_images"]
    assert first["photo_cover_index"] == 1
    assert first["status"] == "PUBLISH_COMPLETE"
    assert first["created_at"] == "2026-03-02T09:00:00.000Z"
    assert (
        tiktok.http.get("/__sandbox/publishes", params={"open_id": OTHER}).json()[0]["status"]
        == "SEND_TO_USER_INBOX"
    )
    inbox = tiktok.http.get("/__sandbox/publishes", params={"status": "SEND_TO_USER_INBOX"})
    assert [p["publish_id"] for p in inbox.json()] == [draft]
    assert tiktok.http.get(f"/__sandbox/publishes/{publish_id}").json()["publish_id"] == publish_id
    assert tiktok.http.get("/__sandbox/publishes/p_pub_url~v2.0").status_code == 404
    posts = tiktok.http.get("/__sandbox/posts").json()
    assert [p["publish_id"] for p in posts] == [publish_id]
    not_a_draft = tiktok.http.post(f"/__sandbox/publishes/{publish_id}/publish_draft", json={})
    assert not_a_draft.status_code == 409
    requests = tiktok.http.get("/__sandbox/requests", params={"endpoint": "content_init"}).json()
    assert [(r["http_status"], r["publish_id"]) for r in requests] == [
        (200, publish_id),
        (200, draft),
    ]
    state = tiktok.http.get("/__sandbox/state").json()
    assert state["publishes"] == 2
    assert state["publishes_by_status"] == {"PUBLISH_COMPLETE": 1, "SEND_TO_USER_INBOX": 1}
    assert state["posts"] == 1


def test_duplicates_are_same_content_not_same_request(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    sandbox.update_options(rate_limits={})
    token = tiktok.token()
    tiktok.publish_photo(token, description="post one")
    tiktok.publish_photo(token, description="post two")
    tiktok.publish_photo(token, description="post one", names=["b.jpg", "a.jpg"])
    manual_clock.advance(2)
    assert sandbox.duplicate_posts() == []
    again = tiktok.publish_photo(token, description="post one")
    manual_clock.advance(2)
    duplicates = sandbox.duplicate_posts()
    assert len(duplicates) == 1
    assert duplicates[0]["count"] == 2
    assert again in duplicates[0]["publish_ids"]


def test_reset_forgets_state_and_can_restore_config(tiktok: Api, sandbox: TikTokSandbox) -> None:
    token = tiktok.token()
    tiktok.publish_photo(token)
    sandbox.update_app(audited=False)
    kept = tiktok.http.post("/__sandbox/reset", json={"keep_config": True})
    assert kept.status_code == 200
    assert sandbox.publishes() == []
    assert sandbox.app.audited is False
    assert error_of(tiktok.post(CREATOR_INFO, token)) == (401, "access_token_invalid")
    tiktok.http.post("/__sandbox/reset", json={"keep_config": False})
    assert sandbox.app.audited is True


# --------------------------------------------------------------------------- webhooks


def test_webhooks_are_signed_retried_and_in_order(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock, hook: Hook
) -> None:
    sandbox.update_options(webhook_retry_delays=[0.01, 0.01])
    hook.statuses.extend([500])  # the first delivery fails once
    token = tiktok.token()
    publish_id = tiktok.publish_photo(token)
    manual_clock.advance(2)  # PUBLISH_COMPLETE
    manual_clock.advance(2)  # publicly available
    assert wait_until(lambda: len(hook.received) >= 3)
    bodies = [json.loads(item["body"]) for item in hook.received]
    assert [body["event"] for body in bodies] == [
        "post.publish.complete",
        "post.publish.complete",
        "post.publish.publicly_available",
    ]
    for item, body in zip(hook.received, bodies, strict=True):
        assert body["client_key"] == "sbawtestclientkey"
        assert body["user_openid"] == CREATOR
        timestamp = int(item["signature"].split(",")[0][2:])
        expected = hmac.new(
            b"test-client-secret", f"{timestamp}.".encode() + item["body"], hashlib.sha256
        ).hexdigest()
        assert item["signature"] == f"t={timestamp},s={expected}"
        assert item["signature"] == sign_webhook("test-client-secret", timestamp, item["body"])
    assert json.loads(bodies[0]["content"]) == {
        "publish_id": publish_id,
        "publish_type": "DIRECT_PUBLISH",
    }
    public = json.loads(bodies[2]["content"])
    assert public["post_id"] == str(sandbox.posts()[0]["post_id"])
    assert bodies[0]["create_time"] == int(START.timestamp()) + 2
    # The receiver has the body before the sandbox records the attempt's answer.
    assert wait_until(
        lambda: all(d["delivered"] for d in tiktok.http.get("/__sandbox/webhooks").json())
    )
    deliveries = tiktok.http.get("/__sandbox/webhooks").json()
    assert [len(d["attempts"]) for d in deliveries] == [2, 1]


def test_webhooks_for_drafts_and_failures_with_duplicates(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock, hook: Hook
) -> None:
    sandbox.update_options(webhook_duplicates=2)
    token = tiktok.token()
    draft = tiktok.publish_photo(token, mode="MEDIA_UPLOAD", privacy=None)
    broken = tiktok.publish_photo(token, names=["slide.png"])
    manual_clock.advance(2)
    assert wait_until(lambda: len(hook.received) >= 4)
    contents = [
        (json.loads(item["body"])["event"], json.loads(json.loads(item["body"])["content"]))
        for item in hook.received
    ]
    assert sorted(contents, key=lambda c: (c[0], c[1]["publish_id"])) == [
        (
            "post.publish.failed",
            {
                "publish_id": broken,
                "reason": "file_format_check_failed",
                "publish_type": "DIRECT_PUBLISH",
            },
        ),
        (
            "post.publish.failed",
            {
                "publish_id": broken,
                "reason": "file_format_check_failed",
                "publish_type": "DIRECT_PUBLISH",
            },
        ),
        ("post.publish.inbox_delivered", {"publish_id": draft, "publish_type": "INBOX_SHARE"}),
        ("post.publish.inbox_delivered", {"publish_id": draft, "publish_type": "INBOX_SHARE"}),
    ]


# --------------------------------------------------------------------------- concurrency


def test_many_threads_publish_and_poll_without_losing_or_doubling(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock, base_url: str
) -> None:
    sandbox.update_options(rate_limits={}, daily_post_cap=1000)
    users = [f"-000load-{n}" for n in range(8)]
    for open_id in users:
        sandbox.add_user(open_id=open_id, username=open_id.strip("-"))
    tokens = {open_id: tiktok.token(open_id) for open_id in users}
    errors: list[str] = []
    lock = threading.Lock()

    def work(open_id: str) -> list[str]:
        ids = []
        with httpx.Client(base_url=base_url, timeout=15) as http:
            local = Api(http, sandbox, tiktok.media)
            for n in range(5):
                response = local.init_photo(tokens[open_id], description=f"{open_id} #{n}")
                if response.status_code != 200:
                    with lock:
                        errors.append(response.text)
                    continue
                publish_id = response.json()["data"]["publish_id"]
                ids.append(publish_id)
                local.status(tokens[open_id], publish_id)
        return ids

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, users))
    assert errors == []
    all_ids = [pid for ids in results for pid in ids]
    assert len(all_ids) == len(set(all_ids)) == 40
    manual_clock.advance(2)
    assert len(sandbox.posts()) == 40
    assert sandbox.duplicate_posts() == []
    assert {p["status"] for p in sandbox.publishes()} == {"PUBLISH_COMPLETE"}
