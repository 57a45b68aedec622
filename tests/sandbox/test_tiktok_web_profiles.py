"""The TikTok web sandbox's profiles over HTTP: the profile page, the item list XHR, the
counters' growth and the admin API for profiles."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_web import TikTokWebSandbox, create_app
from platform_sandbox.tiktok_web.engagement import item_counters
from slideforge.kit.clock import ManualClock

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
UNIVERSAL = re.compile(
    r'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">(.*?)</script>',
    re.S,
)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[TikTokWebSandbox, RunningServer, ManualClock]]:
    clock = ManualClock(START)
    sandbox = TikTokWebSandbox(clock)
    running = serve_in_thread(create_app(sandbox))
    yield sandbox, running, clock
    running.stop()


@pytest.fixture
def web(
    server: tuple[TikTokWebSandbox, RunningServer, ManualClock],
) -> Iterator[tuple[TikTokWebSandbox, httpx.Client, ManualClock]]:
    sandbox, running, clock = server
    sandbox.reset()
    clock.set(START)
    with httpx.Client(base_url=running.base_url, timeout=10.0) as client:
        yield sandbox, client, clock


def user_detail(client: httpx.Client, handle: str) -> dict[str, Any]:
    response = client.get(f"/@{handle}")
    assert response.status_code == 200
    match = UNIVERSAL.search(response.text)
    assert match is not None, response.text[:300]
    detail: dict[str, Any] = json.loads(match.group(1))["__DEFAULT_SCOPE__"]["webapp.user-detail"]
    return detail


def item_list(client: httpx.Client, sec_uid: str, **query: Any) -> dict[str, Any]:
    response = client.get("/api/post/item_list/", params={"secUid": sec_uid, **query})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def seed_admin(client: httpx.Client, **body: Any) -> dict[str, Any]:
    items = [
        {"caption": f"hook {i} #growth", "created_at": (START - timedelta(hours=i + 1)).isoformat()}
        for i in range(body.pop("count", 3))
    ]
    response = client.post(
        "/__sandbox/profiles",
        json={"handle": "rival", "nickname": "Rival", "followers": 2_000, "items": items, **body},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# ---------------------------------------------------------------------------------- the page


def test_the_profile_page_carries_user_detail(web: Any) -> None:
    _sandbox, client, _clock = web
    created = seed_admin(client, signature="bio", verified=True, following=12, diggs=40)
    detail = user_detail(client, "rival")
    assert detail["statusCode"] == 0
    user, stats = detail["userInfo"]["user"], detail["userInfo"]["stats"]
    assert user["uniqueId"] == "rival" and user["nickname"] == "Rival"
    assert user["id"] == created["author"]["id"]
    assert user["secUid"] == created["author"]["sec_uid"]
    assert (user["signature"], user["verified"], user["privateAccount"]) == ("bio", True, False)
    assert user["avatarThumb"].startswith("http")
    now = created["now"]
    assert stats["followerCount"] == now["followers"] >= 2_000
    assert (stats["followingCount"], stats["diggCount"], stats["videoCount"]) == (12, 40, 3)
    assert stats["heartCount"] == stats["heart"] == now["hearts"] > 0
    assert detail["userInfo"]["statsV2"]["followerCount"] == str(stats["followerCount"])
    assert client.get("/@RIVAL/").status_code == 200  # user names are case-insensitive


def test_unknown_banned_and_private_profiles_carry_tiktoks_status_codes(web: Any) -> None:
    sandbox, client, _clock = web
    unknown = user_detail(client, "nobody")
    assert unknown["statusCode"] == 10202 and "userInfo" not in unknown
    sandbox.add_profile("gone", status="banned")
    banned = user_detail(client, "gone")
    assert (banned["statusCode"], banned["userInfo"]) == (10221, {})
    seed_admin(client, private=True)
    private = user_detail(client, "rival")
    assert private["statusCode"] == 10222
    assert private["userInfo"]["user"]["privateAccount"] is True
    assert private["userInfo"]["stats"]["videoCount"] == 0  # what a visitor sees
    assert private["userInfo"]["stats"]["followerCount"] >= 2_000
    notes = [r.note for r in sandbox.requests("profile")]
    assert notes == ["unknown_user", "banned", "private"]


def test_the_profile_page_has_the_post_pages_failure_modes(web: Any) -> None:
    sandbox, client, _clock = web
    seed_admin(client)
    sandbox.rate_limit(1, retry_after=15)
    limited = client.get("/@rival")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "15")
    sandbox.configure(web_mode="forbidden")
    assert client.get("/@rival").status_code == 403
    sandbox.configure(web_mode="login_wall")
    wall = client.get("/@rival", follow_redirects=False)
    assert wall.status_code == 302 and "/login?" in wall.headers["location"]
    sandbox.configure(web_mode="normal", challenge="once")
    challenged = client.get("/@rival")
    assert 'id="cs"' in challenged.text and UNIVERSAL.search(challenged.text) is None


# ---------------------------------------------------------------------------------- item list


def test_the_item_list_pages_newest_first_by_cursor(web: Any) -> None:
    sandbox, client, _clock = web
    created = seed_admin(client, count=40)
    sec_uid = created["author"]["sec_uid"]
    first = item_list(client, sec_uid, count=100, cursor=0)  # capped at 35
    assert first["statusCode"] == 0 and first["hasMore"] is True
    ids = [item["id"] for item in first["itemList"]]
    assert ids == created["items"][:35]
    times = [int(item["createTime"]) for item in first["itemList"]]
    assert times == sorted(times, reverse=True)
    assert first["cursor"] == str(times[-1] * 1000)
    item = first["itemList"][0]
    assert item["author"]["uniqueId"] == "rival"
    assert [c["title"] for c in item["challenges"]] == ["growth"]
    assert set(item["stats"]) >= {"playCount", "diggCount", "commentCount", "shareCount"}
    second = item_list(client, sec_uid, count=35, cursor=first["cursor"])
    assert [i["id"] for i in second["itemList"]] == created["items"][35:]
    assert second["hasMore"] is False
    post = sandbox.get_post(ids[0])
    assert item["stats"]["playCount"] == sandbox.item_counters(post).play


def test_items_of_the_same_second_stay_on_one_page(web: Any) -> None:
    sandbox, client, _clock = web
    sandbox.add_profile("twins")
    same = START - timedelta(hours=1)
    posts = [sandbox.add_video_post(author="twins", created_at=same) for _ in range(3)]
    sec_uid = sandbox.get_profile("twins").author.sec_uid
    first = item_list(client, sec_uid, count=2)
    assert len(first["itemList"]) == 3 and first["hasMore"] is False
    assert {i["id"] for i in first["itemList"]} == {p.id for p in posts}


def test_private_and_unknown_accounts_list_nothing(web: Any) -> None:
    _sandbox, client, _clock = web
    created = seed_admin(client, private=True)
    private = item_list(client, created["author"]["sec_uid"])
    assert private["hasMore"] is False and "itemList" not in private
    assert item_list(client, "MS4wLjABAAAAnobody")["statusCode"] == 10202
    assert item_list(client, "")["statusCode"] == 10202


def test_refused_item_list_calls_answer_an_empty_body(web: Any) -> None:
    sandbox, client, _clock = web
    created = seed_admin(client)
    sec_uid = created["author"]["sec_uid"]
    for change in ({"item_list_mode": "empty"}, {"challenge": "once"}, {"web_mode": "empty"}):
        sandbox.reset()
        created = seed_admin(client)
        sandbox.configure(**change)
        response = client.get("/api/post/item_list/", params={"secUid": sec_uid})
        assert (response.status_code, response.content) == (200, b""), change
    sandbox.reset()
    seed_admin(client)
    sandbox.rate_limit(1)
    assert client.get("/api/post/item_list/", params={"secUid": sec_uid}).status_code == 429


def test_repeat_mode_ignores_the_cursor(web: Any) -> None:
    sandbox, client, _clock = web
    created = seed_admin(client, count=5)
    sandbox.configure(item_list_mode="repeat")
    sec_uid = created["author"]["sec_uid"]
    first = item_list(client, sec_uid, count=2)
    again = item_list(client, sec_uid, count=2, cursor=first["cursor"])
    assert [i["id"] for i in again["itemList"]] == [i["id"] for i in first["itemList"]]


# ---------------------------------------------------------------------------------- counters


def test_counters_never_decrease_and_differ_between_items() -> None:
    for item in ("7490000000000000001", "7490000000000000002", "7490000000000000003"):
        last = item_counters(0, item, 1_000, 1_000, 10_000)
        assert last.play == 0
        for hour in range(1, 24 * 40, 7):
            now = item_counters(0, item, 1_000, 1_000 + hour * 3600, 10_000)
            for name in ("play", "digg", "comment", "share", "collect"):
                assert getattr(now, name) >= getattr(last, name), (item, hour, name)
            last = now
        assert last.play > 0
    month = [item_counters(0, str(i), 0, 30 * 86_400, 10_000).play for i in range(20)]
    assert len(set(month)) == 20
    assert max(month) > 3 * min(month)  # some items travel, some do not


def test_counters_are_fixed_by_the_seed(web: Any) -> None:
    sandbox, _client, clock = web
    post = sandbox.add_video_post(post_id="7490000000000000777", created_at=START)
    clock.advance(hours=30)
    first = sandbox.item_counters(post)
    assert first == sandbox.item_counters(post)
    sandbox.configure(engagement_seed=42)
    assert sandbox.item_counters(post) != first
    sandbox.configure(engagement_seed=0)
    assert sandbox.item_counters(post) == first


def test_the_profile_grows_with_the_clock(web: Any) -> None:
    _sandbox, client, clock = web
    seed_admin(client)
    before = client.get("/__sandbox/profiles/rival").json()["now"]
    clock.advance(hours=48)
    after = client.get("/__sandbox/profiles/rival").json()["now"]
    assert after["followers"] > before["followers"]
    assert after["hearts"] > before["hearts"]
    assert after["videos"] == before["videos"] == 3


# ---------------------------------------------------------------------------------- admin


def test_admin_profiles_lifecycle(web: Any) -> None:
    _sandbox, client, _clock = web
    created = seed_admin(client, count=2)
    assert created["handle"] == "rival" and len(created["items"]) == 2
    assert [p["handle"] for p in client.get("/__sandbox/profiles").json()["profiles"]] == ["rival"]
    patched = client.patch("/__sandbox/profiles/rival", json={"private": True, "followers": 9})
    assert patched.status_code == 200
    assert (patched.json()["private"], patched.json()["followers"]) == (True, 9)
    assert user_detail(client, "rival")["statusCode"] == 10222
    assert client.delete("/__sandbox/profiles/rival").status_code == 204
    assert client.get("/__sandbox/profiles/rival").status_code == 404
    assert user_detail(client, "rival")["statusCode"] == 10202


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"nickname": "x"}, "handle is required"),
        ({"handle": "bad name!"}, "author must be"),
        ({"handle": "ok", "followers": -1}, "followers must be a non-negative integer"),
        ({"handle": "ok", "status": "gone"}, "status must be one of"),
        ({"handle": "ok", "items": "x"}, "items must be a list"),
        ({"handle": "ok", "colour": "red"}, "unknown profile fields"),
        ({"handle": "ok", "items": [{"caption": "a"}, {"created_at": "yesterday"}]}, ""),
    ],
)
def test_admin_refuses_bad_profiles(web: Any, body: dict[str, Any], fragment: str) -> None:
    _sandbox, client, _clock = web
    response = client.post("/__sandbox/profiles", json=body)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert client.get("/__sandbox/profiles").json()["profiles"] == []  # all or nothing
    assert client.get("/__sandbox/posts").json()["posts"] == []
    bad_patch = client.patch("/__sandbox/profiles/nobody", json={"private": True})
    assert bad_patch.status_code == 404
