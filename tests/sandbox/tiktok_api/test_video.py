"""TikTok sandbox, videos: Direct Post and inbox inits, FILE_UPLOAD chunk math, the chunk PUT
protocol (206/201/400/403/404/416 and Content-Range), PULL_FROM_URL videos."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from platform_sandbox.tiktok_api import TikTokSandbox
from slideforge.kit.clock import ManualClock
from tests.sandbox.tiktok_api.support import MP4_BYTES, Api, error_of

VIDEO_INIT = "/v2/post/publish/video/init/"
INBOX_INIT = "/v2/post/publish/inbox/video/init/"
MIB = 1024 * 1024


def file_source(size: int, chunk: int, count: int) -> dict[str, Any]:
    return {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": chunk,
        "total_chunk_count": count,
    }


def direct_body(source_info: dict[str, Any], **post_info: Any) -> dict[str, Any]:
    """A Direct Post video body; a post_info field given as None is left out."""
    fields = {"privacy_level": "PUBLIC_TO_EVERYONE", "title": "clip #fyp", **post_info}
    return {
        "post_info": {key: value for key, value in fields.items() if value is not None},
        "source_info": source_info,
    }


@pytest.mark.parametrize(
    ("size", "chunk", "count", "ok"),
    [
        (3 * MIB, 3 * MIB, 1, True),  # under 5 MB: whole file
        (3 * MIB, 1 * MIB, 3, False),  # under 5 MB must not be chunked
        (3 * MIB, 3 * MIB, 2, False),
        (64 * MIB, 64 * MIB, 1, True),  # single chunk up to 64 MB
        (64 * MIB + 1, 64 * MIB + 1, 1, False),  # above 64 MB must be chunked
        (50_000_123, 10_000_000, 5, True),  # TikTok's example: last chunk absorbs the rest
        (50_000_123, 10_000_000, 6, False),  # count is floor(size / chunk)
        (20 * MIB, 4 * MIB, 5, False),  # chunks under 5 MB
        (200 * MIB, 65 * MIB, 3, False),  # chunks over 64 MB
        (10 * MIB, 11 * MIB, 1, False),  # chunk larger than the file
        (0, 0, 0, False),
    ],
)
def test_file_upload_chunk_math(tiktok: Api, size: int, chunk: int, count: int, ok: bool) -> None:
    tiktok.sandbox.update_options(rate_limits={})
    response = tiktok.post(VIDEO_INIT, tiktok.token(), direct_body(file_source(size, chunk, count)))
    if ok:
        assert error_of(response) == (200, "ok")
        data = response.json()["data"]
        assert data["publish_id"].startswith("v_pub_file~v2-1.")
        assert len(data["upload_url"]) <= 256
    else:
        assert error_of(response) == (400, "invalid_param")


def test_multi_chunk_rejection_knob(tiktok: Api, sandbox: TikTokSandbox) -> None:
    sandbox.update_options(reject_multi_chunk=True, invalid_param_code="invalid_params")
    multi = tiktok.post(
        VIDEO_INIT, tiktok.token(), direct_body(file_source(50_000_123, 10_000_000, 5))
    )
    assert error_of(multi) == (400, "invalid_params")
    assert multi.json()["error"]["message"] == "The chunk size is invalid."
    single = tiktok.post(VIDEO_INIT, tiktok.token(), direct_body(file_source(MIB, MIB, 1)))
    assert error_of(single) == (200, "ok")


@pytest.mark.parametrize(
    "body",
    [
        direct_body({"source": "PULL_FROM_URL"}),
        direct_body({"source": "URL", "video_url": "https://x.example/v.mp4"}),
        direct_body(file_source(MIB, MIB, 1), title="x" * 2201),
        direct_body(file_source(MIB, MIB, 1), privacy_level=None),
        direct_body(file_source(MIB, MIB, 1), disable_duet="no"),
        direct_body(file_source(MIB, MIB, 1), video_cover_timestamp_ms=-1),
        direct_body(file_source(MIB, MIB, 1), description="videos have no description"),
        {"source_info": file_source(MIB, MIB, 1)},
        {**direct_body(file_source(MIB, MIB, 1)), "media_type": "VIDEO"},
    ],
)
def test_direct_video_init_validation(tiktok: Api, body: dict[str, Any]) -> None:
    assert error_of(tiktok.post(VIDEO_INIT, tiktok.token(), body)) == (400, "invalid_param")


def test_caption_of_2200_utf16_units_is_accepted(tiktok: Api) -> None:
    body = direct_body(file_source(MIB, MIB, 1), title="😀" * 1100, is_aigc=True)
    assert error_of(tiktok.post(VIDEO_INIT, tiktok.token(), body)) == (200, "ok")


def test_inbox_init_takes_only_source_info(tiktok: Api) -> None:
    token = tiktok.token()
    with_post_info = tiktok.post(INBOX_INIT, token, direct_body(file_source(MIB, MIB, 1)))
    assert error_of(with_post_info) == (400, "invalid_param")
    response = tiktok.post(INBOX_INIT, token, {"source_info": file_source(MIB, MIB, 1)})
    assert error_of(response) == (200, "ok")
    assert response.json()["data"]["publish_id"].startswith("v_inbox_file~v2.")
    publish_only = tiktok.token(scopes=["video.publish"])
    denied = tiktok.post(INBOX_INIT, publish_only, {"source_info": file_source(MIB, MIB, 1)})
    assert error_of(denied) == (401, "scope_not_authorized")


# --------------------------------------------------------------------------- chunk PUTs

SIZE = 10_500
CHUNK = 3_000
VIDEO = (MP4_BYTES * 2)[:SIZE]


@pytest.fixture
def small_chunks(sandbox: TikTokSandbox) -> None:
    """Shrink the chunk rules so the protocol can be exercised with kilobytes."""
    sandbox.update_options(chunk_min_bytes=2_000, chunk_max_bytes=4_000, last_chunk_max_bytes=8_000)


def start_upload(tiktok: Api, token: str, *, inbox: bool = False) -> tuple[str, str]:
    source = file_source(SIZE, CHUNK, 3)
    if inbox:
        response = tiktok.post(INBOX_INIT, token, {"source_info": source})
    else:
        response = tiktok.post(VIDEO_INIT, token, direct_body(source))
    assert error_of(response) == (200, "ok")
    data = response.json()["data"]
    return str(data["publish_id"]), str(data["upload_url"])


def put(
    upload_url: str,
    first: int,
    last: int,
    *,
    body: bytes | None = None,
    total: int = SIZE,
    content_type: str | None = "video/mp4",
    content_range: str | None = None,
) -> httpx.Response:
    headers = {"Content-Range": content_range or f"bytes {first}-{last}/{total}"}
    if content_type:
        headers["Content-Type"] = content_type
    data = VIDEO[first : last + 1] if body is None else body
    return httpx.put(upload_url, content=data, headers=headers)


def test_upload_url_is_absolute_on_the_sandbox(
    tiktok: Api, small_chunks: None, base_url: str
) -> None:
    _, upload_url = start_upload(tiktok, tiktok.token())
    parts = urlsplit(upload_url)
    assert upload_url.startswith(base_url + "/video/?")
    query = parse_qs(parts.query)
    assert set(query) == {"upload_id", "upload_token"}


def test_chunked_upload_protocol(
    tiktok: Api, small_chunks: None, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    token = tiktok.token()
    publish_id, url = start_upload(tiktok, token)
    assert tiktok.status(token, publish_id) == {
        "status": "PROCESSING_UPLOAD",
        "publicaly_available_post_id": [],
        "uploaded_bytes": 0,
    }
    # Out of order before anything arrived.
    early = put(url, 3000, 5999)
    assert early.status_code == 416
    assert early.headers["content-range"] == f"bytes */{SIZE}"
    # Malformed requests.
    assert put(url, 0, 2999, content_type=None).status_code == 400
    assert put(url, 0, 2999, content_type="application/octet-stream").status_code == 400
    assert put(url, 0, 2999, total=SIZE + 1).status_code == 400
    assert put(url, 0, 2999, content_range="0-2999").status_code == 400
    assert put(url, 0, 2999, body=VIDEO[:2998]).status_code == 400  # length mismatch
    assert put(url, 0, 1999).status_code == 400  # not the declared chunk size
    first = put(url, 0, 2999)
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-2999/{SIZE}"
    replay = put(url, 0, 2999)
    assert replay.status_code == 416
    assert replay.headers["content-range"] == f"bytes 0-2999/{SIZE}"
    skip = put(url, 6000, SIZE - 1)
    assert skip.status_code == 416
    assert tiktok.status(token, publish_id)["uploaded_bytes"] == 3000
    assert put(url, 3000, 5999).status_code == 206
    last = put(url, 6000, SIZE - 1)  # the last chunk absorbs the remainder: 4500 bytes
    assert last.status_code == 201
    assert last.headers["content-range"] == f"bytes 0-{SIZE - 1}/{SIZE}"
    assert put(url, 6000, SIZE - 1).status_code == 416
    uploaded = tiktok.status(token, publish_id)
    assert uploaded == {
        "status": "PROCESSING_UPLOAD",
        "publicaly_available_post_id": [],
        "uploaded_bytes": SIZE,
    }
    manual_clock.advance(1)
    assert tiktok.status(token, publish_id)["status"] == "PUBLISH_COMPLETE"
    manual_clock.advance(2)
    post = sandbox.posts()[0]
    assert tiktok.status(token, publish_id)["publicaly_available_post_id"] == [post["post_id"]]
    assert post["description"] == "clip #fyp"
    assert post["media_sha256"] == [hashlib.sha256(VIDEO).hexdigest()]
    record = sandbox.get_publish(publish_id)
    assert record["upload"]["chunks_received"] == 3
    chunk_log = sandbox.requests_log(endpoint="upload_chunk")
    assert {(entry["open_id"], entry["publish_id"]) for entry in chunk_log} == {
        (record["open_id"], publish_id)
    }
    assert [entry["http_status"] for entry in chunk_log] == [
        416,
        400,
        400,
        400,
        400,
        400,
        400,
        206,
        416,
        416,
        206,
        201,
        416,
    ]


def test_unknown_and_expired_upload_urls(
    tiktok: Api, small_chunks: None, manual_clock: ManualClock, base_url: str
) -> None:
    _, url = start_upload(tiktok, tiktok.token())
    query = parse_qs(urlsplit(url).query)
    wrong_token = f"{base_url}/video/?upload_id={query['upload_id'][0]}&upload_token=nope"
    assert put(wrong_token, 0, 2999).status_code == 404
    assert put(f"{base_url}/video/?upload_id=1&upload_token=x", 0, 2999).status_code == 404
    manual_clock.advance(3600)
    expired = put(url, 0, 2999)
    assert expired.status_code == 403
    assert error_of(expired)[1] == "upload_url_expired"


def test_injected_5xx_on_a_chunk_is_retryable(
    tiktok: Api, small_chunks: None, sandbox: TikTokSandbox
) -> None:
    token = tiktok.token()
    publish_id, url = start_upload(tiktok, token)
    sandbox.add_failure(kind="http_error", endpoint="upload_chunk", chunk_index=1, http_status=503)
    assert put(url, 0, 2999).status_code == 206
    failed = put(url, 3000, 5999)
    assert failed.status_code == 503
    assert failed.headers["content-range"] == f"bytes 0-2999/{SIZE}"
    assert tiktok.status(token, publish_id)["uploaded_bytes"] == 3000
    assert put(url, 3000, 5999).status_code == 206
    assert put(url, 6000, SIZE - 1).status_code == 201


def test_uploaded_bytes_that_are_not_a_video_fail_the_format_check(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    token = tiktok.token()
    response = tiktok.post(VIDEO_INIT, token, direct_body(file_source(100, 100, 1)))
    url = response.json()["data"]["upload_url"]
    assert put(url, 0, 99, body=b"x" * 100, total=100).status_code == 201
    manual_clock.advance(1)
    status = tiktok.status(token, response.json()["data"]["publish_id"])
    assert (status["status"], status["fail_reason"]) == ("FAILED", "file_format_check_failed")


def test_inbox_upload_waits_for_the_user(
    tiktok: Api, small_chunks: None, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    token = tiktok.token()
    publish_id, url = start_upload(tiktok, token, inbox=True)
    for first, last in ((0, 2999), (3000, 5999), (6000, SIZE - 1)):
        assert put(url, first, last).status_code in (206, 201)
    manual_clock.advance(1)
    assert tiktok.status(token, publish_id)["status"] == "SEND_TO_USER_INBOX"
    assert sandbox.posts() == []
    sandbox.publish_draft(publish_id, privacy_level="PUBLIC_TO_EVERYONE", description="mine")
    assert tiktok.status(token, publish_id)["status"] == "PUBLISH_COMPLETE"
    manual_clock.advance(2)
    assert len(tiktok.status(token, publish_id)["publicaly_available_post_id"]) == 1
    post = sandbox.posts()[0]
    assert (post["post_mode"], post["description"]) == ("MEDIA_UPLOAD", "mine")
    assert sandbox.get_publish(publish_id)["post_info"] == {}  # as received, not as edited


# --------------------------------------------------------------------------- PULL_FROM_URL


def test_video_pull_from_url(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    token = tiktok.token()
    body = direct_body({"source": "PULL_FROM_URL", "video_url": tiktok.media.url("clip.mp4")})
    response = tiktok.post(VIDEO_INIT, token, body)
    assert error_of(response) == (200, "ok")
    data = response.json()["data"]
    assert set(data) == {"publish_id"}
    assert data["publish_id"].startswith("v_pub_url~v2.")
    manual_clock.advance(2)
    status = tiktok.status(token, data["publish_id"])
    assert status == {
        "status": "PUBLISH_COMPLETE",
        "publicaly_available_post_id": [],
        "downloaded_bytes": len(MP4_BYTES),
    }
    assert sandbox.posts()[0]["media_sha256"] == [hashlib.sha256(MP4_BYTES).hexdigest()]


@pytest.mark.parametrize(
    ("name", "reason"),
    [("gone.mp4", "video_pull_failed"), ("clip.txt", "file_format_check_failed")],
)
def test_video_pull_failures(
    tiktok: Api, manual_clock: ManualClock, name: str, reason: str
) -> None:
    token = tiktok.token()
    body = {"source_info": {"source": "PULL_FROM_URL", "video_url": tiktok.media.url(name)}}
    response = tiktok.post(INBOX_INIT, token, body)
    publish_id = response.json()["data"]["publish_id"]
    assert publish_id.startswith("v_inbox_url~v2.")
    manual_clock.advance(2)
    status = tiktok.status(token, publish_id)
    assert (status["status"], status["fail_reason"]) == ("FAILED", reason)


@pytest.mark.parametrize(
    ("name", "checks", "reason"),
    [
        ("tiny.mp4", "readable", "picture_size_check_failed"),  # 100x100: under 360 px
        ("good.mp4", "readable", None),
        ("clip.mp4", "readable", None),  # no stream to read: its container alone
        ("clip.mp4", "strict", "file_format_check_failed"),
    ],
    ids=["tiny", "good", "hand-built", "hand-built-strict"],
)
def test_video_streams_are_checked_like_tiktok(
    tiktok: Api,
    sandbox: TikTokSandbox,
    manual_clock: ManualClock,
    name: str,
    checks: str,
    reason: str | None,
) -> None:
    sandbox.update_options(video_stream_checks=checks)
    token = tiktok.token()
    body = direct_body({"source": "PULL_FROM_URL", "video_url": tiktok.media.url(name)})
    publish_id = tiktok.post(VIDEO_INIT, token, body).json()["data"]["publish_id"]
    manual_clock.advance(2)
    status = tiktok.status(token, publish_id)
    if reason is None:
        assert status["status"] == "PUBLISH_COMPLETE", status
    else:
        assert (status["status"], status["fail_reason"]) == ("FAILED", reason)


def test_uploaded_video_streams_are_checked(
    tiktok: Api, sandbox: TikTokSandbox, manual_clock: ManualClock
) -> None:
    from tests.sandbox.videos import tiny_mp4

    data = tiny_mp4()
    token = tiktok.token()
    init = tiktok.post(VIDEO_INIT, token, direct_body(file_source(len(data), len(data), 1)))
    publish_id, upload_url = (init.json()["data"][k] for k in ("publish_id", "upload_url"))
    put = httpx.put(
        upload_url,
        content=data,
        headers={
            "Content-Type": "video/mp4",
            "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}",
        },
    )
    assert put.status_code == 201, put.text
    manual_clock.advance(2)
    status = tiktok.status(token, publish_id)
    assert (status["status"], status["fail_reason"]) == ("FAILED", "picture_size_check_failed")


def test_video_url_must_be_verified(tiktok: Api) -> None:
    body = direct_body({"source": "PULL_FROM_URL", "video_url": "https://cdn.example.org/v.mp4"})
    assert error_of(tiktok.post(VIDEO_INIT, tiktok.token(), body)) == (
        403,
        "url_ownership_unverified",
    )
