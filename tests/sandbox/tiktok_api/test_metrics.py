"""The Display API's counters: they grow on the sandbox clock, deterministically from the
seed; ``/v2/video/query/`` (ids, scope, limits); user info's stats; the 600/min limit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from platform_sandbox.common.engagement import counters
from platform_sandbox.tiktok_api import TikTokSandbox
from tests.sandbox.tiktok_api.support import CREATOR, OTHER, Api, error_of

FIELDS = "id,view_count,like_count,comment_count,share_count,video_description"
QUERY = f"/v2/video/query/?fields={FIELDS}"


def _publish(tiktok: Api, token: str, n: int, privacy: str = "PUBLIC_TO_EVERYONE") -> str:
    publish_id = tiktok.publish_photo(
        token, title=f"t{n}", description=f"post {n} #sandbox", privacy=privacy
    )
    tiktok.advance(5)  # download, processing, moderation
    status = tiktok.status(token, publish_id)
    assert status["status"] == "PUBLISH_COMPLETE"
    ids = status.get("publicaly_available_post_id") or []
    return str(ids[0]) if ids else ""


def _query(tiktok: Api, token: str, ids: list[str]) -> list[dict[str, Any]]:
    answer = tiktok.post(QUERY, token, {"filters": {"video_ids": ids}})
    assert error_of(answer) == (200, "ok"), answer.text
    videos: list[dict[str, Any]] = answer.json()["data"]["videos"]
    return videos


def test_counts_grow_with_the_clock_and_follow_the_seed(
    tiktok: Api, sandbox: TikTokSandbox
) -> None:
    sandbox.update_options(metrics_seed=11, access_token_ttl_seconds=30 * 86_400)
    poster = tiktok.token()
    reader = tiktok.token(scopes=["user.info.basic", "video.list"])
    ids = [_publish(tiktok, poster, n) for n in range(3)]
    assert all(ids)
    early = {v["id"]: v for v in _query(tiktok, reader, ids)}
    assert list(early) == ids
    tiktok.advance(3_600)
    hour = {v["id"]: v for v in _query(tiktok, reader, ids)}
    tiktok.advance(47 * 3_600)
    later = {v["id"]: v for v in _query(tiktok, reader, ids)}
    for video_id in ids:
        assert early[video_id]["view_count"] <= hour[video_id]["view_count"]
        assert hour[video_id]["view_count"] < later[video_id]["view_count"]
        for name in ("like_count", "comment_count", "share_count"):
            assert hour[video_id][name] <= later[video_id][name] <= later[video_id]["view_count"]
    assert len({later[i]["view_count"] for i in ids}) == 3  # posts perform differently
    # The numbers are the model's, from the seed and the post's age on the sandbox clock.
    post = next(p for p in sandbox.posts() if str(p["post_id"]) == ids[0])
    age = sandbox.clock.now().timestamp() - _epoch(post["published_at"])
    model = counters(11, f"tiktok:{ids[0]}", age)
    assert later[ids[0]]["view_count"] == model.views
    assert later[ids[0]]["like_count"] == model.likes
    # Another seed, another world; the same one again, the same numbers.
    sandbox.update_options(metrics_seed=12)
    assert _query(tiktok, reader, ids[:1])[0]["view_count"] != model.views
    sandbox.update_options(metrics_seed=11, access_token_ttl_seconds=30 * 86_400)
    assert _query(tiktok, reader, ids[:1])[0]["view_count"] == model.views
    # The list shows the same counters.
    listed = tiktok.post("/v2/video/list/?fields=id,view_count", reader, {}).json()["data"]
    assert {v["id"]: v["view_count"] for v in listed["videos"]}[ids[0]] == model.views


def _epoch(iso_text: str) -> float:
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp()


def test_query_leaves_out_unknown_private_and_other_users_ids(tiktok: Api) -> None:
    poster = tiktok.token()
    mine = _publish(tiktok, poster, 1)
    _publish(tiktok, poster, 2, privacy="SELF_ONLY")
    other = _publish(tiktok, tiktok.token(OTHER), 3)
    reader = tiktok.token(scopes=["user.info.basic", "video.list"])
    videos = _query(tiktok, reader, ["999999", other, mine, mine])
    assert [v["id"] for v in videos] == [mine]
    assert set(videos[0]) == set(FIELDS.split(","))


def test_query_refusals(tiktok: Api) -> None:
    no_scope = tiktok.token(scopes=["user.info.basic"])
    answer = tiktok.post(QUERY, no_scope, {"filters": {"video_ids": ["1"]}})
    assert error_of(answer) == (401, "scope_not_authorized")
    assert "video.list" in answer.json()["error"]["message"]
    reader = tiktok.token(scopes=["video.list"])
    for body in (
        {},
        {"filters": {}},
        {"filters": {"video_ids": []}},
        {"filters": {"video_ids": [str(n) for n in range(21)]}},
        {"filters": {"video_ids": [1]}},
        {"filters": {"video_ids": ["1"], "other": 1}},
    ):
        assert error_of(tiktok.post(QUERY, reader, body))[0] == 400, body
    assert (
        error_of(tiktok.post("/v2/video/query/", reader, {"filters": {"video_ids": ["1"]}}))[0]
        == 400
    )  # fields required


def test_user_info_stats_add_the_posts(tiktok: Api, sandbox: TikTokSandbox) -> None:
    sandbox.update_user(CREATOR, likes_count=100, follower_count=10, video_count=4)
    sandbox.update_options(access_token_ttl_seconds=30 * 86_400)
    poster = tiktok.token()
    reader = tiktok.token(scopes=["user.info.basic", "user.info.stats", "video.list"])
    ids = [_publish(tiktok, poster, n) for n in range(2)]
    tiktok.advance(86_400)
    fields = "open_id,follower_count,likes_count,video_count"
    user = tiktok.http.get(f"/v2/user/info/?fields={fields}", headers=tiktok.auth(reader))
    assert error_of(user) == (200, "ok")
    stats = user.json()["data"]["user"]
    likes = sum(v["like_count"] for v in _query(tiktok, reader, ids))
    assert stats["likes_count"] == 100 + likes
    assert stats["video_count"] == 4 + 2
    assert stats["follower_count"] >= 10
    no_stats = tiktok.token(scopes=["user.info.basic", "video.list"])
    refused = tiktok.http.get(f"/v2/user/info/?fields={fields}", headers=tiktok.auth(no_stats))
    assert error_of(refused) == (400, "scope_permission_missed")
    assert "user.info.stats" in refused.json()["error"]["message"]


def test_display_api_limit_is_600_a_minute_per_token(tiktok: Api, sandbox: TikTokSandbox) -> None:
    sandbox.update_options(
        rate_limits={**sandbox.options.rate_limits, "video_query": 3, "video_list": 3}
    )
    reader = tiktok.token(scopes=["video.list"])
    body = {"filters": {"video_ids": ["1"]}}
    for _ in range(3):
        assert error_of(tiktok.post(QUERY, reader, body)) == (200, "ok")
    limited = tiktok.post(QUERY, reader, body)
    assert error_of(limited) == (429, "rate_limit_exceeded")
    assert limited.json()["data"] == {}
    assert error_of(tiktok.post(QUERY, tiktok.token(scopes=["video.list"]), body)) == (200, "ok")
    assert error_of(tiktok.post("/v2/video/list/?fields=id", reader, {})) == (200, "ok")
    tiktok.advance(61)
    assert error_of(tiktok.post(QUERY, reader, body)) == (200, "ok")
    assert sandbox.options.__class__().rate_limits["video_query"] == 600
