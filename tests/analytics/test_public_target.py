"""Tracking a competitor: a public TikTok profile read from its page (the TikTok web sandbox
over HTTP, on the test's clock) by the target's refreshes — counters stored, posts listed with
growing views, a follower timeline; private and missing profiles answered honestly."""

from __future__ import annotations

from datetime import timedelta

from platform_sandbox.tiktok_web import TikTokWebSandbox
from slideforge.kit.clock import ManualClock
from slideforge.runtime import Runtime
from tests.analytics.test_targets import settle
from tests.helpers import ApiClient, ok


def track(api: ApiClient, handle: str) -> dict[str, object]:
    created = ok(
        api.post("/analytics/targets", json={"platform": "tiktok", "identifier": handle}), 201
    )
    return settle(api, str(created["target"]["id"]))


def test_a_competitor_is_read_from_its_public_page(
    api: ApiClient, runtime: Runtime, clock: ManualClock, tiktok_web: TikTokWebSandbox
) -> None:
    tiktok_web.add_profile("rival.brand", nickname="Rival Brand", followers=5_000)
    for i in range(4):
        tiktok_web.add_video_post(
            author="rival.brand",
            caption=f"hook {i} #skincare",
            music={"id": f"77{i}", "title": f"sound {i}", "author": "dj"},
            created_at=clock.now() - timedelta(days=i + 1),
        )
    target = track(api, "@Rival.Brand")
    assert target["last_refresh"]["status"] == "completed", target["last_refresh"]
    assert target["last_refresh"]["posts_read"] == 4
    assert target["last_refresh"]["trigger"] == "initial"
    assert target["profile"]["username"] == "rival.brand"
    assert target["profile"]["followers"] >= 5_000
    assert target["display_name"] == "Rival Brand"
    rows = ok(api.get(f"/analytics/summary/posts?accounts={target['id']}&sortBy=views"))["posts"]
    assert len(rows) == 4
    assert all(r["views"] and r["views"] > 0 for r in rows)
    assert {r["soundName"] for r in rows} == {f"sound {i}" for i in range(4)}
    assert all(r["hashtags"] == ["skincare"] for r in rows)
    assert all(r["genviralPostId"] is None for r in rows)
    first_views = {r["platformPostId"]: r["views"] for r in rows}
    # A day later, a manual refresh (free: the day's first) reads grown counters.
    clock.advance(days=1)
    refreshed = ok(api.post(f"/analytics/targets/{target['id']}/refresh"))
    assert refreshed["wasFree"] is True
    detail = settle(api, str(target["id"]))
    assert detail["last_refresh"]["status"] == "completed"
    rows = ok(api.get(f"/analytics/summary/posts?accounts={target['id']}"))["posts"]
    assert all(r["views"] >= first_views[r["platformPostId"]] for r in rows)
    assert any(r["views"] > first_views[r["platformPostId"]] for r in rows)
    timeline = detail["summary"]["timeline"]
    assert len(timeline) == 2 and timeline[1]["followers"] >= timeline[0]["followers"]
    assert detail["summary"]["totals"]["posts"] == 4
    assert detail["summary"]["top_posts"][0]["views"] == max(r["views"] for r in rows)
    one = ok(api.get(f"/analytics/posts/{rows[0]['analyticsId']}"))
    assert [s["milestone"] for s in one["snapshots"]] == ["refresh", "refresh"]
    # What was observed feeds the trend brief.
    brief = ok(api.get("/trends/brief?platform=tiktok&keyword=skincare&range=7d"))
    assert brief["summary"]["analyzed_video_count"] == 4
    assert brief["summary"]["top_creators"][0]["handle"] == "rival.brand"


def test_private_and_missing_profiles(
    api: ApiClient, clock: ManualClock, tiktok_web: TikTokWebSandbox
) -> None:
    tiktok_web.add_profile("hidden.one", private=True, followers=10)
    private = track(api, "hidden.one")
    assert private["last_refresh"]["status"] == "completed"
    assert private["last_refresh"]["posts_read"] == 0
    assert private["profile"]["is_private"] is True
    missing = track(api, "nobody.here")
    assert missing["last_refresh"]["status"] == "failed"
    assert "profile_not_found" in missing["last_refresh"]["error"]
    assert missing["profile"] is None
