"""The adapters' metric reads (read_profile, read_posts, recent_posts) over real HTTP against
the three sandboxes, each on its own ManualClock: counts grow when the sandbox clock moves,
missing scopes are ``scope_not_authorized``, 429s are retryable with a delay, unknown ids are
left out, Instagram's carousel children carry a note, Pinterest reads its 90-day window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from platform_sandbox.instagram import InstagramSandbox
from platform_sandbox.instagram import create_app as instagram_app
from platform_sandbox.pinterest import PinterestSandbox
from platform_sandbox.pinterest import create_app as pinterest_app
from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_api import SandboxApp, SandboxUser, TikTokSandbox
from platform_sandbox.tiktok_api import create_app as tiktok_app
from slideforge.config import Settings
from slideforge.kit.clock import ManualClock
from slideforge.publishing.platforms.base import PlatformError
from slideforge.publishing.platforms.instagram.adapter import Instagram
from slideforge.publishing.platforms.pinterest.adapter import Pinterest
from slideforge.publishing.platforms.tiktok.adapter import TikTok
from tests.sandbox.social_media_host import MediaHost, running_media_host

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
HOUR, DAY = 3_600.0, 86_400.0
OPEN_ID = "-000readscreator0001"


@pytest.fixture(scope="module")
def media() -> Iterator[MediaHost]:
    with running_media_host() as host:
        yield host


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _settings(**values: str) -> Settings:
    return Settings(
        tiktok_client_key="reads-key",
        tiktok_client_secret="reads-secret",
        instagram_client_id="1",
        instagram_client_secret="s",
        pinterest_client_id="1",
        pinterest_client_secret="s",
        **values,
    )


# ---------------------------------------------------------------------- TikTok


@pytest.fixture
def tiktok(clock: ManualClock, media: MediaHost) -> Iterator[tuple[TikTokSandbox, str]]:
    sandbox = TikTokSandbox(
        clock=clock,
        app=SandboxApp(
            client_key="reads-key",
            client_secret="reads-secret",
            verified_url_prefixes=[f"{media.base}/media/"],
            allow_loopback_url_prefixes=True,
            default_user=OPEN_ID,
        ),
        users=[SandboxUser(open_id=OPEN_ID, username="reads.creator", likes_count=50)],
    )
    sandbox.update_options(access_token_ttl_seconds=int(30 * DAY), metrics_seed=3)
    running: RunningServer = serve_in_thread(tiktok_app(sandbox))
    yield sandbox, running.base_url
    running.stop()
    sandbox.close()


def _tiktok_post(base: str, token: str, media: MediaHost, clock: ManualClock, n: int) -> str:
    body = {
        "media_type": "PHOTO",
        "post_mode": "DIRECT_POST",
        "post_info": {
            "title": f"Hook {n}",
            "description": f"Five tips #Study #tips {n}",
            "privacy_level": "PUBLIC_TO_EVERYONE",
        },
        "source_info": {
            "source": "PULL_FROM_URL",
            "photo_images": [media.url("square.jpg")],
            "photo_cover_index": 0,
        },
    }
    auth = {"Authorization": f"Bearer {token}"}
    init = httpx.post(f"{base}/v2/post/publish/content/init/", json=body, headers=auth)
    assert init.status_code == 200, init.text
    publish_id = init.json()["data"]["publish_id"]
    clock.advance(seconds=10)
    status = httpx.post(
        f"{base}/v2/post/publish/status/fetch/", json={"publish_id": publish_id}, headers=auth
    ).json()["data"]
    assert status["status"] == "PUBLISH_COMPLETE", status
    return str(status["publicaly_available_post_id"][0])


def test_tiktok_reads_grow_with_the_sandbox_clock(
    tiktok: tuple[TikTokSandbox, str], clock: ManualClock, media: MediaHost
) -> None:
    sandbox, base = tiktok
    token = sandbox.issue_tokens(OPEN_ID)["access_token"]
    ids = [_tiktok_post(base, token, media, clock, n) for n in range(3)]
    adapter = TikTok(_settings(tiktok_api_base_url=base))
    clock.advance(seconds=HOUR)
    hour = adapter.read_posts(token, [*ids, "424242"])
    assert set(hour) == set(ids)  # the unknown id is left out
    clock.advance(seconds=2 * DAY)
    later = adapter.read_posts(token, ids)
    for post_id in ids:
        early, late = hour[post_id], later[post_id]
        assert early.views is not None and late.views is not None
        assert 0 < early.views < late.views
        assert (early.likes or 0) <= (late.likes or 0)
        assert late.saves is None  # TikTok's Display API has no saves
        assert late.hashtags == ("study", "tips")
        assert late.extra["view_count"] == late.views
        assert late.url and late.published_at is not None and late.duration == 0
    recent = adapter.recent_posts(token, 2)
    assert [p.platform_post_id for p in recent] == ids[::-1][:2]
    assert recent[0].views == later[ids[2]].views
    assert len(adapter.recent_posts(token, 50)) == 3
    profile = adapter.read_profile(token)
    assert profile.platform_user_id == OPEN_ID and profile.username == "reads.creator"
    assert profile.likes == 50 + sum(later[i].likes or 0 for i in ids)
    assert profile.posts == 3


def test_tiktok_scope_and_rate_limit(tiktok: tuple[TikTokSandbox, str]) -> None:
    sandbox, base = tiktok
    adapter = TikTok(_settings(tiktok_api_base_url=base))
    narrow = sandbox.issue_tokens(OPEN_ID, ["user.info.basic", "video.publish"])["access_token"]
    for read in (
        lambda: adapter.read_posts(narrow, ["1"]),
        lambda: adapter.recent_posts(narrow, 5),
        lambda: adapter.read_profile(narrow),
    ):
        with pytest.raises(PlatformError) as refused:
            read()
        assert (refused.value.kind, refused.value.code) == ("user", "scope_not_authorized")
    sandbox.update_options(rate_limits={**sandbox.options.rate_limits, "video_query": 2})
    token = sandbox.issue_tokens(OPEN_ID)["access_token"]
    adapter.read_posts(token, [str(n) for n in range(40)])  # two calls of 20
    with pytest.raises(PlatformError) as limited:
        adapter.read_posts(token, ["1"])
    assert (limited.value.kind, limited.value.code) == ("retryable", "rate_limit_exceeded")
    assert limited.value.retry_after == 60.0
    assert adapter.read_posts(token, []) == {}


# ---------------------------------------------------------------------- Instagram


@pytest.fixture
def instagram(clock: ManualClock) -> Iterator[tuple[InstagramSandbox, str]]:
    sandbox = InstagramSandbox(clock=clock)
    sandbox.update_options(metrics_seed=4, image_processing_seconds=0.0)
    running = serve_in_thread(instagram_app(sandbox))
    yield sandbox, running.base_url
    running.stop()


def _ig(base: str, method: str, path: str, token: str, **params: str) -> dict[str, object]:
    response = httpx.request(
        method, f"{base}/v23.0/{path}", params={**params, "access_token": token}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_instagram_reads_insights_and_the_carousel_child(
    instagram: tuple[InstagramSandbox, str], clock: ManualClock, media: MediaHost
) -> None:
    sandbox, base = instagram
    account = sandbox.ig_users()[0]
    token = sandbox.issue_token(ig_user_id=account.id)["access_token"]
    single = _ig(
        base,
        "POST",
        f"{account.id}/media",
        token,
        image_url=media.url("square.jpg"),
        caption="One #Hook",
    )["id"]
    children = [
        _ig(
            base,
            "POST",
            f"{account.id}/media",
            token,
            image_url=media.url(name),
            is_carousel_item="true",
        )["id"]
        for name in ("square.jpg", "square2.jpg")
    ]
    clock.advance(seconds=2)
    parent = _ig(
        base,
        "POST",
        f"{account.id}/media",
        token,
        media_type="CAROUSEL",
        children=",".join(str(c) for c in children),
        caption="Album",
    )["id"]
    clock.advance(seconds=2)
    post = str(
        _ig(base, "POST", f"{account.id}/media_publish", token, creation_id=str(single))["id"]
    )
    album = str(
        _ig(base, "POST", f"{account.id}/media_publish", token, creation_id=str(parent))["id"]
    )
    child = str(_ig(base, "GET", f"{album}/children", token)["data"][0]["id"])  # type: ignore[index]
    settings = _settings(instagram_graph_url=base, facebook_graph_url=base)
    adapter = Instagram(settings)
    clock.advance(seconds=HOUR)
    hour = adapter.read_posts(token, [post, album, child, "17890000000000404"])
    assert set(hour) == {post, album, child}
    clock.advance(seconds=2 * DAY)
    later = adapter.read_posts(token, [post])[post]
    assert hour[post].views is not None and later.views is not None
    assert 0 < hour[post].views < later.views
    assert later.reach is not None and later.saves is not None and later.shares is not None
    assert later.extra["total_interactions"] >= (later.likes or 0)
    assert later.hashtags == ("hook",) and later.note is None
    assert hour[child].views is None and hour[child].likes is None
    assert hour[child].note and "carousel child" in hour[child].note
    assert hour[album].views is not None
    recent = adapter.recent_posts(token, 10)
    assert [p.platform_post_id for p in recent] == [album, post]
    profile = adapter.read_profile(token)
    assert profile.platform_user_id == account.id and profile.posts == 2
    narrow = sandbox.issue_token(ig_user_id=account.id, scopes=["instagram_business_basic"])
    with pytest.raises(PlatformError) as refused:
        adapter.read_posts(narrow["access_token"], [post])
    assert (refused.value.kind, refused.value.code) == ("user", "scope_not_authorized")


# ---------------------------------------------------------------------- Pinterest


@pytest.fixture
def pinterest(clock: ManualClock) -> Iterator[tuple[PinterestSandbox, str]]:
    sandbox = PinterestSandbox(clock=clock)
    sandbox.update_options(metrics_seed=5, access_token_seconds=int(400 * DAY))
    running = serve_in_thread(pinterest_app(sandbox))
    yield sandbox, running.base_url
    running.stop()


def test_pinterest_reads_the_last_90_days(
    pinterest: tuple[PinterestSandbox, str], clock: ManualClock, media: MediaHost
) -> None:
    sandbox, base = pinterest
    user = sandbox.users()[0]
    token = sandbox.issue_tokens(user.id)["access_token"]
    board = sandbox.boards(user.id)[0]["id"]
    created = httpx.post(
        f"{base}/v5/pins",
        json={
            "board_id": board,
            "title": "Hook #one",
            "description": "Tips #Two",
            "media_source": {"source_type": "image_url", "url": media.url("square.jpg")},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    pin_id = created.json()["id"]
    adapter = Pinterest(_settings(pinterest_api_base_url=base))
    adapter.clock = clock
    clock.advance(seconds=HOUR)
    hour = adapter.read_posts(token, [pin_id, "1022106077903999999"])
    assert set(hour) == {pin_id}
    clock.advance(seconds=3 * DAY)
    later = adapter.read_posts(token, [pin_id])[pin_id]
    assert hour[pin_id].views is not None and later.views is not None
    assert 0 < hour[pin_id].views < later.views
    assert later.saves == later.extra["SAVE"]
    assert later.clicks == later.extra["PIN_CLICK"] + later.extra["OUTBOUND_CLICK"]
    assert later.likes is None and later.hashtags == ("one", "two")
    assert [p.platform_post_id for p in adapter.recent_posts(token, 5)] == [pin_id]
    profile = adapter.read_profile(token)
    assert profile.platform_user_id == user.id and profile.posts == 1
    # 100 days on, the 90-day window still reads (the start is never beyond the lookback),
    # and the summary covers only those days.
    clock.advance(seconds=100 * DAY)
    old = adapter.read_posts(token, [pin_id])[pin_id]
    assert old.views is not None and old.views < later.views
    narrow = sandbox.issue_tokens(user.id, scopes=["user_accounts:read"])["access_token"]
    with pytest.raises(PlatformError) as refused:
        adapter.read_posts(narrow, [pin_id])
    assert (refused.value.kind, refused.value.code) == ("user", "scope_not_authorized")
