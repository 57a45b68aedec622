"""Reading a public TikTok profile over real HTTP against the TikTok web sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from platform_sandbox.tiktok_web import SandboxPost, SandboxProfile
from slideforge.copy_tiktok.fetch import REASONS, TikTokFetchError
from slideforge.copy_tiktok.profile import (
    PROFILE_REASONS,
    TikTokProfileReader,
    normalize_handle,
    read_public_profile,
)
from slideforge.kit.errors import ApiError
from slideforge.kit.safehttp import SafeHttp
from slideforge.publishing.platforms.metrics import PostMetrics, ProfileMetrics

from .conftest import START, Site, slide_image


def read(site: Site, handle: str, **kwargs: Any) -> tuple[ProfileMetrics, list[PostMetrics]]:
    return read_public_profile(
        handle,
        http=SafeHttp(allow=["127.0.0.1"], timeout=10.0),
        config=site.config(),
        clock=site.clock,
        **kwargs,
    )


def expect_error(
    call: Callable[[], Any], code: str, status: int, reason: str, *fragments: str
) -> TikTokFetchError:
    with pytest.raises(TikTokFetchError) as caught:
        call()
    error = caught.value
    assert isinstance(error, ApiError)
    assert (error.code, error.status, error.reason) == (code, status, reason), repr(error)
    assert reason in REASONS or reason in PROFILE_REASONS
    for fragment in fragments:
        assert fragment.lower() in error.message.lower(), (fragment, error.message)
    return error


def seed(
    site: Site, handle: str = "rival.brand", items: int = 3, **profile: Any
) -> tuple[SandboxProfile, list[SandboxPost]]:
    """A profile and ``items`` video posts, one a day before START, newest first."""
    account = site.sandbox.add_profile(handle, nickname="Rival Brand", followers=5_000, **profile)
    posts = [
        site.sandbox.add_video_post(
            author=handle,
            caption=f"hook {i} #marketing",
            music={"id": f"77{i}", "title": f"sound {i}", "author": "dj"},
            created_at=START - timedelta(days=i + 1),
        )
        for i in range(items)
    ]
    return account, posts


def item_requests(site: Site) -> list[Any]:
    return site.sandbox.requests("item_list")


# ---------------------------------------------------------------------------------- handles


@pytest.mark.parametrize(
    ("raw", "handle"),
    [
        ("creator", "creator"),
        ("@creator", "creator"),
        ("  @Creator.Name_1 ", "creator.name_1"),
        ("https://www.tiktok.com/@creator", "creator"),
        ("https://www.tiktok.com/@creator/", "creator"),
        ("http://tiktok.com/@creator", "creator"),
        ("https://m.tiktok.com/@creator", "creator"),
        ("www.tiktok.com/@creator", "creator"),
    ],
)
def test_handles_are_normalised(raw: str, handle: str) -> None:
    assert normalize_handle(raw) == handle


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("@", "not a TikTok user name"),
        ("two words", "not a TikTok user name"),
        ("name!", "not a TikTok user name"),
        ("ends.with.dot.", "not a TikTok user name"),
        ("a" * 25, "not a TikTok user name"),
        ("@@creator", "not a TikTok user name"),
        ("https://www.tiktok.com/@creator/video/7499123456789012345", "not a TikTok profile"),
        ("https://www.tiktok.com/@creator?lang=en", "query"),
        ("https://www.tiktok.com/@creator#top", "query or fragment"),
        ("https://evil.example/@creator", "only TikTok profile URLs"),
        ("https://www.tiktok.com.evil.example/@creator", "only TikTok profile URLs"),
        ("ftp://www.tiktok.com/@creator", "only TikTok profile URLs"),
        ("https://www.tiktok.com:8443/@creator", "port"),
        ("https://user@www.tiktok.com/@creator", "credentials"),
        ("https://www.tiktok.com/creator", "not a TikTok profile"),
        ("https://www.tiktok.com/", "not a TikTok profile"),
        ("https://www.tiktok.com/@", "not a TikTok user name"),
    ],
)
def test_bad_handles_are_refused_with_a_specific_error(raw: str, fragment: str) -> None:
    expect_error(
        lambda: normalize_handle(raw), "invalid_tiktok_handle", 422, "invalid_handle", fragment
    )


def test_a_bad_handle_makes_no_request(site: Site) -> None:
    expect_error(
        lambda: read(site, "https://www.tiktok.com/@x/photo/1"),
        "invalid_tiktok_handle",
        422,
        "invalid_handle",
    )
    assert site.sandbox.requests() == []


# ---------------------------------------------------------------------------------- reads


def test_a_public_profile_reads_its_counters_and_newest_posts(site: Site) -> None:
    account, posts = seed(site, signature="we sell things", verified=True)
    profile, read_posts = read(site, "https://www.tiktok.com/@rival.brand")

    counters = site.sandbox.profile_counters(account)
    assert profile.platform_user_id == account.author.id
    assert profile.username == "rival.brand"
    assert profile.display_name == "Rival Brand"
    assert profile.avatar_url is not None and account.author.id in profile.avatar_url
    assert (profile.followers, profile.following, profile.likes, profile.posts) == (
        counters.followers,
        counters.following,
        counters.hearts,
        3,
    )
    assert profile.followers is not None and profile.followers > 5_000  # items brought some
    assert profile.is_private is False

    assert [p.platform_post_id for p in read_posts] == [p.id for p in posts]  # newest first
    for post, metrics in zip(posts, read_posts, strict=True):
        now = site.sandbox.item_counters(post)
        assert (metrics.views, metrics.likes, metrics.comments, metrics.shares, metrics.saves) == (
            now.play,
            now.digg,
            now.comment,
            now.share,
            now.collect,
        )
        assert metrics.views and metrics.views > 0
        assert metrics.extra["playCount"] == now.play
        assert metrics.url == f"https://www.tiktok.com/@rival.brand/video/{post.id}"
        assert metrics.published_at == datetime.fromtimestamp(post.create_time, UTC)
        assert metrics.caption == post.desc
        assert metrics.hashtags == ("marketing",)
        assert metrics.author == "rival.brand"
        assert metrics.duration == 15
        assert metrics.sound_id is not None and metrics.sound_name is not None
    # different items perform differently
    assert len({m.views for m in read_posts}) == 3

    pages = site.sandbox.requests("profile")
    assert [(r.path, r.status) for r in pages] == [("/@rival.brand", 200)]
    (listing,) = item_requests(site)
    assert f"secUid={account.author.sec_uid}" in listing.query
    assert "msToken=" in listing.query  # the page's cookie, repeated as the web app does
    assert listing.cookies.get("ttwid")  # one session: the page's cookies come along


def test_photo_posts_read_as_photo_posts(site: Site) -> None:
    site.sandbox.add_profile("slides.co")
    post = site.sandbox.add_photo_post(
        [slide_image(0), slide_image(1)],
        author="slides.co",
        title="3 tips",
        caption="tips #fyp #Tips",
        music={"title": "original sound"},
    )
    _profile, (metrics,) = read(site, "@slides.co")
    assert metrics.platform_post_id == post.id
    assert metrics.url == f"https://www.tiktok.com/@slides.co/photo/{post.id}"
    assert (metrics.duration, metrics.title) == (0, "3 tips")
    assert metrics.hashtags == ("fyp", "Tips")
    assert metrics.sound_name == "original sound"


def test_counters_grow_with_the_clock(site: Site) -> None:
    seed(site)
    site.sandbox.add_video_post(author="rival.brand", caption="fresh", created_at=START)
    profile_before, before = read(site, "rival.brand")
    site.clock.advance(hours=48)
    profile_after, after = read(site, "rival.brand")
    assert [p.platform_post_id for p in before] == [p.platform_post_id for p in after]
    for old, new in zip(before, after, strict=True):
        for counter in ("views", "likes", "comments", "shares", "saves"):
            assert getattr(new, counter) >= getattr(old, counter), counter
    fresh_before, fresh_after = before[0], after[0]
    assert fresh_before.views == 0  # created this instant
    assert fresh_after.views is not None and fresh_after.views > 0
    assert profile_after.followers is not None and profile_before.followers is not None
    assert profile_after.followers > profile_before.followers
    assert profile_after.likes is not None and profile_before.likes is not None
    assert profile_after.likes > profile_before.likes


def test_items_created_later_are_not_listed_yet(site: Site) -> None:
    seed(site, items=1)
    site.sandbox.add_video_post(author="rival.brand", created_at=START + timedelta(hours=2))
    profile, posts = read(site, "rival.brand")
    assert (profile.posts, len(posts)) == (1, 1)
    site.clock.advance(hours=3)
    profile, posts = read(site, "rival.brand")
    assert (profile.posts, len(posts)) == (2, 2)


def test_max_posts_limits_and_pages_by_cursor(site: Site) -> None:
    _account, posts = seed(site, items=40)
    _profile, default = read(site, "rival.brand")
    assert [p.platform_post_id for p in default] == [p.id for p in posts[:30]]
    assert len(item_requests(site)) == 1

    site.sandbox.clear_requests()
    _profile, everything = read(site, "rival.brand", max_posts=100)
    assert [p.platform_post_id for p in everything] == [p.id for p in posts]
    first, second = item_requests(site)
    assert "cursor=0" in first.query
    assert f"cursor={posts[34].create_time * 1000}" in second.query

    site.sandbox.clear_requests()
    _profile, none = read(site, "rival.brand", max_posts=0)
    assert none == [] and item_requests(site) == []
    with pytest.raises(ValueError, match="max_posts"):
        read(site, "rival.brand", max_posts=-1)


def test_a_page_sent_again_ends_the_paging(site: Site) -> None:
    """TikTok sometimes ignores the cursor and sends the first page forever."""
    _account, posts = seed(site, items=40)
    site.sandbox.configure(item_list_mode="repeat")
    _profile, read_posts = read(site, "rival.brand", max_posts=100)
    assert [p.platform_post_id for p in read_posts] == [p.id for p in posts[:35]]
    assert len(item_requests(site)) == 2


def test_a_private_profile_reads_as_private_without_posts(site: Site) -> None:
    seed(site, private=True)
    profile, posts = read(site, "rival.brand")
    assert profile.is_private is True
    assert profile.posts is None  # TikTok shows visitors 0: not measured
    assert profile.followers is not None and profile.followers >= 5_000
    assert posts == []
    assert item_requests(site) == []


def test_a_missing_profile_is_profile_not_found(site: Site) -> None:
    expect_error(
        lambda: read(site, "nobody.here"),
        "profile_not_found",
        422,
        "not_found",
        "@nobody.here",
        "does not exist",
    )


def test_a_banned_profile_is_profile_not_found(site: Site) -> None:
    seed(site, status="banned")
    expect_error(lambda: read(site, "rival.brand"), "profile_not_found", 422, "banned", "banned")


# ---------------------------------------------------------------------------------- blocking


def test_the_waf_challenge_is_solved_once(site: Site) -> None:
    seed(site)
    site.sandbox.configure(challenge="once", challenge_answer=1234)
    _profile, posts = read(site, "rival.brand")
    assert len(posts) == 3
    notes = [r.note for r in site.sandbox.requests("profile")]
    assert notes == ["challenge", "ok"]


def test_a_challenge_that_comes_back_is_a_clear_failure(site: Site) -> None:
    seed(site)
    site.sandbox.configure(challenge="always", challenge_answer=7)
    expect_error(
        lambda: read(site, "rival.brand"),
        "tiktok_fetch_failed",
        502,
        "challenge",
        "came back",
        "@rival.brand",
    )


def test_rate_limits_answer_429_with_retry_after(site: Site) -> None:
    seed(site)
    site.sandbox.rate_limit(1, retry_after=90)
    error = expect_error(lambda: read(site, "rival.brand"), "rate_limited", 429, "rate_limited")
    assert error.retry_after == 90
    assert error.headers == {"Retry-After": "90"}


def test_a_rate_limited_item_list_answers_429(site: Site) -> None:
    seed(site)
    reader = TikTokProfileReader(
        SafeHttp(allow=["127.0.0.1"], timeout=10.0), site.config(), clock=site.clock
    )
    original = reader._load_user_detail

    def then_limit(*args: Any) -> dict[str, Any]:
        detail = original(*args)
        site.sandbox.rate_limit(1, retry_after=30)  # the next request, the item list
        return detail

    reader._load_user_detail = then_limit  # type: ignore[method-assign]
    error = expect_error(lambda: reader.read("rival.brand"), "rate_limited", 429, "rate_limited")
    assert error.retry_after == 30


def test_an_empty_item_list_answer_is_a_refusal(site: Site) -> None:
    seed(site)
    site.sandbox.configure(item_list_mode="empty")
    expect_error(
        lambda: read(site, "rival.brand"),
        "tiktok_fetch_failed",
        502,
        "item_list_refused",
        "refused to list",
    )


@pytest.mark.parametrize(
    ("mode", "reason", "fragment"),
    [
        ("forbidden", "blocked", "HTTP 403"),
        ("empty", "empty_page", "empty page"),
        ("captcha", "blocked", "no solvable challenge"),
        ("login_wall", "login_required", "login"),
    ],
)
def test_blocked_pages_fail_clearly(site: Site, mode: str, reason: str, fragment: str) -> None:
    seed(site)
    site.sandbox.configure(web_mode=mode)
    expect_error(lambda: read(site, "rival.brand"), "tiktok_fetch_failed", 502, reason, fragment)


def test_cookies_of_a_session_pass_the_login_wall(site: Site, tmp_path: Any) -> None:
    seed(site)
    site.sandbox.add_session("sess-1")
    site.sandbox.configure(web_mode="login_wall")
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(".tiktok.com\tTRUE\t/\tTRUE\t0\tsessionid\tsess-1\n")
    profile, posts = read_public_profile(
        "rival.brand",
        http=SafeHttp(allow=["127.0.0.1"], timeout=10.0),
        config=site.config(cookies_file=cookies),
        clock=site.clock,
    )
    assert profile.username == "rival.brand" and len(posts) == 3
