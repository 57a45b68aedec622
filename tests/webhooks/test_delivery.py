"""Delivery end to end: posts on the TikTok sandbox and slideshow renders reach a loopback
receiver as signed Standard Webhooks; retries keep the webhook-id; backoff is scheduled as
delayed workflows; redirects are not followed; a deleted endpoint stops; the sweep delivers
rows whose enqueue was lost."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from dbos import DBOS

from platform_sandbox.server import free_port
from slideforge.kit.clock import parse_timestamp
from slideforge.models import WebhookDelivery
from slideforge.runtime import Runtime
from slideforge.webhooks import workflows
from tests.conftest import Web
from tests.helpers import ApiClient, ok
from tests.posts.test_endpoints import body
from tests.posts.test_publish import wait_post
from tests.sandboxes import TikTokEnv
from tests.slideshows.support import make_pack, manual
from tests.webhooks.receiver import Call, Receiver


def hook(api: ApiClient, url: str, events: list[str] | None = None) -> tuple[str, str]:
    """(webhook id, secret)"""
    payload: dict[str, Any] = {"url": url}
    if events is not None:
        payload["events"] = events
    created = ok(api.post("/webhooks", json=payload), 201)
    return created["id"], created["secret"]


def payloads(calls: list[Call], secret: str) -> list[dict[str, Any]]:
    """Every call's payload, each signature verified."""
    return [call.verified(secret) for call in calls]


def deliveries(api: ApiClient, webhook_id: str) -> list[dict[str, Any]]:
    data = ok(api.get(f"/webhooks/{webhook_id}/deliveries", params={"limit": 100}))
    return list(data["deliveries"])


def wait_deliveries(
    api: ApiClient, webhook_id: str, until: Any, timeout: float = 30
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        rows = deliveries(api, webhook_id)
        if until(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(json.dumps(rows, indent=1)[:3000])
        time.sleep(0.2)


def rendered_slideshow(api: ApiClient, web: Web) -> str:
    pack_id, _ = make_pack(api, web, count=1)
    generated = ok(
        api.post(
            "/slideshows/generate",
            json=manual(pack_id, slide_config={"total_slides": 1, "slide_texts": {"0": "Hi"}}),
        )
    )
    ok(api.post(f"/slideshows/{generated['id']}/render"))
    return str(generated["id"])


@pytest.fixture
def short_backoff(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    delays = [0.5, 1.0, 1.5]
    monkeypatch.setattr(runtime.settings, "webhook_retry_delays", delays)
    return delays


def test_post_outcomes_arrive_signed(
    api: ApiClient, tiktok: TikTokEnv, web: Web, receiver: Receiver
) -> None:
    inbox = receiver.inbox()
    webhook_id, secret = hook(api, inbox.url)
    good, bad, half = tiktok.connect(api), tiktok.connect(api), tiktok.connect(api)
    bad2, unsure = tiktok.connect(api), tiktok.connect(api)
    for refused in (bad, bad2):
        tiktok.sandbox.add_failure(
            kind="fail_publish", fail_reason="spam_risk_text", open_id=tiktok.open_id(refused)
        )
    tiktok.sandbox.add_failure(
        kind="http_error",
        endpoint="content_init",
        http_status=500,
        error_code="internal_error",
        after_commit=True,
        open_id=tiktok.open_id(unsure),
    )
    posted = ok(api.post("/posts", json=body(web, [good], external_id="wh-ok")), 201)
    failed = ok(api.post("/posts", json=body(web, [bad], caption="buy now")), 201)
    partial = ok(api.post("/posts", json=body(web, [half, bad2], caption="half")), 201)
    unknown = ok(api.post("/posts", json=body(web, [unsure], caption="unsure")), 201)
    for post in (posted, failed, partial, unknown):
        wait_post(api, post["id"])
    # 1 published (+1 target, +1 public id), 1 failed, 1 partial (+1 target, +1 public id),
    # 1 outcome_unknown
    inbox.wait(lambda calls: len(calls) >= 8)
    time.sleep(1.0)  # and nothing more
    calls = inbox.received()
    assert len(calls) == 8
    events = payloads(calls, secret)  # every signature checks out
    for call in calls:
        assert call.headers["content-type"] == "application/json"
        assert call.headers["user-agent"].startswith("slideforge-webhooks/")
        assert abs(int(call.headers["webhook-timestamp"]) - time.time()) < 60
    by_post: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in events:
        by_post.setdefault((event["type"], event["data"]["post_id"]), []).append(event)
        parse_timestamp(event["timestamp"])

    # One post-level event per post, with every account's outcome.
    published = by_post[("post.published", posted["id"])]
    assert len(published) == 1
    data = published[0]["data"]
    assert data["status"] == "posted" and data["external_id"] == "wh-ok"
    assert data["counts"] == {"posted": 1, "failed": 0, "outcome_unknown": 0}
    (target,) = data["targets"]
    assert target["account_id"] == good and target["status"] == "posted"
    assert target["published_url"].startswith("https://www.tiktok.com/@")

    (live,) = by_post[("post.target.published", posted["id"])]
    assert live["data"]["account_id"] == good and live["data"]["target_id"] == target["target_id"]
    assert live["data"]["published_url"] == target["published_url"]
    assert live["data"]["status"] == "posted" and live["data"]["post_status"] == "posted"
    # Its public id (after the sandbox's moderation delay), in an event of its own.
    (public,) = by_post[("post.target.publicly_available", posted["id"])]
    assert public["data"]["platform_post_id"] and not public["data"]["from_draft"]
    assert public["data"]["published_url"].endswith("/photo/" + public["data"]["platform_post_id"])

    (fail,) = by_post[("post.failed", failed["id"])]
    assert fail["data"]["status"] == "failed"
    assert fail["data"]["targets"][0]["error_code"] == "spam_risk_text"
    assert "spam" in fail["data"]["targets"][0]["error_message"]

    (mixed,) = by_post[("post.partial", partial["id"])]
    outcomes = {t["account_id"]: t["status"] for t in mixed["data"]["targets"]}
    assert outcomes == {half: "posted", bad2: "failed"}
    assert len(by_post[("post.target.published", partial["id"])]) == 1
    assert len(by_post[("post.target.publicly_available", partial["id"])]) == 1

    (maybe,) = by_post[("post.outcome_unknown", unknown["id"])]
    assert maybe["data"]["targets"][0]["status"] == "outcome_unknown"
    assert ("post.target.published", unknown["id"]) not in by_post
    assert ("post.failed", posted["id"]) not in by_post

    # The deliveries list shows each one delivered after one attempt, its id the webhook-id.
    rows = wait_deliveries(
        api, webhook_id, lambda rows: all(r["status"] == "delivered" for r in rows)
    )
    assert {r["id"] for r in rows} == {c.id for c in calls}
    assert len(rows) == 8
    for row in rows:
        assert row["webhook_id"] == webhook_id and row["attempt_count"] == 1
        assert row["attempts"][0]["status_code"] == 200 and row["attempts"][0]["error"] is None
        assert row["next_attempt_at"] is None and row["delivered_at"]
        assert row["summary"] and row["payload"]["type"] == row["type"]


def test_an_endpoint_gets_only_its_events(
    api: ApiClient, tiktok: TikTokEnv, web: Web, receiver: Receiver
) -> None:
    failures, everything = receiver.inbox(), receiver.inbox()
    hook(api, failures.url, ["post.failed"])
    _, secret = hook(api, everything.url)
    account = tiktok.connect(api)
    created = ok(api.post("/posts", json=body(web, [account])), 201)
    assert wait_post(api, created["id"])["status"] == "posted"
    everything.wait_types(
        "post.published", "post.target.published", "post.target.publicly_available"
    )
    time.sleep(1.0)
    assert failures.received() == []
    assert len(payloads(everything.received(), secret)) == 3


def test_slideshow_rendered(api: ApiClient, web: Web, receiver: Receiver) -> None:
    inbox = receiver.inbox()
    _, secret = hook(api, inbox.url, ["slideshow.rendered"])
    slideshow_id = rendered_slideshow(api, web)
    (call,) = inbox.wait_types("slideshow.rendered")
    event = call.verified(secret)
    data = event["data"]
    current = ok(api.get(f"/slideshows/{slideshow_id}"))
    assert data["slideshow_id"] == slideshow_id and data["status"] == "rendered"
    assert data["slide_count"] == 1
    assert data["rendered_image_urls"] == current["rendered_image_urls"]
    assert data["preview_image_url"] == current["preview_image_url"]


def test_500_then_200_is_retried_with_the_same_id(
    api: ApiClient, web: Web, receiver: Receiver, short_backoff: list[float]
) -> None:
    inbox = receiver.inbox(500, 503)
    webhook_id, secret = hook(api, inbox.url, ["slideshow.rendered"])
    rendered_slideshow(api, web)
    calls = inbox.wait(lambda calls: any(c.answered == 200 for c in calls))
    assert [c.answered for c in calls] == [500, 503, 200]
    assert len({c.id for c in calls}) == 1  # the same webhook-id on every attempt
    assert len({c.body for c in calls}) == 1
    for call in calls:
        assert call.verified(secret)["type"] == "slideshow.rendered"
    # Backoff between the attempts (DBOS delayed workflows: at least the configured waits).
    assert calls[1].at - calls[0].at >= short_backoff[0] - 0.05
    assert calls[2].at - calls[1].at >= short_backoff[1] - 0.05
    (row,) = wait_deliveries(api, webhook_id, lambda rows: rows[0]["status"] == "delivered")
    assert row["id"] == calls[0].id and row["attempt_count"] == 3
    assert [a["status_code"] for a in row["attempts"]] == [500, 503, 200]
    assert "HTTP 500" in row["attempts"][0]["error"] and row["attempts"][2]["error"] is None
    assert row["attempts"][0]["response"] == "receiver says no"
    assert [a["attempt"] for a in row["attempts"]] == [1, 2, 3]


def test_retry_after_of_a_busy_receiver_is_honoured(
    api: ApiClient, web: Web, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> None:
    """429 with Retry-After: 2 waits 2 s, not the scheduled 0.5 s; where the schedule asks
    for longer, the schedule wins."""
    monkeypatch.setattr(runtime.settings, "webhook_retry_delays", [0.5, 3.0])
    inbox = receiver.inbox(429, 503)
    inbox.retry_after = "2"
    webhook_id, _ = hook(api, inbox.url, ["slideshow.rendered"])
    rendered_slideshow(api, web)
    calls = inbox.wait(lambda calls: any(c.answered == 200 for c in calls), timeout=45)
    assert [c.answered for c in calls] == [429, 503, 200]
    assert calls[1].at - calls[0].at >= 2 - 0.05
    # the second wait: the schedule says 3 s, Retry-After 2 s: the longer one
    assert calls[2].at - calls[1].at >= 3 - 0.05
    (row,) = wait_deliveries(api, webhook_id, lambda rows: rows[0]["status"] == "delivered")
    assert [a["retry_after"] for a in row["attempts"]] == [2, 2, None]


def test_retry_after_is_capped_at_the_longest_scheduled_delay(
    api: ApiClient, web: Web, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> None:
    monkeypatch.setattr(runtime.settings, "webhook_retry_delays", [1.0])
    inbox = receiver.inbox(503)
    inbox.retry_after = "86400"  # a day: a receiver cannot park our queue for that long
    hook(api, inbox.url, ["slideshow.rendered"])
    rendered_slideshow(api, web)
    calls = inbox.wait(lambda calls: any(c.answered == 200 for c in calls), timeout=30)
    assert [c.answered for c in calls] == [503, 200]
    assert 1 - 0.05 <= calls[1].at - calls[0].at < 15


def test_receiver_down_backs_off_then_fails(
    api: ApiClient, web: Web, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays = [2.0, 0.5]
    monkeypatch.setattr(runtime.settings, "webhook_retry_delays", delays)
    down = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    webhook_id, _ = hook(api, down, ["slideshow.rendered"])
    rendered_slideshow(api, web)
    (row,) = wait_deliveries(api, webhook_id, lambda rows: rows and rows[0]["attempt_count"] == 1)
    # The next attempt is scheduled (a delayed workflow), not slept on.
    assert row["status"] == "pending"
    first = parse_timestamp(row["attempts"][0]["at"])
    assert parse_timestamp(row["next_attempt_at"]) == first + timedelta(seconds=2)
    (row,) = wait_deliveries(api, webhook_id, lambda rows: rows[0]["status"] == "failed")
    assert row["attempt_count"] == len(delays) + 1 == 3
    assert row["next_attempt_at"] is None and row["delivered_at"] is None
    for attempt in row["attempts"]:
        assert attempt["status_code"] is None and "could not connect" in attempt["error"]
    times = [parse_timestamp(a["at"]) for a in row["attempts"]]
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    for gap, delay in zip(gaps, delays, strict=True):
        assert gap >= delay - 0.05


def test_the_default_schedule_is_8_attempts_over_about_a_day(runtime: Runtime) -> None:
    from slideforge.config import Settings

    delays = Settings().webhook_retry_delays
    assert len(delays) + 1 == 8
    assert delays == sorted(delays)
    assert 20 * 3600 <= sum(delays) <= 28 * 3600
    assert runtime.settings.webhook_timeout_seconds <= 15


def test_redirects_are_not_followed(
    api: ApiClient, web: Web, receiver: Receiver, short_backoff: list[float]
) -> None:
    target = receiver.inbox()
    webhook_id, _ = hook(api, receiver.redirect_to(target.url), ["slideshow.rendered"])
    rendered_slideshow(api, web)
    (row,) = wait_deliveries(api, webhook_id, lambda rows: rows and rows[0]["attempt_count"] >= 1)
    first = row["attempts"][0]
    assert first["status_code"] == 307 and "redirects are not followed" in first["error"]
    assert target.received() == []


def test_a_deleted_endpoint_stops_its_pending_deliveries(
    api: ApiClient, web: Web, receiver: Receiver, short_backoff: list[float]
) -> None:
    inbox = receiver.inbox(500, 500, 500, 500)
    webhook_id, _ = hook(api, inbox.url, ["slideshow.rendered"])
    rendered_slideshow(api, web)
    inbox.wait(lambda calls: len(calls) >= 1)
    ok(api.delete(f"/webhooks/{webhook_id}"))
    seen = len(inbox.received())
    time.sleep(sum(short_backoff) + 1.5)
    assert len(inbox.received()) == seen <= 2


def test_the_sweep_delivers_a_row_whose_enqueue_was_lost(
    api: ApiClient, runtime: Runtime, receiver: Receiver
) -> None:
    """What a crash right after the commit leaves: a pending row and no workflow."""
    inbox = receiver.inbox()
    webhook_id, secret = hook(api, inbox.url)
    delivery_id = uuid.uuid4()
    past = runtime.clock.now() - timedelta(minutes=5)
    payload = {"type": "slideshow.rendered", "timestamp": "2026-01-01T00:00:00.000Z", "data": {}}
    with runtime.db.session() as session:
        session.add(
            WebhookDelivery(
                id=delivery_id,
                workspace_id=api.workspace_id,
                endpoint_id=uuid.UUID(webhook_id),
                event_type="slideshow.rendered",
                payload=payload,
                status="pending",
                next_attempt_at=past,
                created_at=past,
            )
        )
    assert workflows.sweep(runtime) >= 1
    (call,) = inbox.wait(lambda calls: len(calls) == 1)
    assert call.id == str(delivery_id) and call.verified(secret) == payload
    wait_deliveries(api, webhook_id, lambda rows: rows[0]["status"] == "delivered")
    # Swept again: nothing is sent twice.
    workflows.sweep(runtime)
    time.sleep(1.0)
    assert len(inbox.received()) == 1


def test_a_cancelled_attempt_is_started_again_by_the_sweep(
    api: ApiClient, runtime: Runtime, receiver: Receiver
) -> None:
    """An attempt's workflow that ended without recording the attempt (here: cancelled)."""
    inbox = receiver.inbox()
    webhook_id, secret = hook(api, inbox.url)
    delivery_id = str(uuid.uuid4())
    past = runtime.clock.now() - timedelta(minutes=5)
    with runtime.db.session() as session:
        session.add(
            WebhookDelivery(
                id=uuid.UUID(delivery_id),
                workspace_id=api.workspace_id,
                endpoint_id=uuid.UUID(webhook_id),
                event_type="slideshow.rendered",
                payload={"type": "slideshow.rendered", "timestamp": "t", "data": {}},
                status="pending",
                next_attempt_at=past,
                created_at=past,
            )
        )
    workflows.enqueue(delivery_id, 1, delay=3600)
    DBOS.cancel_workflow(workflows.workflow_id(delivery_id, 1))
    assert workflows.sweep(runtime) >= 1
    (call,) = inbox.wait(lambda calls: len(calls) == 1)
    assert call.id == delivery_id and call.verified(secret)["type"] == "slideshow.rendered"
    (row,) = wait_deliveries(api, webhook_id, lambda rows: rows[0]["status"] == "delivered")
    assert row["attempt_count"] == 1


def test_a_slow_receiver_times_out(
    api: ApiClient,
    web: Web,
    runtime: Runtime,
    receiver: Receiver,
    short_backoff: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime.settings, "webhook_timeout_seconds", 0.5)
    inbox = receiver.inbox()
    inbox.delays = [2.0]  # the first answer only
    webhook_id, _ = hook(api, inbox.url, ["slideshow.rendered"])
    rendered_slideshow(api, web)
    (row,) = wait_deliveries(api, webhook_id, lambda rows: rows and rows[0]["attempt_count"] >= 1)
    first = row["attempts"][0]
    assert first["status_code"] is None and "no answer within 0.5 s" in first["error"]
    assert first["duration_ms"] < 1500
    (row,) = wait_deliveries(api, webhook_id, lambda rows: rows[0]["status"] == "delivered")
    assert row["attempts"][-1]["status_code"] == 200
