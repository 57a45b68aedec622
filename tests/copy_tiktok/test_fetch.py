"""The TikTok photo-post fetcher over real HTTP against the TikTok web sandbox."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from platform_sandbox.server import free_port
from slideforge.config import Settings
from slideforge.copy_tiktok.fetch import (
    DESKTOP_USER_AGENT,
    REASONS,
    FetchConfig,
    TikTokFetchError,
    TikTokPost,
    parse_tiktok_url,
    solve_waf_challenge,
)
from slideforge.kit.errors import ApiError
from slideforge.kit.safehttp import SafeHttp

from .conftest import Site, fake_heic, slide_image


def expect_error(
    call: Callable[[], Any], code: str, status: int, reason: str, *fragments: str
) -> TikTokFetchError:
    with pytest.raises(TikTokFetchError) as caught:
        call()
    error = caught.value
    assert (error.code, error.status, error.reason) == (code, status, reason), repr(error)
    assert reason in REASONS
    for fragment in fragments:
        assert fragment.lower() in error.message.lower(), (fragment, error.message)
    return error


# ---------------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "kind", "post_id", "username", "code"),
    [
        (
            "https://www.tiktok.com/@creator/photo/7499123456789012345",
            "post",
            "7499123456789012345",
            "creator",
            None,
        ),
        (
            "https://www.tiktok.com/@creator/video/7499123456789012345/",
            "post",
            "7499123456789012345",
            "creator",
            None,
        ),
        ("https://m.tiktok.com/@a.b_c/photo/1", "post", "1", "a.b_c", None),
        ("https://tiktok.com/@_/video/42", "post", "42", None, None),
        (
            "http://www.tiktok.com/@x/photo/42?is_from_webapp=1&sender_device=pc#top",
            "post",
            "42",
            "x",
            None,
        ),
        ("https://WWW.TIKTOK.COM/%40x/photo/42", "post", "42", "x", None),
        ("  https://www.tiktok.com/@x/photo/42  ", "post", "42", "x", None),
        (
            "https://www.tiktokv.com/share/video/7499123456789012345/",
            "post",
            "7499123456789012345",
            None,
            None,
        ),
        ("https://vm.tiktok.com/ZMhvqK2Tc/", "short", None, None, "ZMhvqK2Tc"),
        ("https://vt.tiktok.com/ZS2abcdEF?u=1", "short", None, None, "ZS2abcdEF"),
        ("https://www.tiktok.com/t/ZTRabc123/", "short", None, None, "ZTRabc123"),
    ],
)
def test_valid_urls(
    url: str, kind: str, post_id: str | None, username: str | None, code: str | None
) -> None:
    parsed = parse_tiktok_url(url)
    assert (parsed.kind, parsed.post_id, parsed.username, parsed.code) == (
        kind,
        post_id,
        username,
        code,
    )
    assert "?" not in parsed.url and "#" not in parsed.url
    assert parsed.url.startswith("https://")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://www.tiktok.com/@a/video/1",
        "www.tiktok.com/@a/video/1",
        "https://tiktok.com.evil.example/@a/video/1",
        "https://www.tiktok.com.evil.example/@a/photo/1",
        "https://evil.example/@a/video/1",
        "https://nottiktok.com/@a/video/1",
        "https://www.tiktok.co/@a/video/1",
        "https://www.t\u0456ktok.com/@a/video/1",
        "https://www.tiktok.com@evil.example/@a/video/1",
        "https://user:pass@www.tiktok.com/@a/video/1",
        "https://www.tiktok.com\\@evil.example/@a/video/1",
        "https://www.tiktok.com:8443/@a/video/1",
        "https://www.tiktok.com/@a",
        "https://www.tiktok.com/@a/video/",
        "https://www.tiktok.com/@a/video/12ab",
        "https://www.tiktok.com/@a/live/1",
        "https://www.tiktok.com/@a/VIDEO/1",
        "https://www.tiktok.com/@a/video/1/comments",
        "https://www.tiktok.com/@a/video/1 https://evil.example",
        "https://www.tiktok.com/foryou",
        "https://www.tiktokv.com/@a/video/1",
        "https://vm.tiktok.com/",
        "https://vm.tiktok.com/ZMabc/extra",
        "https://www.tiktok.com/t/",
        "https://vm.tiktok.com.evil.example/ZMabc/",
        "https://127.0.0.1/@a/video/1",
    ],
)
def test_invalid_urls(url: str) -> None:
    error = expect_error(lambda: parse_tiktok_url(url), "invalid_tiktok_url", 422, "invalid_url")
    assert "https://www.tiktok.com/@user/photo/<id>" in error.message
    assert "vm.tiktok.com/<code>" in error.message


def test_error_is_an_api_error_with_reason_data() -> None:
    with pytest.raises(ApiError) as caught:
        parse_tiktok_url("https://tiktok.com.evil.example/@a/video/1")
    assert caught.value.error_code == "invalid_tiktok_url"
    assert caught.value.data == {"reason": "invalid_url"}
    assert "tiktok.com.evil.example is not TikTok" in caught.value.message


# ---------------------------------------------------------------------------------- happy paths


def test_one_slide_post_with_metadata(site: Site) -> None:
    image = slide_image(0)
    post = site.sandbox.add_photo_post(
        [image],
        author="ann.b",
        nickname="Ann B",
        caption="3 study tips </script> & more #StudyTok",
        hashtags=["booktok", "studytok"],
        music={
            "id": "7000000000000000001",
            "title": "original sound",
            "author": "Ann B",
            "original": True,
            "duration": 31,
        },
        title="Study tips",
    )
    result = site.fetch(f"https://www.tiktok.com/@someone_else/photo/{post.id}?lang=en")
    assert isinstance(result, TikTokPost)
    assert result.post_id == post.id
    assert result.source_url == f"https://www.tiktok.com/@ann.b/photo/{post.id}"
    assert (result.author.unique_id, result.author.nickname) == ("ann.b", "Ann B")
    assert result.author.sec_uid == post.author.sec_uid
    assert result.caption == "3 study tips </script> & more #StudyTok #booktok"
    assert result.hashtags == ("StudyTok", "booktok")
    assert result.music is not None
    assert (result.music.id, result.music.title, result.music.author) == (
        "7000000000000000001",
        "original sound",
        "Ann B",
    )
    assert result.music.original is True and result.music.duration == 31
    assert result.title == "Study tips"
    assert (result.total_slides, result.capped, result.slide_count) == (1, False, 1)
    assert result.created_at == site.clock.now().replace(microsecond=0)
    only = result.images[0]
    assert (only.index, only.data, only.format, only.width, only.height) == (
        0,
        image,
        "jpeg",
        54,
        96,
    )


def test_eight_slides_kept_in_order(site: Site) -> None:
    images = [slide_image(i) for i in range(8)]
    post = site.sandbox.add_photo_post(images)
    result = site.fetch(post.url)
    assert (result.total_slides, result.capped) == (8, False)
    assert [i.index for i in result.images] == list(range(8))
    assert [i.data for i in result.images] == images


def test_twelve_slides_keep_first_eight_and_download_only_those(site: Site) -> None:
    images = [slide_image(i) for i in range(12)]
    post = site.sandbox.add_photo_post(images, author="creator")
    result = site.fetch(f"https://www.tiktok.com/@creator/photo/{post.id}")
    assert (result.total_slides, result.capped, result.slide_count) == (12, True, 8)
    assert [i.data for i in result.images] == images[:8]
    pages = site.sandbox.requests("page")
    assert [r.path for r in pages] == [f"/@_/video/{post.id}"]
    page = pages[0]
    assert page.headers["user-agent"] == DESKTOP_USER_AGENT
    assert page.headers["accept-language"].startswith("en-US")
    assert "text/html" in page.headers["accept"]
    image_requests = site.sandbox.requests("image")
    assert len(image_requests) == 8
    assert sorted(r.note for r in image_requests) == [f"slide {i}" for i in range(8)]
    for request in image_requests:
        assert request.headers["referer"] == "https://www.tiktok.com/"
        assert request.headers["user-agent"] == DESKTOP_USER_AGENT
        # one session: the page's cookies travel with the image requests
        assert {"ttwid", "msToken", "tt_chain_token"} <= set(request.cookies)
        assert request.path.startswith("/cdn/p16-sign-va/")


def test_max_slides_parameter(site: Site) -> None:
    images = [slide_image(i) for i in range(5)]
    post = site.sandbox.add_photo_post(images)
    result = site.fetcher().fetch(post.url, max_slides=3)
    assert (result.total_slides, result.capped) == (5, True)
    assert [i.data for i in result.images] == images[:3]
    with pytest.raises(ValueError):
        site.fetcher().fetch(post.url, max_slides=0)


def test_share_url_and_video_url_forms(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(1)], author="maker")
    for url in (
        f"https://www.tiktokv.com/share/video/{post.id}",
        f"https://m.tiktok.com/@maker/video/{post.id}",
    ):
        result = site.fetch(url)
        assert result.source_url == f"https://www.tiktok.com/@maker/photo/{post.id}"


def test_images_that_need_the_page_session(site: Site) -> None:
    site.sandbox.configure(images_require_session=True)
    post = site.sandbox.add_photo_post([slide_image(i) for i in range(3)])
    assert site.fetch(post.url).slide_count == 3
    assert {r.status for r in site.sandbox.requests("image")} == {200}


def test_from_settings() -> None:
    settings = Settings(
        tiktok_web_base_url="http://127.0.0.1:9",
        tiktok_short_link_base_url="http://127.0.0.1:10",
        tiktok_proxy="http://proxy.example:3128",
        tiktok_cookies_file=Path("/tmp/cookies.txt"),
        max_image_pixels=1000,
    )
    config = FetchConfig.from_settings(settings)
    assert config == FetchConfig(
        web_base_url="http://127.0.0.1:9",
        short_link_base_url="http://127.0.0.1:10",
        proxy="http://proxy.example:3128",
        cookies_file=Path("/tmp/cookies.txt"),
        impersonate=None,
        max_image_pixels=1000,
    )


# ---------------------------------------------------------------------------------- image bytes


def test_formats_are_sniffed_not_taken_from_the_url(site: Site) -> None:
    webp = slide_image(1, "WEBP")
    jpeg = slide_image(2)
    png = slide_image(3, "PNG")
    heic = fake_heic(1080, 1350)
    post = site.sandbox.add_photo_post(
        [webp, jpeg, png, heic], endings=["jpeg", "image", "webp", "jpeg"]
    )
    result = site.fetch(post.url)
    assert [(i.format, i.width, i.height) for i in result.images] == [
        ("webp", 54, 96),
        ("jpeg", 54, 96),
        ("png", 54, 96),
        ("heic", 1080, 1350),
    ]
    assert [i.data for i in result.images] == [webp, jpeg, png, heic]
    names = sorted(r.path.rsplit("~", 1)[1] for r in site.sandbox.requests("image"))
    assert names == sorted(
        [
            "tplv-photomode-image.jpeg",
            "tplv-photomode-image.image",
            "tplv-photomode-image.webp",
            "tplv-photomode-image.jpeg",
        ]
    )


def test_bytes_that_are_not_an_image(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0), b"<html>Access Denied</html>"])
    expect_error(
        lambda: site.fetch(post.url),
        "tiktok_fetch_failed",
        502,
        "image_invalid",
        "slide 2 of 2",
        "not an image",
    )
    # both mirrors were tried before giving up
    assert len([r for r in site.sandbox.requests("image") if r.note == "slide 1"]) == 2


def test_truncated_image(site: Site) -> None:
    broken = slide_image(0, size=(200, 300))[:300]
    post = site.sandbox.add_photo_post([broken])
    expect_error(
        lambda: site.fetch(post.url),
        "tiktok_fetch_failed",
        502,
        "image_invalid",
        "slide 1 of 1",
        "unusable",
    )


def test_image_size_cap(site: Site) -> None:
    small = slide_image(0)
    big = slide_image(1, "PNG", size=(400, 400)) + b"\x00" * 5000
    post = site.sandbox.add_photo_post([small, big])
    expect_error(
        lambda: site.fetcher().fetch(post.url, max_image_bytes=4000),
        "tiktok_fetch_failed",
        502,
        "image_too_large",
        "slide 2 of 2",
        "4000 bytes cap",
    )
    assert site.fetcher().fetch(post.url, max_image_bytes=100_000).slide_count == 2


def test_mirrors_are_tried_in_order(site: Site) -> None:
    images = [slide_image(i) for i in range(3)]
    post = site.sandbox.add_photo_post(images, broken_mirror=True)
    result = site.fetch(post.url)
    assert [i.data for i in result.images] == images
    for index in range(3):
        tries = [
            r
            for r in site.sandbox.requests("image")
            if r.note in (f"slide {index}", "mirror_down")
            and r.path.endswith(f"{post.slides[index].key}~tplv-photomode-image.jpeg")
        ]
        assert [r.path.split("/")[2] for r in tries] == ["p16-sign-va", "p19-sign"]
        assert [r.status for r in tries] == [503, 200]


def test_expired_image_urls_refetch_the_page_once(site: Site) -> None:
    images = [slide_image(i) for i in range(4)]
    post = site.sandbox.add_photo_post(images)
    site.sandbox.configure(stale_image_urls=1)
    result = site.fetch(post.url)
    assert [i.data for i in result.images] == images
    pages = site.sandbox.requests("page")
    assert len(pages) == 2
    assert "stale_urls" in pages[0].note and "stale_urls" not in pages[1].note
    statuses = [(r.note, r.status) for r in site.sandbox.requests("image")]
    assert statuses.count(("expired", 403)) == 8  # 4 slides x 2 mirrors
    assert len([s for s in statuses if s[1] == 200]) == 4


def test_image_urls_still_expired_after_the_refetch(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0), slide_image(1)])
    site.sandbox.configure(stale_image_urls=10)
    expect_error(
        lambda: site.fetch(post.url),
        "tiktok_fetch_failed",
        502,
        "image_expired",
        "slide 1 of 2",
        "403",
        "re-fetching",
    )
    assert len(site.sandbox.requests("page")) == 2


# ---------------------------------------------------------------------------------- page formats


@pytest.mark.parametrize("page_format", ["sigi", "sigi_persisted"])
def test_older_sigi_page_format(site: Site, page_format: str) -> None:
    images = [slide_image(i) for i in range(2)]
    post = site.sandbox.add_photo_post(
        images, author="old_page", nickname="Old Page", caption="hi #tag", title="T"
    )
    site.sandbox.configure(page_format=page_format)
    result = site.fetch(post.url)
    assert [i.data for i in result.images] == images
    assert (result.author.unique_id, result.author.nickname, result.hashtags, result.title) == (
        "old_page",
        "Old Page",
        ("tag",),
        "T",
    )
    page = site.sandbox.requests("page")[0]
    assert page.status == 200


def test_sigi_page_with_a_status_code(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)], status="private")
    site.sandbox.configure(page_format="sigi")
    expect_error(lambda: site.fetch(post.url), "tiktok_fetch_failed", 502, "private", "private")


def test_missing_video_detail_follows_the_canonical_url_once(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)], author="canon", canonical_only=True)
    result = site.fetch(f"https://www.tiktok.com/@_/photo/{post.id}")
    assert result.slide_count == 1
    assert [r.path for r in site.sandbox.requests("page")] == [
        f"/@_/video/{post.id}",
        f"/@canon/video/{post.id}",
    ]


# ---------------------------------------------------------------------------------- WAF challenge


def test_challenge_solved_once(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0), slide_image(1)])
    site.sandbox.configure(challenge="once", challenge_answer=4321)
    assert site.fetch(post.url).slide_count == 2
    first, second = site.sandbox.requests("page")
    assert first.note == "challenge" and "_wafchallengeid" not in first.cookies
    assert second.note == "ok"
    solution = json.loads(base64.b64decode(second.cookies["_wafchallengeid"]))
    assert base64.b64decode(solution["d"]) == b"4321"
    assert second.cookies["waforiginalreid"]


def test_challenge_again_after_solving_is_blocked(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)])
    site.sandbox.configure(challenge="always", challenge_answer=10)
    expect_error(
        lambda: site.fetch(post.url),
        "tiktok_fetch_failed",
        502,
        "challenge",
        "blocked",
        "challenge",
    )
    assert [r.note for r in site.sandbox.requests("page")] == ["challenge", "challenge"]
    assert site.sandbox.requests("image") == []


def test_challenge_that_cannot_be_solved(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)])
    site.sandbox.configure(challenge="once", challenge_answer=3000)
    fetcher = site.fetcher(challenge_max_answer=2000)
    expect_error(
        lambda: fetcher.fetch(post.url),
        "tiktok_fetch_failed",
        502,
        "challenge",
        "could not be solved",
    )
    assert len(site.sandbox.requests("page")) == 1


def test_solver_against_a_hand_made_puzzle() -> None:
    seed = b"sixteen byte key"
    digest = hashlib.sha256(seed + b"98765").digest()
    cs = (
        base64.b64encode(
            json.dumps(
                {
                    "v": {
                        "a": base64.b64encode(seed).decode(),
                        "c": base64.b64encode(digest).decode(),
                    },
                    "s": "sig",
                    "t": 1,
                }
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    solution = solve_waf_challenge(cs)
    assert solution is not None
    decoded = json.loads(base64.b64decode(solution))
    assert decoded["s"] == "sig" and decoded["t"] == 1
    assert base64.b64decode(decoded["d"]) == b"98765"
    assert solve_waf_challenge(cs, max_answer=98764) is None
    assert solve_waf_challenge("not base64 json") is None


# ---------------------------------------------------------------------------------- failures


def test_video_post_is_not_a_slideshow(site: Site) -> None:
    post = site.sandbox.add_video_post(author="vlogger")
    expect_error(
        lambda: site.fetch(post.url),
        "not_slideshow",
        422,
        "video_post",
        "video",
        "not a photo/slideshow",
    )


@pytest.mark.parametrize(
    ("status", "reason", "fragment"),
    [
        ("private", "private", "private"),
        ("private_account", "private", "needs cookies"),
        ("deleted", "unavailable", "unavailable"),
        ("region_locked", "region_locked", "region"),
        ("content_classified", "login_required", "login"),
    ],
)
def test_post_status_failures(site: Site, status: str, reason: str, fragment: str) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)], status=status)
    expect_error(
        lambda: site.fetch(post.url), "tiktok_fetch_failed", 502, reason, fragment, post.id
    )
    assert site.sandbox.requests("image") == []


def test_unknown_post_is_unavailable(site: Site) -> None:
    expect_error(
        lambda: site.fetch("https://www.tiktok.com/@a/photo/123"),
        "tiktok_fetch_failed",
        502,
        "unavailable",
        "deleted",
    )


def test_login_wall_redirect_is_not_followed(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)])
    site.sandbox.configure(web_mode="login_wall")
    expect_error(
        lambda: site.fetch(post.url), "tiktok_fetch_failed", 502, "login_required", "login"
    )
    assert [(r.kind, r.status) for r in site.sandbox.requests()] == [("page", 302)]


@pytest.mark.parametrize(
    ("mode", "reason", "fragments"),
    [
        ("forbidden", "blocked", ("refused", "403")),
        ("empty", "empty_page", ("empty page",)),
        ("captcha", "blocked", ("refused", "no post data")),
    ],
)
def test_blocked_pages(site: Site, mode: str, reason: str, fragments: tuple[str, ...]) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)])
    site.sandbox.configure(web_mode=mode)
    expect_error(lambda: site.fetch(post.url), "tiktok_fetch_failed", 502, reason, *fragments)


def test_rate_limited_with_retry_after_seconds(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)])
    site.sandbox.rate_limit(count=1, retry_after=42)
    error = expect_error(
        lambda: site.fetch(post.url), "rate_limited", 429, "rate_limited", "retry after 42 seconds"
    )
    assert error.retry_after == 42
    assert error.headers == {"Retry-After": "42"}
    assert error.data == {"reason": "rate_limited", "retry_after": 42}
    assert site.fetch(post.url).slide_count == 1  # the limit has passed


def test_rate_limited_with_an_http_date_or_nothing(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)])
    when = format_datetime(site.clock.now() + timedelta(seconds=90), usegmt=True)
    site.sandbox.rate_limit(count=1, retry_after=when)
    error = expect_error(lambda: site.fetch(post.url), "rate_limited", 429, "rate_limited")
    assert error.retry_after == 90
    site.sandbox.rate_limit(count=1, retry_after=None)
    error = expect_error(
        lambda: site.fetch(post.url), "rate_limited", 429, "rate_limited", "retry later"
    )
    assert error.retry_after is None and error.headers is None


def test_unreachable_tiktok(site: Site) -> None:
    fetcher = site.fetcher(web_base_url=f"http://127.0.0.1:{free_port()}")
    expect_error(
        lambda: fetcher.fetch("https://www.tiktok.com/@a/photo/1"),
        "tiktok_fetch_failed",
        502,
        "network",
        "could not reach tiktok",
        "connect",
    )


# ---------------------------------------------------------------------------------- short links


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("https://vm.tiktok.com/{code}/", "/vm/{code}/"),
        ("https://vt.tiktok.com/{code}", "/vt/{code}/"),
        ("https://www.tiktok.com/t/{code}/?u=1", "/t/{code}/"),
    ],
)
def test_short_links_resolve_with_one_request(site: Site, template: str, path: str) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)], author="shorty")
    code = site.sandbox.add_short_link("ZMhvqK2Tc", post_id=post.id)
    result = site.fetch(template.format(code=code))
    assert result.source_url == f"https://www.tiktok.com/@shorty/photo/{post.id}"
    log = site.sandbox.requests()
    shorts = [r for r in log if r.kind == "short_link"]
    assert len(shorts) == 1
    assert (shorts[0].method, shorts[0].path, shorts[0].status) == (
        "HEAD",
        path.format(code=code),
        301,
    )
    assert shorts[0].headers["user-agent"] == "facebookexternalhit/1.1"
    assert [r.path for r in log if r.kind == "page"] == [f"/@_/video/{post.id}"]
    assert [r.kind for r in log][:2] == ["short_link", "page"]


def test_resolve_returns_the_post_url(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)], author="shorty")
    code = site.sandbox.add_short_link("ZMresolve", post_id=post.id)
    resolved = site.fetcher().resolve(f"https://vm.tiktok.com/{code}/")
    assert (resolved.kind, resolved.post_id, resolved.username) == ("post", post.id, "shorty")
    assert resolved.url == f"https://www.tiktok.com/@shorty/photo/{post.id}"
    assert [r.kind for r in site.sandbox.requests()] == ["short_link"]


def test_dead_short_link(site: Site) -> None:
    expect_error(
        lambda: site.fetch("https://vm.tiktok.com/ZMdead000/"),
        "invalid_tiktok_url",
        422,
        "short_link_not_found",
        "link not found",
        "home page",
    )
    assert [(r.kind, r.note) for r in site.sandbox.requests()] == [("short_link", "dead")]


@pytest.mark.parametrize(
    "target",
    [
        "https://www.tiktok.com/@someone",
        "https://evil.example/@a/video/1",
        "http://127.0.0.1:1/@a/video/1",
        "https://vm.tiktok.com/ZMother/",
        "https://www.tiktok.com/music/original-sound-7000000000000000001",
        "javascript:alert(1)",
    ],
)
def test_short_link_to_something_else_is_refused(site: Site, target: str) -> None:
    site.sandbox.add_short_link("ZMelsewhere", target=target)
    expect_error(
        lambda: site.fetch("https://vm.tiktok.com/ZMelsewhere/"),
        "invalid_tiktok_url",
        422,
        "short_link_not_post",
        "does not lead to a tiktok post",
    )
    assert [r.kind for r in site.sandbox.requests()] == ["short_link"]


def test_rate_limited_short_link(site: Site) -> None:
    site.sandbox.rate_limit(count=1, retry_after=5)
    error = expect_error(
        lambda: site.fetch("https://vm.tiktok.com/ZMabc123/"), "rate_limited", 429, "rate_limited"
    )
    assert error.retry_after == 5


# ---------------------------------------------------------------------------------- cookies file


def _cookie_line(
    domain: str, name: str, value: str, expires: int = 0, http_only: bool = False
) -> str:
    prefix = "#HttpOnly_" if http_only else ""
    sub = "TRUE" if domain.startswith(".") else "FALSE"
    return f"{prefix}{domain}\t{sub}\t/\tTRUE\t{expires}\t{name}\t{value}"


def test_cookies_file_lets_a_viewer_see_a_private_post(site: Site, tmp_path: Path) -> None:
    site.sandbox.add_session("sess-viewer-1")
    post = site.sandbox.add_photo_post(
        [slide_image(0)], status="private", viewers=["sess-viewer-1"]
    )
    future = int((site.clock.now() + timedelta(days=30)).timestamp())
    past = int((site.clock.now() - timedelta(days=1)).timestamp())
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "\n".join(
            [
                "# Netscape HTTP Cookie File",
                "# exported by a browser extension",
                "",
                _cookie_line(".tiktok.com", "sessionid", "sess-viewer-1", future, http_only=True),
                _cookie_line("www.tiktok.com", "tt_csrf_token", "abc", 0),
                _cookie_line(".tiktok.com", "old_cookie", "gone", past),
                _cookie_line(".example.com", "other_site", "secret"),
                _cookie_line(".tiktok.com.evil.example", "lookalike", "secret"),
            ]
        )
        + "\n"
    )
    result = site.fetcher(cookies_file=cookies).fetch(post.url)
    assert result.slide_count == 1
    page = site.sandbox.requests("page")[0]
    assert page.cookies["sessionid"] == "sess-viewer-1"
    assert page.cookies["tt_csrf_token"] == "abc"
    assert not {"old_cookie", "other_site", "lookalike"} & set(page.cookies)
    expect_error(lambda: site.fetch(post.url), "tiktok_fetch_failed", 502, "private")


def test_cookies_file_with_a_session_passes_content_gate(site: Site, tmp_path: Path) -> None:
    site.sandbox.add_session("sess-adult")
    post = site.sandbox.add_photo_post([slide_image(0)], status="content_classified")
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(_cookie_line(".tiktok.com", "sessionid", "sess-adult") + "\n")
    assert site.fetcher(cookies_file=cookies).fetch(post.url).slide_count == 1


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (
            "# Netscape HTTP Cookie File\n.tiktok.com\tTRUE\t/\tTRUE\t0\tsessionid\n.tiktok.com\tTRUE\t/\n",
            ("line 3", "not a netscape cookie line"),
        ),
        (".tiktok.com\tTRUE\t/\tTRUE\tsoon\tsessionid\tx\n", ("line 1", "expiry")),
        (".tiktok.com\tTRUE\t/\tTRUE\t0\tbad name\tx\n", ("line 1", "invalid cookie name")),
        (".example.com\tTRUE\t/\tTRUE\t0\tsessionid\tx\n", ("no unexpired tiktok.com cookies",)),
        (".tiktok.com\tTRUE\t/\tTRUE\t1000\tsessionid\tx\n", ("no unexpired tiktok.com cookies",)),
        ("", ("no unexpired tiktok.com cookies",)),
    ],
)
def test_malformed_cookies_file(
    site: Site, tmp_path: Path, content: str, fragments: tuple[str, ...]
) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(content)
    fetcher = site.fetcher(cookies_file=cookies)
    expect_error(
        lambda: fetcher.fetch("https://www.tiktok.com/@a/photo/1"),
        "upstream_config_error",
        500,
        "cookies_file",
        "SLIDEFORGE_TIKTOK_COOKIES_FILE",
        *fragments,
    )
    assert site.sandbox.requests() == []


def test_unreadable_cookies_file(site: Site, tmp_path: Path) -> None:
    missing = site.fetcher(cookies_file=tmp_path / "nope.txt")
    expect_error(
        lambda: missing.fetch("https://www.tiktok.com/@a/photo/1"),
        "upstream_config_error",
        500,
        "cookies_file",
        "SLIDEFORGE_TIKTOK_COOKIES_FILE",
        "does not exist",
    )
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage\x80")
    expect_error(
        lambda: site.fetcher(cookies_file=binary).fetch("https://www.tiktok.com/@a/photo/1"),
        "upstream_config_error",
        500,
        "cookies_file",
        "cannot be read",
    )
    expect_error(
        lambda: site.fetcher(cookies_file=tmp_path).fetch("https://www.tiktok.com/@a/photo/1"),
        "upstream_config_error",
        500,
        "cookies_file",
        "cannot be read",
    )


# ---------------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("changes", "reason", "fragments"),
    [
        (
            {"impersonate": "chrome"},
            "impersonate",
            ("SLIDEFORGE_TIKTOK_IMPERSONATE", "not support", "curl-cffi is not installed"),
        ),
        ({"proxy": "not a proxy url"}, "proxy", ("SLIDEFORGE_TIKTOK_PROXY",)),
        ({"proxy": "ftp://proxy.example:21"}, "proxy", ("SLIDEFORGE_TIKTOK_PROXY", "http://")),
        ({"proxy": "socks5://proxy.example:1080"}, "proxy", ("SLIDEFORGE_TIKTOK_PROXY", "socksio")),
        (
            {"web_base_url": "ftp://tiktok.example"},
            "web_base_url",
            ("SLIDEFORGE_TIKTOK_WEB_BASE_URL",),
        ),
        (
            {"web_base_url": "https://www.tiktok.com/?x=1"},
            "web_base_url",
            ("SLIDEFORGE_TIKTOK_WEB_BASE_URL", "query"),
        ),
        (
            {"short_link_base_url": "http://"},
            "short_link_base_url",
            ("SLIDEFORGE_TIKTOK_SHORT_LINK_BASE_URL",),
        ),
    ],
)
def test_broken_configuration(
    site: Site, changes: dict[str, Any], reason: str, fragments: tuple[str, ...]
) -> None:
    fetcher = site.fetcher(**changes)
    expect_error(
        lambda: fetcher.fetch("https://www.tiktok.com/@a/photo/1"),
        "upstream_config_error",
        500,
        reason,
        *fragments,
    )
    assert site.sandbox.requests() == []


def test_web_base_on_a_refused_address(site: Site) -> None:
    fetcher = site.fetcher(http=SafeHttp())  # no allow-list: loopback is refused
    expect_error(
        lambda: fetcher.fetch("https://www.tiktok.com/@a/photo/1"),
        "upstream_config_error",
        500,
        "address_not_allowed",
        "SLIDEFORGE_TIKTOK_WEB_BASE_URL",
        "SLIDEFORGE_SSRF_ALLOW",
    )
    assert site.sandbox.requests() == []


def test_proxy_is_used(site: Site) -> None:
    fetcher = site.fetcher(proxy=f"http://127.0.0.1:{free_port()}")
    expect_error(
        lambda: fetcher.fetch("https://www.tiktok.com/@a/photo/1"),
        "tiktok_fetch_failed",
        502,
        "network",
        "through the proxy (SLIDEFORGE_TIKTOK_PROXY)",
    )
    assert site.sandbox.requests() == []


def test_created_at_is_utc(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)])
    created = site.fetch(post.url).created_at
    assert created is not None and created.tzinfo is not None
    assert created == datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------- page redirects


def test_same_post_redirect_is_followed_on_the_web_base_only(site: Site) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)], author="redirected")
    site.sandbox.configure(page_redirect="user_path")
    assert site.fetch(post.url).slide_count == 1
    pages = site.sandbox.requests("page")
    assert [(r.path, r.status) for r in pages] == [
        (f"/@_/video/{post.id}", 301),
        (f"/@redirected/video/{post.id}", 200),
    ]
    # a redirect naming another host: only its path is fetched, from the web base
    site.sandbox.clear_requests()
    site.sandbox.configure(
        page_redirect=f"http://127.0.0.1:{free_port()}/@redirected/video/{post.id}"
    )
    assert site.fetch(post.url).slide_count == 1
    assert [r.path for r in site.sandbox.requests("page")] == [
        f"/@_/video/{post.id}",
        f"/@redirected/video/{post.id}",
    ]


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("https://www.tiktok.com/?_r=1", "home page"),
        ("https://evil.example/collect?x=1", "'/collect'"),
        ("https://www.tiktok.com/@a/video/1", "'/@a/video/1'"),
    ],
)
def test_other_page_redirects_are_refused(site: Site, target: str, fragment: str) -> None:
    post = site.sandbox.add_photo_post([slide_image(0)])
    site.sandbox.configure(page_redirect=target)
    expect_error(
        lambda: site.fetch(post.url), "tiktok_fetch_failed", 502, "unexpected_redirect", fragment
    )
    assert len(site.sandbox.requests()) == 1
