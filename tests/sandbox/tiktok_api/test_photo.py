"""TikTok sandbox, photo posts: creator_info, content/init validation, URL ownership, account
and app caps, rate limits, the real media pull and the status state machine."""

from __future__ import annotations

from typing import Any

import pytest

from platform_sandbox.tiktok_api import SandboxApp, SandboxUser, TikTokSandbox
from platform_sandbox.tiktok_api.media import url_is_verified
from slideforge.kit.clock import ManualClock
from tests.sandbox.tiktok_api.support import CREATOR, OTHER, PRIVATE, Api, MediaServer, error_of

INIT = "/v2/post/publish/content/init/"
CREATOR_INFO = "/v2/post/publish/creator_info/query/"


# --------------------------------------------------------------------------- creator info


def test_creator_info_of_public_and_private_accounts(tiktok: Api, sandbox: TikTokSandbox) -> None:
    sandbox.update_user(CREATOR, comment_disabled=True, max_video_post_duration_sec=180)
    public = tiktok.post(CREATOR_INFO, tiktok.token())
    assert error_of(public) == (200, "ok")
    assert public.json()["data"] == {
        "creator_avatar_url": SandboxUser.model_fields["avatar_url"].default,
        "creator_username": "public.creator",
        "creator_nickname": "Public One",
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
        "comment_disabled": True,
        "duet_disabled": False,
        "stitch_disabled": False,
        "max_video_post_duration_sec": 180,
    }
    private = tiktok.post(CREATOR_INFO, tiktok.token(PRIVATE)).json()["data"]
    assert private["privacy_level_options"] == [
        "FOLLOWER_OF_CREATOR",
        "MUTUAL_FOLLOW_FRIENDS",
        "SELF_ONLY",
    ]
    assert private["duet_disabled"] is True and private["stitch_disabled"] is True


def test_data_endpoints_need_a_valid_bearer_token_and_scope(tiktok: Api) -> None:
    assert error_of(tiktok.http.post(CREATOR_INFO)) == (401, "access_token_invalid")
    assert error_of(tiktok.post(CREATOR_INFO, "act.bogus")) == (401, "access_token_invalid")
    upload_only = tiktok.token(scopes=["video.upload"])
    assert error_of(tiktok.post(CREATOR_INFO, upload_only)) == (401, "scope_not_authorized")
    assert error_of(tiktok.init_photo(upload_only)) == (401, "scope_not_authorized")
    publish_only = tiktok.token(scopes=["video.publish"])
    assert error_of(tiktok.init_photo(publish_only, mode="MEDIA_UPLOAD")) == (
        401,
        "scope_not_authorized",
    )


# --------------------------------------------------------------------------- validation


def _mutate(tiktok: Api, change: str) -> dict[str, Any]:
    body = tiktok.photo_body()
    post_info, source_info = body["post_info"], body["source_info"]
    match change:
        case "media_type_video":
            body["media_type"] = "VIDEO"
        case "post_mode_unknown":
            body["post_mode"] = "SCHEDULE"
        case "source_file_upload":
            source_info["source"] = "FILE_UPLOAD"
        case "no_images":
            source_info["photo_images"] = []
        case "36_images":
            source_info["photo_images"] = [tiktok.media.url("a.jpg")] * 36
        case "cover_out_of_range":
            source_info["photo_cover_index"] = 2
        case "cover_missing":
            del source_info["photo_cover_index"]
        case "cover_bool":
            source_info["photo_cover_index"] = True
        case "title_91_utf16":
            post_info["title"] = "😀" * 45 + "x"  # 45 surrogate pairs + 1 = 91 units
        case "description_4001":
            post_info["description"] = "d" * 4001
        case "privacy_missing":
            del post_info["privacy_level"]
        case "privacy_unknown":
            post_info["privacy_level"] = "FRIENDS"
        case "unknown_top_level":
            body["caption"] = "x"
        case "unknown_post_info":
            post_info["disable_duet"] = True
        case "bool_as_string":
            post_info["disable_comment"] = "false"
        case "post_info_missing":
            del body["post_info"]
        case "url_not_http":
            source_info["photo_images"] = ["ftp://files.example.com/a.jpg"]
    return body


@pytest.mark.parametrize(
    "change",
    [
        "media_type_video",
        "post_mode_unknown",
        "source_file_upload",
        "no_images",
        "36_images",
        "cover_out_of_range",
        "cover_missing",
        "cover_bool",
        "title_91_utf16",
        "description_4001",
        "privacy_missing",
        "privacy_unknown",
        "unknown_top_level",
        "unknown_post_info",
        "bool_as_string",
        "post_info_missing",
        "url_not_http",
    ],
)
def test_photo_init_validation(tiktok: Api, sandbox: TikTokSandbox, change: str) -> None:
    sandbox.update_options(rate_limits={})
    response = tiktok.post(INIT, tiktok.token(), _mutate(tiktok, change))
    assert error_of(response) == (400, "invalid_param")
    assert response.json()["data"] == {}
    assert sandbox.publishes() == []


def test_text_limits_count_utf16_units_and_accept_the_maximum(tiktok: Api) -> None:
    title = "😀" * 45  # 90 units
    response = tiktok.init_photo(tiktok.token(), title=title, description="é" * 4000)
    assert error_of(response) == (200, "ok")


def test_invalid_params_spelling_is_configurable(tiktok: Api, sandbox: TikTokSandbox) -> None:
    sandbox.update_options(invalid_param_code="invalid_params")
    response = tiktok.post(INIT, tiktok.token(), _mutate(tiktok, "no_images"))
    assert error_of(response) == (400, "invalid_params")


def test_body_must_be_json(tiktok: Api) -> None:
    response = tiktok.http.post(
        INIT,
        headers={**tiktok.auth(tiktok.token()), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert error_of(response) == (400, "invalid_param")


def test_privacy_must_be_among_the_creator_options(tiktok: Api) -> None:
    private = tiktok.token(PRIVATE)
    assert error_of(tiktok.init_photo(private, privacy="PUBLIC_TO_EVERYONE")) == (
        403,
        "privacy_level_option_mismatch",
    )
    assert error_of(tiktok.init_photo(tiktok.token(), privacy="FOLLOWER_OF_CREATOR")) == (
        403,
        "privacy_level_option_mismatch",
    )
    assert error_of(tiktok.init_photo(private, privacy="FOLLOWER_OF_CREATOR")) == (200, "ok")


def test_media_upload_needs_no_privacy(tiktok: Api) -> None:
    response = tiktok.init_photo(tiktok.token(), mode="MEDIA_UPLOAD", privacy=None)
    assert error_of(response) == (200, "ok")
    assert response.json()["data"]["publish_id"].startswith("p_inbox_url~v2.")


# --------------------------------------------------------------------------- URL ownership


@pytest.mark.parametrize(
    ("url", "verified"),
    [
        ("https://static.example.com/a.jpg", True),
        ("https://video.static.example.com/x/a.jpg", True),
        ("https://STATIC.example.com/a.jpg", True),
        ("https://example.com/a.jpg", False),
        ("https://evilstatic.example.com/a.jpg", False),
        ("http://static.example.com/a.jpg", False),
        ("https://cdn.other.org/slides/2026/a.jpg", True),
        ("https://cdn.other.org/slides-old/a.jpg", False),
        ("https://cdn.other.org/Slides/a.jpg", False),
        ("https://93.184.216.34/slides/a.jpg", False),
        ("http://127.0.0.1:8000/media/a.jpg", False),
    ],
)
def test_url_ownership_matching(url: str, verified: bool) -> None:
    app = SandboxApp(
        verified_domains=["static.example.com"],
        verified_url_prefixes=["https://cdn.other.org/slides/", "http://127.0.0.1:8000/media/"],
    )
    assert url_is_verified(url, app) is verified


def test_loopback_prefixes_only_with_the_sandbox_option() -> None:
    app = SandboxApp(
        verified_url_prefixes=["http://127.0.0.1:8000/media/"], allow_loopback_url_prefixes=True
    )
    assert url_is_verified("http://127.0.0.1:8000/media/a.jpg", app)
    assert not url_is_verified("http://127.0.0.1:8000/other/a.jpg", app)
    assert not url_is_verified("http://127.0.0.1:8001/media/a.jpg", app)
    assert not url_is_verified("http://10.0.0.5:8000/media/a.jpg", app)


def test_unverified_url_is_refused(tiktok: Api, sandbox: TikTokSandbox) -> None:
    body = tiktok.photo_body()
    body["source_info"]["photo_images"].append("https://unverified.example.net/c.jpg")
    assert error_of(tiktok.post(INIT, tiktok.token(), body)) == (403, "url_ownership_unverified")
    sandbox.update_app(allow_loopback_url_prefixes=False)
    assert error_of(tiktok.init_photo(tiktok.token())) == (403, "url_ownership_unverified")


# --------------------------------------------------------------------------- account and app state


def test_unaudited_app_posts_only_self_only_from_private_accounts(
    tiktok: Api, sandbox: TikTokSandbox
) -> None:
    sandbox.update_app(audited=False)
    code = (403, "unaudited_client_can_only_post_to_private_accounts")
    assert error_of(tiktok.init_photo(tiktok.token(), privacy="SELF_ONLY")) == code
    private = tiktok.token(PRIVATE)
    assert error_of(tiktok.init_photo(private, privacy="MUTUAL_FOLLOW_FRIENDS")) == code
    assert error_of(tiktok.init_photo(private, privacy="SELF_ONLY")) == (200, "ok")
    sandbox.update_options(unaudited_requires_private_account=False)
    assert error_of(tiktok.init_photo(tiktok.token(), privacy="SELF_ONLY")) == (200, "ok")


def test_unaudited_app_reaches_at_most_five_creators_a_day(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    sandbox.update_app(audited=False)
    for n in range(6):
        sandbox.add_user(open_id=f"-000private-{n}", username=f"p{n}", private_account=True)
    tokens = [tiktok.token(f"-000private-{n}") for n in range(6)]
    for token in tokens[:5]:
        assert error_of(tiktok.init_photo(token, privacy="SELF_ONLY")) == (200, "ok")
    assert error_of(tiktok.init_photo(tokens[5], privacy="SELF_ONLY")) == (
        403,
        "reached_active_user_cap",
    )
    capped_info = tiktok.post(CREATOR_INFO, tokens[5])
    assert error_of(capped_info) == (200, "reached_active_user_cap")
    assert capped_info.json()["data"] == {}
    # Creators already active keep posting.
    assert error_of(tiktok.init_photo(tokens[0], privacy="SELF_ONLY")) == (200, "ok")
    manual_clock.advance(days=1, seconds=1)
    fresh = tiktok.token("-000private-5")  # the old one expired with the day
    assert error_of(tiktok.init_photo(fresh, privacy="SELF_ONLY")) == (200, "ok")


def test_audited_app_creator_cap_is_configurable(tiktok: Api, sandbox: TikTokSandbox) -> None:
    sandbox.update_app(active_user_cap=1)
    assert error_of(tiktok.init_photo(tiktok.token(CREATOR))) == (200, "ok")
    assert error_of(tiktok.init_photo(tiktok.token(OTHER))) == (403, "reached_active_user_cap")


def test_daily_direct_post_cap_of_15_on_a_rolling_day(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    token = tiktok.token()
    for n in range(15):
        manual_clock.advance(11)  # stay under 6 inits per minute
        assert error_of(tiktok.init_photo(token, title=f"post {n}")) == (200, "ok")
    manual_clock.advance(11)
    assert error_of(tiktok.init_photo(token)) == (403, "spam_risk_too_many_posts")
    info = tiktok.post(CREATOR_INFO, token)
    assert error_of(info) == (200, "spam_risk_too_many_posts")
    assert info.json()["data"] == {}
    # Drafts are not direct posts.
    manual_clock.advance(11)
    assert error_of(tiktok.init_photo(token, mode="MEDIA_UPLOAD")) == (200, "ok")
    # At t = 1 day + 12 s the first post (t = 11 s) has left the rolling window.
    manual_clock.advance(days=1, seconds=12 - 187)
    assert error_of(tiktok.init_photo(tiktok.token())) == (200, "ok")


def test_daily_cap_is_shared_with_other_apps_and_failed_posts_do_not_count(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    sandbox.update_user(CREATOR, daily_post_cap=3)
    sandbox.record_external_posts(CREATOR, 2)
    token = tiktok.token()
    broken = tiktok.publish_photo(token, names=["slide.png"])
    manual_clock.advance(3)
    assert tiktok.status(token, broken)["status"] == "FAILED"
    assert error_of(tiktok.init_photo(token)) == (200, "ok")
    assert error_of(tiktok.init_photo(token)) == (403, "spam_risk_too_many_posts")


def test_pending_inbox_shares_are_capped_and_freed_by_the_user(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    sandbox.update_options(rate_limits={})
    token = tiktok.token()
    drafts = [tiktok.publish_photo(token, mode="MEDIA_UPLOAD", privacy=None) for _ in range(5)]
    assert error_of(tiktok.init_photo(token, mode="MEDIA_UPLOAD")) == (
        403,
        "spam_risk_too_many_pending_share",
    )
    manual_clock.advance(3)
    assert tiktok.status(token, drafts[0])["status"] == "SEND_TO_USER_INBOX"
    published = tiktok.http.post(
        f"/__sandbox/publishes/{drafts[0]}/publish_draft", json={"privacy_level": "SELF_ONLY"}
    )
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "PUBLISH_COMPLETE"
    assert tiktok.status(token, drafts[0]) == {
        "status": "PUBLISH_COMPLETE",
        "publicaly_available_post_id": [],
        "downloaded_bytes": published.json()["downloaded_bytes"],
    }
    assert error_of(tiktok.init_photo(token, mode="MEDIA_UPLOAD")) == (200, "ok")
    assert error_of(tiktok.init_photo(token, mode="MEDIA_UPLOAD")) == (
        403,
        "spam_risk_too_many_pending_share",
    )
    discarded = tiktok.http.post(f"/__sandbox/publishes/{drafts[1]}/discard_draft")
    assert discarded.status_code == 200, discarded.text
    assert discarded.json()["draft_state"] == "discarded"
    assert error_of(tiktok.init_photo(token, mode="MEDIA_UPLOAD")) == (200, "ok")


def test_banned_user_and_old_app_version(tiktok: Api, sandbox: TikTokSandbox) -> None:
    token = tiktok.token()
    sandbox.update_user(CREATOR, app_version_ok=False)
    assert error_of(tiktok.init_photo(token, mode="MEDIA_UPLOAD")) == (
        400,
        "app_version_check_failed",
    )
    assert error_of(tiktok.init_photo(token)) == (200, "ok")
    sandbox.update_user(CREATOR, banned=True)
    assert error_of(tiktok.post(CREATOR_INFO, token)) == (200, "spam_risk_user_banned_from_posting")
    assert error_of(tiktok.init_photo(token)) == (403, "spam_risk_user_banned_from_posting")


# --------------------------------------------------------------------------- rate limits


def test_init_rate_limit_is_six_per_sliding_minute_per_token(
    tiktok: Api, manual_clock: ManualClock
) -> None:
    token = tiktok.token()
    for n in range(6):
        manual_clock.advance(5)
        assert error_of(tiktok.init_photo(token, title=f"t{n}")) == (200, "ok")
    assert error_of(tiktok.init_photo(token)) == (429, "rate_limit_exceeded")
    assert error_of(tiktok.init_photo(tiktok.token())) == (200, "ok")  # another token
    manual_clock.advance(36)  # t = 66 s: the first init (t = 5 s) is now over a minute old
    assert error_of(tiktok.init_photo(token)) == (200, "ok")
    assert error_of(tiktok.init_photo(token)) == (429, "rate_limit_exceeded")


def test_creator_info_and_status_rate_limits(tiktok: Api, manual_clock: ManualClock) -> None:
    token = tiktok.token()
    for _ in range(20):
        assert error_of(tiktok.post(CREATOR_INFO, token)) == (200, "ok")
    assert error_of(tiktok.post(CREATOR_INFO, token)) == (429, "rate_limit_exceeded")
    publish_id = tiktok.publish_photo(token)
    for _ in range(30):
        tiktok.status(token, publish_id)
    limited = tiktok.post("/v2/post/publish/status/fetch/", token, {"publish_id": publish_id})
    assert error_of(limited) == (429, "rate_limit_exceeded")
    manual_clock.advance(60)
    assert tiktok.status(token, publish_id)["status"] == "PUBLISH_COMPLETE"


def test_rate_limit_can_be_keyed_per_user(tiktok: Api, sandbox: TikTokSandbox) -> None:
    sandbox.update_options(rate_limit_key="user", rate_limits={"creator_info": 2})
    first, second = tiktok.token(), tiktok.token()
    assert error_of(tiktok.post(CREATOR_INFO, first)) == (200, "ok")
    assert error_of(tiktok.post(CREATOR_INFO, second)) == (200, "ok")
    assert error_of(tiktok.post(CREATOR_INFO, first)) == (429, "rate_limit_exceeded")


# --------------------------------------------------------------------------- the pipeline


def test_direct_post_goes_through_download_publish_and_moderation(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock, media_server: MediaServer
) -> None:
    before = media_server.hits["c.webp"]
    token = tiktok.token()
    publish_id = tiktok.publish_photo(token, names=["a.jpg", "c.webp"], cover=1)
    assert publish_id.startswith("p_pub_url~v2.")
    first = tiktok.status(token, publish_id)
    assert first["status"] == "PROCESSING_DOWNLOAD"
    assert first["publicaly_available_post_id"] == []
    assert sandbox.wait_for_pulls()
    assert media_server.hits["c.webp"] == before + 1  # really fetched over HTTP
    manual_clock.advance(0.5)
    halfway = tiktok.status(token, publish_id)
    total = sum(item["bytes"] for item in sandbox.get_publish(publish_id)["media"])
    assert halfway["status"] == "PROCESSING_DOWNLOAD"
    assert 0 < halfway["downloaded_bytes"] < total
    manual_clock.advance(0.5)
    downloaded = tiktok.status(token, publish_id)
    assert downloaded == {
        "status": "PROCESSING_DOWNLOAD",
        "publicaly_available_post_id": [],
        "downloaded_bytes": total,
    }
    manual_clock.advance(1)
    complete = tiktok.status(token, publish_id)
    assert complete["status"] == "PUBLISH_COMPLETE"
    assert complete["publicaly_available_post_id"] == []  # still in moderation
    manual_clock.advance(2)
    public = tiktok.status(token, publish_id)
    posts = sandbox.posts()
    assert len(posts) == 1
    assert public["publicaly_available_post_id"] == [posts[0]["post_id"]]
    assert posts[0]["publish_id"] == publish_id
    assert posts[0]["title"] == "Five tips"
    assert posts[0]["description"] == "Slideshow #tips"
    assert all(len(digest) == 64 for digest in posts[0]["media_sha256"])
    record = sandbox.get_publish(publish_id)
    assert [entry["status"] for entry in record["history"]] == [
        "PROCESSING_DOWNLOAD",
        "PUBLISH_COMPLETE",
    ]
    assert [item["format"] for item in record["media"]] == ["jpeg", "webp"]


def test_self_only_posts_never_get_a_public_id(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    token = tiktok.token()
    publish_id = tiktok.publish_photo(token, privacy="SELF_ONLY")
    manual_clock.advance(3600)
    status = tiktok.status(token, publish_id)
    assert status["status"] == "PUBLISH_COMPLETE"
    assert status["publicaly_available_post_id"] == []
    assert sandbox.posts()[0]["publicly_available"] is False


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        (["a.jpg", "missing.jpg"], "photo_pull_failed"),
        (["redirect.jpg"], "photo_pull_failed"),
        (["a.jpg", "slide.png"], "file_format_check_failed"),
        (["text.jpg"], "file_format_check_failed"),
        (["b.jpg", "wide.jpg"], "picture_size_check_failed"),
    ],
)
def test_media_pull_failures(
    tiktok: Api, manual_clock: ManualClock, names: list[str], reason: str, sandbox: TikTokSandbox
) -> None:
    token = tiktok.token()
    publish_id = tiktok.publish_photo(token, names=names)
    manual_clock.advance(1)
    status = tiktok.status(token, publish_id)
    assert status["status"] == "FAILED"
    assert status["fail_reason"] == reason
    assert sandbox.posts() == []
    media = sandbox.get_publish(publish_id)["media"]
    assert media[-1]["error"]


def test_picture_over_the_byte_limit(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    sandbox.update_options(photo_max_bytes=10_000)
    token = tiktok.token()
    publish_id = tiktok.publish_photo(token, names=["a.jpg"])
    manual_clock.advance(1)
    assert tiktok.status(token, publish_id)["fail_reason"] == "picture_size_check_failed"


def test_slow_media_times_out_and_status_stays_fast(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    import time

    sandbox.update_options(pull_timeout_seconds=0.3, status_wait_seconds=0.05)
    token = tiktok.token()
    publish_id = tiktok.publish_photo(token, names=["slow.jpg"])
    manual_clock.advance(1)
    started = time.monotonic()
    pending = tiktok.status(token, publish_id)  # the pull is still hanging: no deadlock
    assert time.monotonic() - started < 0.25
    assert pending["status"] == "PROCESSING_DOWNLOAD"
    assert sandbox.wait_for_pulls(timeout=5)
    failed = tiktok.status(token, publish_id)
    assert failed["status"] == "FAILED"
    assert failed["fail_reason"] == "photo_pull_failed"


def test_status_errors(tiktok: Api) -> None:
    token = tiktok.token()
    publish_id = tiktok.publish_photo(token)
    unknown = tiktok.post("/v2/post/publish/status/fetch/", token, {"publish_id": "p_pub_url~v2.1"})
    assert error_of(unknown) == (400, "invalid_publish_id")
    foreign = tiktok.post(
        "/v2/post/publish/status/fetch/", tiktok.token(OTHER), {"publish_id": publish_id}
    )
    assert error_of(foreign) == (401, "token_not_authorized_for_specified_publish_id")
    empty = tiktok.post("/v2/post/publish/status/fetch/", token, {})
    assert error_of(empty) == (400, "invalid_param")


def test_cancel_while_downloading_and_not_after(tiktok: Api, manual_clock: ManualClock) -> None:
    token = tiktok.token()
    first = tiktok.publish_photo(token)
    cancelled = tiktok.post("/v2/post/publish/cancel/", token, {"publish_id": first})
    assert error_of(cancelled) == (200, "ok")
    status = tiktok.status(token, first)
    assert (status["status"], status["fail_reason"]) == ("FAILED", "publish_cancelled")
    second = tiktok.publish_photo(token)
    manual_clock.advance(5)
    late = tiktok.post("/v2/post/publish/cancel/", token, {"publish_id": second})
    assert error_of(late) == (400, "publish_not_cancellable")
    assert tiktok.status(token, second)["status"] == "PUBLISH_COMPLETE"
