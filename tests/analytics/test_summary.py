"""GET /analytics/summary, /analytics/summary/posts, /trends/brief and /analytics/experiments
through HTTP over rows stored as the sweep stores them: each figure is recomputed here from the
rows, and every bad query answers 422 invalid_query."""

from __future__ import annotations

import math
import statistics
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from slideforge.kit.clock import ManualClock
from slideforge.runtime import Runtime
from tests.analytics.seed import seed_post
from tests.analytics.test_targets import make_target
from tests.helpers import ApiClient, err, ok

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def noon(clock: ManualClock) -> ManualClock:
    clock.set(NOON)
    return clock


def counters(views: int, likes: int, comments: int = 0, shares: int = 0) -> dict[str, int]:
    return {"views": views, "likes": likes, "comments": comments, "shares": shares}


def test_summary_kpis_deltas_series_streak(
    api: ApiClient, runtime: Runtime, noon: ManualClock
) -> None:
    target = make_target(api)
    ws = api.workspace_id
    # This period (the last 14 days): three posts on two consecutive days and one earlier.
    seed_post(
        runtime,
        ws,
        target,
        NOON - timedelta(hours=2),
        snapshots=[(1, counters(1000, 100, 10, 5))],
        media_type="slideshow",
    )
    seed_post(
        runtime,
        ws,
        target,
        NOON - timedelta(days=1, hours=3),
        snapshots=[(24, counters(500, 20))],
        media_type="slideshow",
    )
    seed_post(
        runtime,
        ws,
        target,
        NOON - timedelta(days=5),
        snapshots=[(24, counters(300, 30))],
        media_type="video",
    )
    # The 14 days before: one post.
    seed_post(
        runtime,
        ws,
        target,
        NOON - timedelta(days=20),
        snapshots=[(48, counters(900, 9))],
        media_type="slideshow",
    )
    data = ok(api.get("/analytics/summary?range=14d"))
    kpis = data["kpis"]
    assert kpis["publishedVideos"] == {"value": 3, "previous": 1, "delta": 2, "deltaPercent": 200.0}
    assert kpis["views"]["value"] == 1800
    assert kpis["views"]["previous"] == 900
    assert kpis["activeAccounts"]["value"] == 1
    interactions = 100 + 10 + 5 + 20 + 30
    assert kpis["engagementRate"]["value"] == round(100 * interactions / 1800, 2)
    assert kpis["engagementRate"]["previous"] == round(100 * 9 / 900, 2)
    assert len(data["interactionSeries"]) == 15  # 14 days back to now, by UTC day
    assert sum(d["posts"] for d in data["interactionSeries"]) == 3
    assert sum(d["views"] for d in data["interactionSeries"]) == 1800
    assert data["postingStreak"]["current"] == 2
    assert data["postingStreak"]["longest"] == 2
    assert data["postingStreak"]["lastPostDate"] == NOON.date().isoformat()
    heat = {(h["dayOfWeek"], h["hour"]): h["posts"] for h in data["postingHeatmap"]}
    assert heat[(NOON.weekday(), 10)] == 1
    mix = {(m["platform"], m["mediaType"]): m["posts"] for m in data["contentMix"]}
    assert mix == {("tiktok", "slideshow"): 2, ("tiktok", "video"): 1}
    # start/end: inclusive UTC days.
    day = (NOON - timedelta(days=1)).date().isoformat()
    one_day = ok(api.get(f"/analytics/summary?start={day}&end={day}"))
    assert one_day["kpis"]["publishedVideos"]["value"] == 1
    assert len(one_day["interactionSeries"]) == 1
    # Filters: the target list, the platforms.
    assert (
        ok(api.get(f"/analytics/summary?range=14d&accounts={target}"))["kpis"]["views"]["value"]
        == 1800
    )
    assert (
        ok(api.get("/analytics/summary?range=14d&platforms=instagram"))["kpis"]["views"]["value"]
        == 0
    )


@pytest.mark.parametrize(
    "query",
    [
        "range=7d",
        "range=forever",
        "start=2026-11-01",
        "end=2026-11-01",
        "start=2026-11-05&end=2026-11-01",
        "start=2026-02-30&end=2026-03-01",
        "accounts=not-a-uuid",
        "accounts=0b1e9c1e-5d2c-4c56-9a53-7e0f3c1d2a4b",  # a tracked account of nobody
    ],
)
def test_summary_refuses_bad_queries(api: ApiClient, query: str) -> None:
    failure = err(api.get(f"/analytics/summary?{query}"), 422, "invalid_query")
    assert failure["message"]


def test_posts_rows_sorting_and_aliases(
    api: ApiClient, runtime: Runtime, noon: ManualClock
) -> None:
    target = make_target(api)
    ws = api.workspace_id
    post_id = uuid.uuid4()
    ids = [
        seed_post(
            runtime,
            ws,
            target,
            NOON - timedelta(hours=h),
            snapshots=[(1, counters(v, lk))],
            post_id=post_id if h == 3 else None,
            external_id="ext-3" if h == 3 else None,
        )
        for h, v, lk in [(1, 50, 5), (2, 500, 1), (3, 5000, 50)]
    ]
    data = ok(api.get("/analytics/summary/posts?range=30d&sortBy=views&sortOrder=desc&limit=2"))
    assert data["totalCount"] == 3
    assert [p["analyticsId"] for p in data["posts"]] == [ids[2], ids[1]]
    top = data["posts"][0]
    assert top["id"] == top["analyticsId"]
    assert top["genviralPostId"] == str(post_id)
    assert top["externalId"] == "ext-3"
    assert top["platformPostId"]
    assert top["engagementRate"] == round(100 * 50 / 5000, 2)
    aliased = ok(
        api.get("/analytics/summary/posts?sort_by=likes&sort_order=asc&platform=tiktok&offset=1")
    )
    assert [p["likes"] for p in aliased["posts"]] == [5, 50]
    newest = ok(api.get("/analytics/summary/posts"))
    assert [p["analyticsId"] for p in newest["posts"]] == ids
    err(api.get("/analytics/summary/posts?limit=0"), 422, "invalid_payload")
    err(api.get("/analytics/summary/posts?limit=101"), 422, "invalid_payload")
    err(api.get("/analytics/summary/posts?offset=10001"), 422, "invalid_payload")
    err(api.get("/analytics/summary/posts?sortBy=saves"), 422, "invalid_query")
    err(api.get("/analytics/summary/posts?sortOrder=up"), 422, "invalid_query")


def test_trend_brief_from_observed_posts(
    api: ApiClient, runtime: Runtime, noon: ManualClock
) -> None:
    target = make_target(api)
    ws = api.workspace_id
    for i in range(4):
        seed_post(
            runtime,
            ws,
            target,
            NOON - timedelta(days=1, hours=i),
            snapshots=[(24, counters(1000 * (i + 1), 10))],
            caption=f"Morning routine part {i} #skincare #routine",
            hashtags=["skincare", "routine"],
            sound_id="s1",
            sound_name="calm beat",
            author="glowco",
        )
    seed_post(
        runtime,
        ws,
        target,
        NOON - timedelta(days=2),
        snapshots=[(24, counters(99999, 10))],
        caption="unrelated #cars",
        hashtags=["cars"],
    )
    data = ok(api.get("/trends/brief?platform=tiktok&keyword=skincare&limit=2&range=7d"))
    summary = data["summary"]
    assert summary["analyzed_video_count"] == 4
    tags = {t["hashtag"]: t for t in summary["top_hashtags"]}
    assert tags["skincare"]["videos_count"] == 4
    assert tags["skincare"]["avg_views"] == 2500.0
    assert "cars" not in tags
    assert summary["top_sounds"][0]["sound_name"] == "calm beat"
    assert summary["top_sounds"][0]["usage_count"] == 4
    assert summary["top_creators"][0]["handle"] == "glowco"
    assert summary["top_creators"][0]["total_views"] == 10000
    assert len(data["evidence"]["sample_videos"]) == 2
    assert data["evidence"]["sample_videos"][0]["views"] == 4000
    assert data["recommendations"]["hook_angles"][0].startswith("Morning routine part 3")
    assert data["note"] and "only 4" in data["note"]
    assert data["generated_at"]
    # Cached per platform, keyword and range: limit only cuts the samples.
    again = ok(api.get("/trends/brief?platform=tiktok&keyword=skincare&limit=3&range=7d"))
    assert again["cached"] is True
    assert len(again["evidence"]["sample_videos"]) == 3
    err(api.get("/trends/brief?platform=instagram&keyword=x"), 422, "invalid_query")
    err(api.get("/trends/brief?keyword=x&range=1y"), 422, "invalid_query")
    err(api.get("/trends/brief?keyword=x&limit=31"), 422, "invalid_payload")


def test_experiment_ranking_recomputes(api: ApiClient, runtime: Runtime, noon: ManualClock) -> None:
    target = make_target(api)
    ws = api.workspace_id
    views = {"Hook A": [900, 1100, 1000], "Hook B": [300, 350, 250], "Hook C": [600]}
    for hook, values in views.items():
        for i, value in enumerate(values):
            seed_post(
                runtime,
                ws,
                target,
                NOON - timedelta(days=3, hours=i),
                snapshots=[
                    (1, counters(value // 10, 1)),
                    (48, counters(value, 10)),
                    (60, counters(value * 2, 10)),
                ],
                hook=hook,
                post_id=uuid.uuid4(),
            )
    # Too young for 48 h: pending, not counted.
    seed_post(
        runtime,
        ws,
        target,
        NOON - timedelta(hours=5),
        snapshots=[(1, counters(5, 0))],
        hook="Hook B",
        post_id=uuid.uuid4(),
    )
    data = ok(api.get("/analytics/experiments?group_by=hook&metric=views&age=48h"))
    groups = {g["key"]: g for g in data["groups"]}
    assert [g["key"] for g in data["groups"]] == ["Hook A", "Hook C", "Hook B"]
    for hook, values in views.items():
        group = groups[hook]
        assert group["n"] == len(values)
        assert group["mean"] == round(statistics.fmean(values), 2)
        if len(values) > 1:
            half = 4.303 * statistics.stdev(values) / math.sqrt(len(values))
            assert group["ci95"] == {
                "low": round(max(statistics.fmean(values) - half, 0), 2),
                "high": round(statistics.fmean(values) + half, 2),
            }
    assert groups["Hook B"]["pending"] == 1
    assert data["verdict"]["leader"] == "Hook A"
    # A's interval is above C's? C has one post (no interval): not decisive.
    assert data["verdict"]["decisive"] is False
    engagement = ok(api.get("/analytics/experiments?group_by=hook&metric=engagement_rate&age=48h"))
    assert {g["key"] for g in engagement["groups"]} == set(views)
    err(api.get("/analytics/experiments?group_by=colour"), 422, "invalid_query")
    err(api.get("/analytics/experiments?metric=fame"), 422, "invalid_query")
    err(api.get("/analytics/experiments?age=soon"), 422, "invalid_payload")
    err(api.get("/analytics/experiments?age=9999d"), 422, "invalid_query")
    err(api.get("/analytics/summary?platforms=tiktok,myspace"), 422, "invalid_payload")
    err(
        api.get(f"/analytics/experiments?experiment_id={uuid.uuid4()}"), 404, "experiment_not_found"
    )
