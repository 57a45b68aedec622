"""The loop end to end against the three sandboxes over HTTP, on one clock: post, let the
clock run, read growing metrics at the 1 h and 48 h snapshots linked to the post by id and
external id; then an experiment of 3 hook variants whose ranked result is recomputed here from
its snapshots."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from platform_sandbox.server import RunningServer
from slideforge.analytics.workflows import sweep_once
from slideforge.kit.clock import ManualClock
from slideforge.runtime import Runtime
from tests.analytics.loop_sandboxes import LoopSandboxes, loop_sandboxes
from tests.conftest import Web
from tests.helpers import ApiClient, ok
from tests.slideshows.support import make_pack, manual


def rendered(api: ApiClient, web: Web, texts: list[str]) -> str:
    pack_id, _ = make_pack(api, web, count=len(texts))
    body = manual(
        pack_id,
        aspect_ratio="4:5",
        slide_config={
            "total_slides": len(texts),
            "slide_texts": {str(i): text for i, text in enumerate(texts)},
        },
    )
    slideshow_id = str(ok(api.post("/slideshows/generate", json=body))["id"])
    ok(api.post(f"/slideshows/{slideshow_id}/render"))
    return slideshow_id


def run_until(
    clock: ManualClock, done: Callable[[], bool], *, step: float = 2.0, limit: float = 90
) -> None:
    """Move the clock a little at a time (the sandboxes process on it) until ``done``."""
    deadline = time.monotonic() + limit
    while not done():
        assert time.monotonic() < deadline, "timed out"
        clock.advance(seconds=step)
        time.sleep(0.2)


def posted(api: ApiClient, post_ids: list[str]) -> Callable[[], bool]:
    def check() -> bool:
        return all(ok(api.get(f"/posts/{p}"))["status"] in ("posted", "failed") for p in post_ids)

    return check


def rows_of(api: ApiClient, **query: str) -> list[dict[str, Any]]:
    params = "&".join(f"{k}={v}" for k, v in {"range": "90d", "limit": "100", **query}.items())
    data = ok(api.get(f"/analytics/summary/posts?{params}"))
    rows: list[dict[str, Any]] = data["posts"]
    return rows


@pytest.fixture
def boxes(
    runtime: Runtime, server: RunningServer, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LoopSandboxes]:
    with loop_sandboxes(runtime, server, clock, monkeypatch) as sandboxes:
        yield sandboxes


def test_post_then_metrics_grow_at_the_milestones(
    api: ApiClient, clock: ManualClock, web: Web, boxes: LoopSandboxes
) -> None:
    accounts = [
        boxes.tiktok.connect(api),
        boxes.instagram.connect(api),
        boxes.pinterest.connect(api),
    ]
    slideshow_id = rendered(api, web, ["Stop scrolling: 3 hooks that work", "Number two"])
    urls = ok(api.get(f"/slideshows/{slideshow_id}"))["rendered_image_urls"]
    common = {
        "caption": "Three hooks that work #hooks",
        "media": {"type": "slideshow", "urls": urls},
    }
    # TikTok settings go with TikTok accounts only: one post there, one on the others.
    tiktok_post = ok(
        api.post(
            "/posts",
            json={
                **common,
                "accounts": [{"id": accounts[0]}],
                "external_id": "loop-tt",
                "tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE"},
            },
        ),
        201,
    )
    meta_post = ok(
        api.post(
            "/posts",
            json={
                **common,
                "accounts": [{"id": a} for a in accounts[1:]],
                "external_id": "loop-2",
            },
        ),
        201,
    )
    post_ids = {tiktok_post["id"]: "loop-tt", meta_post["id"]: "loop-2"}
    run_until(clock, posted(api, list(post_ids)))
    for post_id in post_ids:
        states = ok(api.get(f"/posts/{post_id}"))["accounts"]["states"]
        assert {s["status"] for s in states} == {"posted"}, states
    sweep_once()
    rows = rows_of(api)
    assert len(rows) == 3, rows
    assert {(r["genviralPostId"], r["externalId"]) for r in rows} == set(post_ids.items())
    assert {r["platform"] for r in rows} == {"tiktok", "instagram", "pinterest"}
    assert {r["hook"] for r in rows} == {"Stop scrolling: 3 hooks that work"}
    assert {r["slideshowId"] for r in rows} == {slideshow_id}

    clock.advance(hours=1)
    sweep_once()
    clock.advance(hours=47)
    sweep_once()
    for row in rows_of(api):
        detail = ok(api.get(f"/analytics/posts/{row['analyticsId']}"))
        assert detail["platformPostId"], detail
        assert detail["linkState"] == "linked"
        labels = [s["milestone"] for s in detail["snapshots"]]
        assert labels == ["1h", "48h"], (row["platform"], detail)
        first, second = detail["snapshots"]
        assert second["views"] > first["views"] > 0, (row["platform"], detail["snapshots"])
        assert second["ageSeconds"] >= 48 * 3600
        assert detail["views"] == second["views"]
        assert detail["milestonesDue"] == ["7d", "30d"]
    summary = ok(api.get("/analytics/summary?range=14d"))
    assert summary["kpis"]["publishedVideos"]["value"] == 3
    assert summary["kpis"]["views"]["value"] == sum(r["views"] for r in rows_of(api))


def test_experiment_with_three_hooks_is_ranked_from_its_snapshots(
    api: ApiClient, clock: ManualClock, web: Web, boxes: LoopSandboxes
) -> None:
    # One account a post: each is free now (the pacing rules would delay a second one).
    for _ in range(6):
        boxes.tiktok.connect(api, tags=["exp"])
    base = rendered(api, web, ["Base hook", "Body slide"])
    hooks = ["Nobody tells you this", "I tried it for 30 days", "Stop doing this"]
    experiment = ok(
        api.post(
            "/experiments",
            json={
                "name": "Three hooks",
                "caption": "Hook test #experiment",
                "slideshow_id": base,
                "variants": [{"name": f"H{i + 1}", "hook": h} for i, h in enumerate(hooks)],
                "posts_per_variant": 2,
                "spacing_minutes": 0,
                "account_selection": {"tag": "exp", "platform": "tiktok"},
                "tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE"},
                "metric": "views",
                "age_hours": 48,
            },
        ),
        201,
    )
    assert experiment["status"] == "scheduled"
    assert [v["hook"] for v in experiment["variants"]] == hooks
    post_ids = [p["post_id"] for p in experiment["posts"]]
    assert len(post_ids) == 6
    assert [p["variant"] for p in experiment["posts"]] == ["H1", "H2", "H3"] * 2
    used = [p["accounts"][0]["account_id"] for p in experiment["posts"]]
    assert len(set(used)) == 6, experiment["posts"]
    run_until(clock, posted(api, post_ids), limit=180)
    # TikTok shows the public ids after moderation (30 s on this clock).
    clock.advance(seconds=60)
    sweep_once()
    clock.advance(hours=1)
    sweep_once()
    clock.advance(hours=47)
    sweep_once()
    result = ok(api.get(f"/experiments/{experiment['id']}"))
    assert result["status"] == "completed", result
    groups = result["result"]["groups"]
    assert {g["key"] for g in groups} == {"H1", "H2", "H3"}
    means = []
    for group in groups:
        values = []
        for post in group["posts"]:
            detail = ok(api.get(f"/analytics/posts/{post['analyticsId']}"))
            at_48 = [s for s in detail["snapshots"] if s["ageSeconds"] >= 48 * 3600]
            assert at_48, detail
            assert post["value"] == at_48[0]["views"]
            values.append(at_48[0]["views"])
        assert group["n"] == len(values) == 2
        assert group["mean"] == round(statistics.fmean(values), 2)
        half = 12.706 * statistics.stdev(values) / math.sqrt(2)
        assert group["ci95"] == {
            "low": round(max(statistics.fmean(values) - half, 0), 2),
            "high": round(statistics.fmean(values) + half, 2),
        }
        means.append(group["mean"])
    assert means == sorted(means, reverse=True)
    assert [g["rank"] for g in groups] == [1, 2, 3]
    assert result["result"]["verdict"]["leader"] == groups[0]["key"]
    listed = ok(api.get("/experiments"))["experiments"]
    assert [(e["id"], e["status"], e["post_count"]) for e in listed] == [
        (experiment["id"], "completed", 6)
    ]
    assert listed[0]["variants"] == ["H1", "H2", "H3"]
    same = ok(api.get(f"/analytics/experiments?experiment_id={experiment['id']}"))
    assert [g["mean"] for g in same["groups"]] == means
